import type { NatsConnection } from '@nats-io/transport-node';
import { Kind, packr, type ShardFailure } from '../../protocol/index.js';
import { ShardRejected, ShardUnavailable } from '../../transport/client.js';
import { decodeMessage, encodeMessage } from '../wire.js';

export interface MemberLinkOptions {
  ackTimeoutMs: number;
  /** Requests are refused once this many events wait for this member: memory stays bounded. */
  maxInflightEvents: number;
}

/**
 * A front's requests to a member on another host, over NATS request/reply on the member's
 * subject: the same bodies, ack timeout and in-flight bound as a local shard's socket. No answer
 * within the timeout, no responders (the member is gone) or a lost connection is ShardUnavailable
 * (503 + Retry-After); the member's own refusal is ShardRejected with its failure.
 */
export class MemberLink {
  private weight = 0;
  private requests = 0;

  constructor(
    private readonly nc: NatsConnection,
    readonly member: string,
    readonly subject: string,
    private readonly options: MemberLinkOptions,
  ) {}

  /** Events sent and not yet answered. */
  get pendingEvents(): number {
    return this.weight;
  }

  /** Requests whose answer is still awaited (what a graceful stop drains). */
  get unanswered(): number {
    return this.requests;
  }

  async request(kind: number, body: Uint8Array, weight = 1): Promise<Buffer> {
    if (this.weight + weight > this.options.maxInflightEvents && this.weight > 0) {
      throw new ShardUnavailable(`member ${this.member} is overloaded (${this.weight} events waiting)`);
    }
    this.weight += weight;
    this.requests++;
    try {
      let reply;
      try {
        reply = await this.nc.request(this.subject, encodeMessage(kind, body), { timeout: this.options.ackTimeoutMs });
      } catch (err) {
        throw new ShardUnavailable(`member ${this.member} did not confirm within ${this.options.ackTimeoutMs} ms (${(err as Error).message})`);
      }
      const { kind: k, body: b } = decodeMessage(reply.data);
      if (k === Kind.Failure) throw new ShardRejected(packr.unpack(b) as ShardFailure);
      return b;
    } finally {
      this.weight -= weight;
      this.requests--;
    }
  }
}
