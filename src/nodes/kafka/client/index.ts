/** Kafka client library used inside application actors, and the writer/reader applications. */
export { KafkaConsumer, type EndOffsetsResult, type PartitionsForResult, type PollResult, type ResetListener, type ResetReason } from "./consumer.js";
export { resolveConsumerConfig, type AutoOffsetReset, type ConsumerConfig, type ConsumerOptions } from "./consumer-config.js";
export { CompletedFetch, controlTypeOf, type ConsumerRecord, type ControlType } from "./completed-fetch.js";
export { isInvalidMetadataError, Metadata, type MetadataConfig, type PartitionLeader } from "./metadata.js";
export { CorrelationIds, NetworkClient, type ClientResponse, type NetworkClientConfig, type RequestBody } from "./network-client.js";
export { murmur2, partitionForKey, Partitioner } from "./partitioner.js";
export {
  CLIENT_ERRORS,
  KafkaProducer,
  type EndTransactionCallback,
  type EndTransactionResult,
  type ProducerRecord,
  type SendCallback,
  type SendResult,
  type TxnCallback,
} from "./producer.js";
export {
  MAX_IN_FLIGHT_FOR_IDEMPOTENCE,
  MAX_PRODUCER_EPOCH,
  ProducerConfigError,
  resolveProducerConfig,
  type ProducerConfig,
  type ProducerOptions,
} from "./producer-config.js";
export { KafkaReader, type KafkaReaderOptions } from "./reader-app.js";
export { COPIER_BUGS, KafkaCopier, type KafkaCopierOptions } from "./copier-app.js";
export { PRODUCER_BUGS } from "./idempotence.js";
export { CONSUMER_BUGS } from "./completed-fetch.js";
export { ConsumerCoordinator, type CommitResult, type ConsumerGroupMetadata, type ConsumerRebalanceListener, type MemberState } from "./consumer-coordinator.js";
export { assignPartitions } from "./assignors.js";
export {
  ADD_PARTITIONS_RETRY_BACKOFF_MS,
  isTransitionValid,
  TransactionalRequestResult,
  TransactionManager,
  TransactionStateError,
  TXN_CLIENT_ERRORS,
  type TransactionOutcome,
  type TransactionState,
  type TxnCallResult,
  type TxnErrorClass,
} from "./transaction-manager.js";
export { KafkaTxnWriter, type KafkaTxnWriterOptions } from "./txn-writer-app.js";
export { KafkaWriter, type KafkaWriterOptions } from "./writer-app.js";
