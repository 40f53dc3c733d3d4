/**
 * A compact binary form for the JSON-like values a history records, so that a long run keeps
 * its history in a few bytes per op instead of a few objects per op.
 *
 * What round-trips exactly: undefined, null, booleans, numbers (integers as varints; -0, NaN,
 * fractions and infinities as float64), strings (any UTF-16, lone surrogates included), arrays
 * (holes read back as undefined) and plain objects (own enumerable keys in their order). Anything
 * else (class instances, null-prototype objects, Maps, Sets, functions, bigints, symbols) is kept by reference, as it was
 * given: the codec never guesses at a form it cannot restore.
 *
 * Repeated short strings (topic names, processes, keys, error names) are interned: a string is
 * given an id once it has been written `INTERN_AFTER_WRITES` times while it held its slot in a
 * small direct-mapped table, so values that occur only a few times each (unique record values)
 * stay inline and the table stays small. Object shapes (key lists) are interned the same way,
 * always. Both depend only on the values written, in order: the encoding is deterministic.
 */

const TAG_UNDEFINED = 0;
const TAG_NULL = 1;
const TAG_FALSE = 2;
const TAG_TRUE = 3;
const TAG_UINT = 4;
const TAG_NEG_INT = 5;
const TAG_FLOAT = 6;
const TAG_LATIN1 = 7;
const TAG_UTF16 = 8;
const TAG_STRING_REF = 9;
const TAG_ARRAY = 10;
const TAG_OBJECT = 11;
const TAG_OPAQUE = 12;

const INTERN_SLOTS = 4096;
const INTERN_LENGTH_MAX = 64;
const INTERN_AFTER_WRITES = 4;

/** A growable byte buffer the encoder writes to. */
export class ByteSink {
  bytes: Uint8Array;
  length = 0;

  constructor(capacity = 256) {
    this.bytes = new Uint8Array(capacity);
  }

