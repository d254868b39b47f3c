/** Frame kinds. Requests go front -> shard; replies carry the id of their request. */
export const Kind = {
  /** body: an IngestRecord, stored by the shard as it arrives; reply: Ack */
  Ingest: 1,
  /** body: a Query */
  Query: 2,
  /** shard -> front right after connecting: a Hello */
  Hello: 3,
  /**
   * body: the accepted count of each batch of the IngestRecord, in order. In cluster mode a batch
   * may fail alone (its partition is not served here now): its entry is then a ShardFailure.
   */
  Ack: 0x11,
  /** body: the query's result */
  Result: 0x12,
  /** body: a ShardFailure */
  Failure: 0x13,
} as const;

export interface Hello {
  shard: number;
  shards: number;
  pid: number;
}

export interface ShardFailure {
  /** 'unavailable' (retry later) or 'insufficient_storage' (disk or map full) */
  code: 'unavailable' | 'insufficient_storage' | 'bad_request';
  message: string;
}
