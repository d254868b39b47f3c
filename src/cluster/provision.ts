import { type JetStreamManager, type StreamConfig, type StreamInfo, DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { EngineError } from './errors.js';

const NS_PER_MS = 1_000_000;

/** The stream fields cluster mode relies on; any other field is the server's business. */
export type Wanted = Partial<
  Pick<
    StreamConfig,
    | 'subjects'
    | 'num_replicas'
    | 'storage'
    | 'retention'
    | 'max_msgs_per_subject'
    | 'max_age'
    | 'discard'
    | 'deny_delete'
    | 'duplicate_window'
    | 'allow_rollup_hdrs'
  >
>;

/** A log stream: every record kept until a snapshot purges it, R=REPLICAS, file storage, dedup over 2 minutes. */
export function logStreamConfig(name: string, subject: string, replicas: number): Wanted & { name: string } {
  return {
    name,
    subjects: [subject],
    num_replicas: replicas,
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    max_msgs_per_subject: -1,
    max_age: 0,
    discard: DiscardPolicy.Old,
    // Records are never deleted one by one; snapshots purge whole prefixes of a subject.
    deny_delete: true,
    // Retries of an append inside this window are recognised by Nats-Msg-Id.
    duplicate_window: 120_000 * NS_PER_MS,
  };
}

/**
 * Lists how `actual` differs from `wanted`, e.g. `num_replicas is 1, wanted 3`. A 2.10 server
 * silently drops options it does not know, so every stream is checked after it is created.
 */
export function configDiff(actual: Partial<StreamConfig>, wanted: Wanted): string[] {
  const out: string[] = [];
  for (const [key, want] of Object.entries(wanted) as [keyof Wanted, unknown][]) {
    const have: unknown = actual[key];
    if (JSON.stringify(have) !== JSON.stringify(want)) out.push(`${key} is ${JSON.stringify(have ?? null)}, wanted ${JSON.stringify(want)}`);
  }
  return out;
}

function isNotFound(err: unknown): boolean {
  return err instanceof Error && /stream not found/i.test(err.message);
}

/** Creates the stream if missing, else leaves it; never deletes and recreates one under the same name. */
export async function ensureStream(jsm: JetStreamManager, config: Wanted & { name: string }, what: string): Promise<StreamInfo> {
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(config.name);
  } catch (err) {
    if (!isNotFound(err)) throw new EngineError(`could not read ${what} (stream ${config.name}): ${(err as Error).message}`);
    try {
      info = await jsm.streams.add(config);
    } catch (addErr) {
      // Another host may have created it meanwhile: then read what it created and check that.
      try {
        info = await jsm.streams.info(config.name);
      } catch {
        throw new EngineError(`could not create ${what} (stream ${config.name}): ${(addErr as Error).message}`);
      }
    }
  }
  checkStream(info, config, what);
  return info;
}

/** Throws one line naming the stream and the fields that differ (REPLICAS when it is the replica count). */
export function checkStream(info: StreamInfo, wanted: Wanted & { name: string }, what: string): void {
  const diff = configDiff(info.config, wanted);
  if (diff.length === 0) return;
  const hint = diff.some((d) => d.startsWith('num_replicas')) ? ' (REPLICAS differs from the cluster as created)' : '';
  throw new EngineError(`${what} (stream ${wanted.name}) has another configuration: ${diff.join('; ')}${hint}`);
}

export const msToNanos = (ms: number): number => ms * NS_PER_MS;