  ensure(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.bytes.length) return;
    let capacity = this.bytes.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  /** The bytes written, trimmed to their length (a copy: the sink's own buffer is oversized). */
  trimmed(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

interface ShapeNode {
  id: number;
  readonly children: Map<string, ShapeNode>;
}

/** Encodes and decodes values; one codec per history (its string and shape tables are its own). */
export class ValueCodec {
  private readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();
  /** Candidates for interning: a direct-mapped table of strings seen lately, with their counts. */
  private readonly slotStrings: (string | undefined)[] = new Array<string | undefined>(INTERN_SLOTS).fill(undefined);
  private readonly slotWrites = new Uint8Array(INTERN_SLOTS);
  private readonly shapes: (readonly string[])[] = [];
  private readonly shapeRoot: ShapeNode = { id: -1, children: new Map() };
  private readonly opaque: unknown[] = [];
  private readonly floatScratch = new Float64Array(1);
  private readonly floatBytes = new Uint8Array(this.floatScratch.buffer);
  private readonly reader = new ByteReader();

  /** Appends the encoding of `value` to `sink`. */
  encode(value: unknown, sink: ByteSink): void {
    switch (typeof value) {
      case "undefined":
        return this.tag(sink, TAG_UNDEFINED);
      case "boolean":
        return this.tag(sink, value ? TAG_TRUE : TAG_FALSE);
      case "number":
        return this.encodeNumber(value, sink);
      case "string":
        return this.encodeString(value, sink);
      case "object":
        if (value === null) return this.tag(sink, TAG_NULL);
        if (Array.isArray(value)) return this.encodeArray(value, sink);
        if (isPlainObject(value)) return this.encodeObject(value, sink);
        return this.encodeOpaque(value, sink);
      default:
        return this.encodeOpaque(value, sink);
    }
  }

  /** Where the last `decode` stopped: the start of the next encoded value. */
  get decodedEnd(): number {
    return this.reader.at;
  }

  /** Decodes the value that starts at `bytes[at]` (see `decodedEnd` for where it ends). */
  decode(bytes: Uint8Array, at: number): unknown {
    this.reader.reset(bytes, at);
    return this.read(this.reader);
  }

  private tag(sink: ByteSink, tag: number): void {
    sink.ensure(1);
    sink.bytes[sink.length++] = tag;
  }

  private encodeNumber(value: number, sink: ByteSink): void {
    if (Number.isSafeInteger(value) && !Object.is(value, -0)) {
      this.tag(sink, value >= 0 ? TAG_UINT : TAG_NEG_INT);
      writeVarint(sink, value >= 0 ? value : -value);
      return;
    }
    this.tag(sink, TAG_FLOAT);
    this.floatScratch[0] = value;
    sink.ensure(8);
    sink.bytes.set(this.floatBytes, sink.length);
    sink.length += 8;
  }

  private encodeString(value: string, sink: ByteSink): void {
    const id = this.internedId(value);
    if (id >= 0) {
      this.tag(sink, TAG_STRING_REF);
      writeVarint(sink, id);
      return;
    }
    const start = sink.length;
    if (!this.writeChars(value, sink, TAG_LATIN1)) {
      sink.length = start;
      this.writeChars(value, sink, TAG_UTF16);
    }
  }

  /** Writes the string with its tag and length, one byte per char (false, unfinished, on a char above 0xff) or two. */
  private writeChars(value: string, sink: ByteSink, tag: typeof TAG_LATIN1 | typeof TAG_UTF16): boolean {
    this.tag(sink, tag);
    writeVarint(sink, value.length);
    const wide = tag === TAG_UTF16;
    sink.ensure(wide ? value.length * 2 : value.length);
    const bytes = sink.bytes;
    let at = sink.length;
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      if (wide) {
        bytes[at++] = code & 0xff;
        bytes[at++] = code >>> 8;
      } else if (code > 0xff) return false;
      else bytes[at++] = code;
    }
    sink.length = at;
    return true;
  }

  /** The string's id if it is interned (interning it now if it has just earned it), else -1. */
  private internedId(value: string): number {
    const known = this.stringIds.get(value);
    if (known !== undefined) return known;
    if (value.length > INTERN_LENGTH_MAX) return -1;
    const slot = slotOf(value);
    if (this.slotStrings[slot] !== value) {
      this.slotStrings[slot] = value;
      this.slotWrites[slot] = 1;
      return -1;
    }
    const writes = (this.slotWrites[slot] as number) + 1;
    this.slotWrites[slot] = writes;
    if (writes < INTERN_AFTER_WRITES) return -1;
    const id = this.strings.length;
    this.strings.push(value);
    this.stringIds.set(value, id);
    this.slotStrings[slot] = undefined;
    return id;
  }

  private encodeArray(value: readonly unknown[], sink: ByteSink): void {
    this.tag(sink, TAG_ARRAY);
    writeVarint(sink, value.length);
    for (let i = 0; i < value.length; i++) this.encode(value[i], sink);
  }

  private encodeObject(value: Record<string, unknown>, sink: ByteSink): void {
    let node = this.shapeRoot;
    // for-in over a plain object (its prototype is Object.prototype) lists its own keys only,
    // in the same order both times.
    for (const key in value) {
      let child = node.children.get(key);
      if (child === undefined) {
        child = { id: -1, children: new Map() };
        node.children.set(key, child);
      }
      node = child;
    }
    if (node.id < 0) {
      node.id = this.shapes.length;
      this.shapes.push(Object.keys(value));
    }
    this.tag(sink, TAG_OBJECT);
    writeVarint(sink, node.id);
    for (const key in value) this.encode(value[key], sink);
  }

  private encodeOpaque(value: unknown, sink: ByteSink): void {
    this.tag(sink, TAG_OPAQUE);
    writeVarint(sink, this.opaque.length);
    this.opaque.push(value);
  }

  private read(reader: ByteReader): unknown {
    const tag = reader.byte();
    switch (tag) {
      case TAG_UNDEFINED:
        return undefined;
      case TAG_NULL:
        return null;
      case TAG_FALSE:
        return false;
      case TAG_TRUE:
        return true;
      case TAG_UINT:
        return reader.varint();
      case TAG_NEG_INT:
        return -reader.varint();
      case TAG_FLOAT:
        return reader.float64(this.floatScratch, this.floatBytes);
      case TAG_LATIN1:
        return reader.latin1(reader.varint());
      case TAG_UTF16:
        return reader.utf16(reader.varint());
      case TAG_STRING_REF:
        return this.strings[reader.varint()];
      case TAG_ARRAY: {
        const length = reader.varint();
        const out = new Array<unknown>(length);
        for (let i = 0; i < length; i++) out[i] = this.read(reader);
        return out;
      }
      case TAG_OBJECT: {
        const keys = this.shapes[reader.varint()] as readonly string[];
        const out: Record<string, unknown> = {};
        for (let i = 0; i < keys.length; i++) out[keys[i] as string] = this.read(reader);
        return out;
      }
      case TAG_OPAQUE:
        return this.opaque[reader.varint()];
      default:
        throw new Error(`value codec: unknown tag ${tag} at byte ${reader.at - 1}`);
    }
  }
}

class ByteReader {
  private bytes: Uint8Array = new Uint8Array(0);
  at = 0;

