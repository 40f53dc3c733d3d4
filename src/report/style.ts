/** The report's inline stylesheet. No external fonts or images: the file stands alone. */
export const REPORT_CSS = `
:root { --fg: #1f2430; --muted: #6b7280; --line: #e3e6eb; --bg: #ffffff; --panel: #f7f8fa; --red: #d43c3c; --amber: #d68a00; --green: #2f8f46; --purple: #7b57c5; }
* { box-sizing: border-box; }
html { scroll-behavior: smooth; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
main { max-width: 1240px; margin: 0 auto; padding: 0 24px 48px; }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
a { color: #2563eb; text-decoration: none; }
a:hover { text-decoration: underline; }
h2 { font-size: 19px; margin: 34px 0 6px; padding-top: 8px; border-top: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
h4 { font-size: 13px; margin: 0 0 4px; }
.sub { color: var(--muted); font-weight: normal; font-size: 12.5px; }
p.lead { color: var(--muted); margin: 0 0 10px; max-width: 980px; }
p.note { color: var(--muted); font-size: 12.5px; }
.banner { padding: 18px 24px 16px; color: #fff; }
.banner.pass { background: linear-gradient(90deg, #23733a, #2f8f46); }
.banner.safety-violation { background: linear-gradient(90deg, #a82525, #d43c3c); }
.banner.liveness-violation { background: linear-gradient(90deg, #a86400, #d68a00); }
.banner .inner { max-width: 1192px; margin: 0 auto; }
.banner .verdict { font-size: 26px; font-weight: 700; letter-spacing: 0.3px; }
.banner .what { font-size: 16px; margin-top: 2px; }
.banner .facts { margin-top: 8px; font-size: 13px; opacity: 0.95; display: flex; flex-wrap: wrap; gap: 4px 18px; }
.banner .facts code { font-size: 12.5px; background: rgba(255,255,255,0.16); padding: 1px 5px; border-radius: 3px; }
.banner .description { margin-top: 8px; max-width: 960px; font-size: 13px; opacity: 0.92; }
nav.toc { position: sticky; top: 0; z-index: 5; background: rgba(255,255,255,0.96); border-bottom: 1px solid var(--line); }
nav.toc .inner { max-width: 1192px; margin: 0 auto; padding: 7px 0; display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 13px; }
ol.violations { padding-left: 22px; margin: 6px 0; }
ol.violations li { margin: 5px 0; }
ol.violations li:target, tr:target, .evidence:target { background: #fff4c2; }
.inv { font-weight: 650; }
.tag { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 9px; margin-right: 4px; vertical-align: 1px; }
.tag.safety { background: #fde2e2; color: #9b1c1c; }
.tag.liveness { background: #fdebc8; color: #8a5300; }
.ok-text { color: var(--green); font-weight: 600; }
.counts { color: var(--muted); font-size: 12.5px; }
.empty { background: var(--panel); border: 1px dashed #cfd4dc; border-radius: 6px; padding: 14px 16px; color: var(--muted); font-size: 13px; }
.empty strong { color: var(--fg); font-weight: 600; }
.legend { display: flex; flex-wrap: wrap; gap: 3px 14px; font-size: 12px; color: #374151; margin: 4px 0 8px; }
.legend-item { display: inline-flex; align-items: center; gap: 5px; }
.scroll { overflow: auto; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
.diagram-box { max-height: 78vh; }
.lane-header { position: sticky; top: 0; background: rgba(255,255,255,0.97); display: block; border-bottom: 1px solid var(--line); z-index: 2; }
svg { display: block; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
.tick { font-size: 10.5px; fill: #6b7280; }
.grid { stroke: #eef0f3; stroke-width: 1; }
.axis { stroke: #c5cad3; stroke-width: 1; }
.row-tick { stroke: #c5cad3; }
.lane-name { font-size: 13px; font-weight: 650; fill: #1f2430; }
.lane-name.small { font-size: 11.5px; font-weight: 600; }
.lane { stroke: #aab1bd; stroke-width: 1.6; }
.msg line { stroke-width: 1.3; fill: none; }
.msg.held line { stroke-width: 3; }
.msg.dropped line, .msg.inflight line, .msg.lost line { stroke-dasharray: 4 3; }
.msg.entering line { stroke-dasharray: 2 2; }
.cross { stroke: var(--red); stroke-width: 2; fill: none; }
.drop-label { font-size: 9px; fill: var(--red); }
.held-label { font-size: 10px; fill: #9a5b00; font-weight: 600; }
.dim { opacity: 0.22; }
.cone line { stroke-width: 2.1; }
.cone.msg.held line { stroke-width: 3.4; }
.op circle { stroke: #374151; stroke-width: 1; }
.op-invoke circle { fill: #ffffff; }
.op-ok circle { fill: var(--green); stroke: #1f6130; }
.op-fail circle { fill: var(--red); stroke: #8e1f1f; }
.op-info circle { fill: #f2b233; stroke: #8a5b00; }
.node-ev.start path { fill: var(--green); }
.node-ev.crash .cross { stroke-width: 3; }
.node-ev.pause rect { fill: #f2b233; }
.node-ev.resume rect { fill: #ffffff; stroke: #c27c00; stroke-width: 1.5; }
.assert circle { fill: var(--red); stroke: #fff; stroke-width: 1.5; }
.assert text { font-size: 11px; font-weight: 700; fill: var(--red); }
.fault-ev path { fill: var(--purple); }
.fault-ev text { font-size: 10px; fill: var(--purple); font-weight: 600; }
.reset line { stroke: #c27c00; stroke-width: 2; stroke-dasharray: 1 2; }
.note rect { fill: #5b6bbf; }
.global line { stroke: var(--purple); stroke-width: 1; stroke-dasharray: 6 3; }
.global text { font-size: 10.5px; fill: var(--purple); font-weight: 600; }
.band rect { stroke: none; }
.band.partition rect { fill: #7b57c5; opacity: 0.08; }
.band.crashed rect { fill: var(--red); opacity: 0.2; }
.band.paused rect { fill: #f2b233; opacity: 0.3; }
.band.clog rect { fill: #76b7b2; opacity: 0.22; }
.band-label { font-size: 10px; font-weight: 650; }
.band-label.partition { fill: #6a49b0; }
.band-label.crashed { fill: var(--red); }
.band-label.paused { fill: #9a5b00; }
.anchor circle { fill: none; stroke: var(--red); stroke-width: 2.5; }
.anchor text { font-size: 12px; font-weight: 700; fill: var(--red); paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.ov-row { fill: #fbfbfc; }
.ov-row.even { fill: #f3f4f6; }
.ov-band.crashed rect { fill: var(--red); opacity: 0.75; }
.ov-band.paused rect { fill: #f2b233; opacity: 0.85; }
.ov-band.partition rect { fill: var(--purple); opacity: 0.45; }
.ov-band.clog rect { fill: #3e9c95; opacity: 0.7; }
.ov-fault path { fill: #4b5563; }
.ov-fault.clock path { fill: #0e7490; }
.ov-violation line { stroke: var(--red); stroke-width: 1.5; }
.ov-violation circle { fill: var(--red); }
.ov-violation.liveness line { stroke: var(--amber); }
.ov-violation.liveness circle { fill: var(--amber); }
.ov-window rect { fill: #2563eb; fill-opacity: 0.07; stroke: #2563eb; stroke-width: 1.5; }
.liveness-phase rect { fill: #2f8f46; opacity: 0.06; }
.liveness-phase text { font-size: 10.5px; fill: var(--green); }
.chart .curve, .chart path.curve { fill: none; stroke-width: 1.8; }
.chart path.rate { opacity: 0.6; }
.pcurve { fill: none; stroke-linejoin: round; }
.leader-seg rect { opacity: 0.75; }
.leader-seg.none rect { fill: #9ca3af; }
.leader-seg text { font-size: 10.5px; fill: #fff; font-weight: 650; }
.leader-down rect { fill: #111827; opacity: 0.35; }
.marker line { stroke-width: 2; }
.marker.commit line { stroke: var(--green); }
.marker.abort line { stroke: var(--red); }
.aborted-range rect { fill: var(--red); opacity: 0.55; }
.txn-seg { stroke: #fff; stroke-width: 0.3; }
.epoch-tick line { stroke: #1f2430; stroke-width: 1.2; }
.epoch-tick text { font-size: 9.5px; fill: #374151; }
.fence, .fence path { fill: var(--red); }
.cards { display: grid; grid-template-columns: repeat(2, 1fr); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 10px 4px; background: #fff; }
.card .empty { height: 116px; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.value { font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 12px; word-break: break-all; }
tr.alert-fired td.status { color: var(--red); font-weight: 700; }
tr.alert-ok td.status { color: var(--green); font-weight: 600; }
tr.alert-no-data td.status { color: var(--muted); }
.alert-summary.fired { color: var(--red); font-weight: 600; }
.evidence { border-left: 3px solid #e5a3a3; padding: 4px 0 4px 12px; margin: 12px 0; }
.evidence p { margin: 2px 0 6px; }
pre.replay { background: #111827; color: #e5e7eb; padding: 12px 14px; border-radius: 6px; overflow-x: auto; font-size: 13px; }
footer { color: var(--muted); font-size: 12px; margin-top: 36px; border-top: 1px solid var(--line); padding-top: 10px; }
.partition-view { margin-bottom: 14px; }
.gap { stroke: #9ca3af; stroke-width: 1; stroke-dasharray: 2 4; }
.gap-label { font-size: 9.5px; fill: #6b7280; }
details > summary { cursor: pointer; color: #374151; margin: 4px 0; }
.stat-grid { display: flex; flex-wrap: wrap; gap: 6px 22px; font-size: 12.5px; color: #374151; margin: 4px 0 10px; }
`;
