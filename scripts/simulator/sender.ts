import { randomUUID } from 'node:crypto';
import { type HttpClient, NetworkError } from './http-client.js';
import type { Heartbeat } from './viewers.js';

export interface RetryPolicy {
  /** Attempts per request, the first included. */
  maxAttempts: number;
  /** No new attempt starts this long after the first one. */
  retryForMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 12, retryForMs: 60_000, backoffMinMs: 50, backoffMaxMs: 2000 };

export type SendOutcome =
  /** 200: every event of the request is stored. */
  | { kind: 'acked'; attempts: number; latencyMs: number; anomaly?: string }
  /** A 4xx other than 408/429: the service refused the request, nothing of it is stored. */
  | { kind: 'rejected'; attempts: number; reason: string }
  /** Retries exhausted; the last failure leaves open whether the events are stored. */
  | { kind: 'lost'; attempts: number; reason: string; maybeStored: boolean };

export interface RetryNotice {
  reason: string;
  /** The failed attempt may have stored the events (so a retry can store them twice). */
  maybeStored: boolean;
  delayMs: number;
}

const RETRYABLE = new Set([408, 429, 500, 502, 503, 504, 507]);

/**
 * POSTs one request of events until the service acknowledges it with 200, retrying the whole
 * request with exponential backoff (and at least Retry-After) on 5xx, 408, 429 and network errors.
 * A request is one object when it holds one event, an array otherwise. With `idempotencyKeys`,
 * every attempt of a request carries the same fresh `Idempotency-Key` (a UUID), so a service that
 * deduplicates applies a retried request once; one that does not ignores the header.
 */
export class EventSender {
  constructor(
    private readonly client: HttpClient,
    private readonly policy: RetryPolicy = DEFAULT_RETRY,
    private readonly idempotencyKeys = true,
    private readonly path = '/events',
  ) {}

  async send(events: readonly Heartbeat[], onRetry: (n: RetryNotice) => void = () => {}, stopping: () => boolean = () => false): Promise<SendOutcome> {
    const body = JSON.stringify(events.length === 1 ? events[0] : events);
    const headers: Record<string, string> = this.idempotencyKeys ? { 'idempotency-key': randomUUID() } : {};
    const first = performance.now();
    for (let attempt = 1; ; attempt++) {
      let reason: string;
      let maybeStored: boolean;
      let retryAfterMs = 0;
      try {
        const res = await this.client.request('POST', this.path, body, headers);
        if (res.status === 200) {
          const latencyMs = performance.now() - first; // first attempt to 200, backoff included
          const accepted = acceptedOf(res.body);
          const anomaly = accepted === events.length ? undefined : `200 with accepted=${accepted ?? res.body.slice(0, 80)} for ${events.length} events`;
          return anomaly ? { kind: 'acked', attempts: attempt, latencyMs, anomaly } : { kind: 'acked', attempts: attempt, latencyMs };
        }
        reason = `${res.status} ${errorCodeOf(res.body)}`;
        if (!RETRYABLE.has(res.status)) return { kind: 'rejected', attempts: attempt, reason: `${reason}: ${res.body.slice(0, 300)}` };
        maybeStored = true;
        retryAfterMs = Number(res.headers['retry-after'] ?? 0) * 1000 || 0;
      } catch (err) {
        if (!(err instanceof NetworkError)) throw err;
        reason = err.message;
        maybeStored = err.maybeStored;
      }
      const elapsed = performance.now() - first;
      if (attempt >= this.policy.maxAttempts || elapsed >= this.policy.retryForMs || stopping()) {
        return { kind: 'lost', attempts: attempt, reason, maybeStored };
      }
      const delayMs = backoff(attempt, this.policy, retryAfterMs);
      onRetry({ reason, maybeStored, delayMs });
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}

/** Exponential with "equal jitter", never below Retry-After, never above the cap (unless Retry-After says so, up to 10 s). */
export function backoff(attempt: number, p: RetryPolicy, retryAfterMs = 0, random: () => number = Math.random): number {
  const exp = Math.min(p.backoffMaxMs, p.backoffMinMs * 2 ** (attempt - 1));
  const jittered = exp / 2 + (random() * exp) / 2;
  return Math.round(Math.max(jittered, Math.min(retryAfterMs, 10_000)));
}

function acceptedOf(body: string): number | undefined {
  try {
    const v = JSON.parse(body) as { accepted?: unknown };
    return typeof v.accepted === 'number' ? v.accepted : undefined;
  } catch {
    return undefined;
  }
}

function errorCodeOf(body: string): string {
  try {
    const v = JSON.parse(body) as { error?: unknown };
    return typeof v.error === 'string' ? v.error : '';
  } catch {
    return '';
  }
}