  reset(bytes: Uint8Array, at: number): void {
    this.bytes = bytes;
    this.at = at;
  }

  byte(): number {
    return this.bytes[this.at++] as number;
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = this.bytes[this.at++] as number;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 0x80;
    }
  }

  float64(scratch: Float64Array, scratchBytes: Uint8Array): number {
    scratchBytes.set(this.bytes.subarray(this.at, this.at + 8));
    this.at += 8;
    return scratch[0] as number;
  }

  latin1(length: number): string {
    const end = this.at + length;
    const out = charsOf(this.bytes.subarray(this.at, end));
    this.at = end;
    return out;
  }

  utf16(length: number): string {
    const codes = new Uint16Array(length);
    for (let i = 0; i < length; i++) {
      codes[i] = (this.bytes[this.at] as number) | ((this.bytes[this.at + 1] as number) << 8);
      this.at += 2;
    }
    return charsOf(codes);
  }
}

const CHARS_PER_CALL = 8192;

/** The string of these char codes, built flat (no per-char concatenation), a bounded number of arguments per call. */
function charsOf(codes: Uint8Array | Uint16Array): string {
  if (codes.length <= CHARS_PER_CALL) return String.fromCharCode.apply(null, codes as unknown as number[]);
  let out = "";
  for (let i = 0; i < codes.length; i += CHARS_PER_CALL) out += String.fromCharCode.apply(null, codes.subarray(i, i + CHARS_PER_CALL) as unknown as number[]);
  return out;
}

/** Non-negative safe integers, 7 bits per byte, low bits first. */
function writeVarint(sink: ByteSink, value: number): void {
  sink.ensure(8);
  const bytes = sink.bytes;
  let at = sink.length;
  let rest = value;
  while (rest >= 0x80) {
    bytes[at++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  bytes[at++] = rest;
  sink.length = at;
}


/** A candidate slot from the length and a few characters: cheap, and unique values differ in their last ones. */
function slotOf(value: string): number {
  const n = value.length;
  if (n === 0) return 0;
  let hash = Math.imul(n, 0x9e3779b1) ^ value.charCodeAt(0);
  hash = Math.imul(hash, 0x01000193) ^ value.charCodeAt(n - 1);
  hash = Math.imul(hash, 0x01000193) ^ value.charCodeAt(n >>> 1);
  if (n > 2) hash = Math.imul(hash, 0x01000193) ^ value.charCodeAt(n - 2);
  return (hash ^ (hash >>> 15)) & (INTERN_SLOTS - 1);
}

function isPlainObject(value: object): value is Record<string, unknown> {
  return Object.getPrototypeOf(value) === Object.prototype;
}
