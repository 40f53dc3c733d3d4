import { KAFKA_BUGS } from "../../src/nodes/kafka/bugs.js";
import { describeSwitch } from "../helpers/bug-sweep.js";

/**
 * The read side of transactions and the marker guards: for each switch a scenario in
 * scenarios/bugs/ sets up the situation the guard exists for (its description tells the
 * mechanism); with the switch a sweep finds what the catalog names, without it nothing.
 */

describeSwitch(KAFKA_BUGS.lsoIgnoresOpenTxns, "read_committed fetches bounded by the HW return records of transactions still open, some later aborted");
describeSwitch(KAFKA_BUGS.lsoOffByOne, "an LSO one past the first open offset makes each open transaction's first record readable");
describeSwitch(KAFKA_BUGS.noAbortedFilter, "fetches without the aborted-transaction list let read_committed readers return aborted records");
describeSwitch(
  KAFKA_BUGS.noMarkerEpochCheck,
  "a held WriteTxnMarkers request, sent again after a reset, lands epochs later and commits the transaction open on the partition (transaction version 2)",
);
describeSwitch(
  KAFKA_BUGS.noCoordinatorEpochCheck,
  "a deposed coordinator's held marker lands after its successor completed the transaction and commits the next one (transaction version 1)",
);
