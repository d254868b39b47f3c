import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import t from 'tap';
import { ConfigError, defaultShards, loadConfig } from '../../src/config.js';

t.test('an empty environment gives the documented defaults', async (t) => {
  t.same(loadConfig({}), {
    port: 8000,
    host: '0.0.0.0',
    dataDir: resolve('./data'),
    shards: Math.max(2, availableParallelism()),
    watchMaxStep: 60,
    maxBodyBytes: 1_048_576,
    maxBatch: 1000,
    ackTimeoutMs: 5000,
    maxInflightEvents: 200_000,
    snapshotEveryEvents: 1_000_000,
    snapshotEveryMs: 60_000,
    durability: 'fsync',
    dedupWindowMs: 600_000,
    dedupMaxKeys: 1_000_000,
    ingestToken: undefined,
    queryToken: undefined,
    lmdbMapBytes: 64 * 1024 ** 3,
    insights: { completeRatio: 0.9, resumeMinRatio: 0.05, retentionBucketS: 30 },
    corsOrigins: null,
  });
  t.ok(defaultShards() >= 2, 'at least two shards by default');
});

t.test('empty strings count as unset', async (t) => {
  const c = loadConfig({ PORT: '', HOST: '', DATA_DIR: '', WATCH_MAX_STEP: '', INGEST_TOKEN: '', QUERY_TOKEN: '' });
  t.same([c.port, c.host, c.dataDir, c.watchMaxStep, c.ingestToken, c.queryToken], [8000, '0.0.0.0', resolve('./data'), 60, undefined, undefined]);
});

t.test('set values are parsed', async (t) => {
  const c = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: 'rel/dir',
    SHARDS: '1024',
    WATCH_MAX_STEP: '2.5',
    ACK_TIMEOUT_MS: '10',
    DURABILITY: 'commit',
    DEDUP_WINDOW_MS: '0',
    INGEST_TOKEN: 'in',
    QUERY_TOKEN: 'q',
    LMDB_MAP_BYTES: String(1024 * 1024),
  });
  t.same(
    [c.port, c.host, c.dataDir, c.shards, c.watchMaxStep, c.ackTimeoutMs, c.durability, c.dedupWindowMs, c.ingestToken, c.queryToken, c.lmdbMapBytes],
    [0, '127.0.0.1', resolve('rel/dir'), 1024, 2.5, 10, 'commit', 0, 'in', 'q', 1024 * 1024],
  );
  t.equal(c.dataDir, resolve(process.cwd(), 'rel/dir'), 'a relative DATA_DIR is made absolute');
});

/** Each bad value, with the message a person would need to fix it. */
const BAD: [Record<string, string>, string][] = [
  [{ PORT: 'abc' }, 'PORT must be a whole number, got "abc"'],
  [{ PORT: '1e3' }, 'PORT must be a whole number, got "1e3"'],
  [{ PORT: ' 80' }, 'PORT must be a whole number, got " 80"'],
  [{ PORT: '-1' }, 'PORT must be a whole number, got "-1"'],
  [{ PORT: '8000.5' }, 'PORT must be a whole number, got "8000.5"'],
  [{ PORT: '65536' }, 'PORT must be between 0 and 65535, got 65536'],
  [{ SHARDS: '0' }, 'SHARDS must be between 1 and 1024, got 0'],
  [{ SHARDS: '1025' }, 'SHARDS must be between 1 and 1024, got 1025'],
  [{ ACK_TIMEOUT_MS: '9' }, 'ACK_TIMEOUT_MS must be between 10 and 9007199254740991, got 9'],
  [{ MAX_BODY_BYTES: '63' }, 'MAX_BODY_BYTES must be between 64 and 9007199254740991, got 63'],
  [{ SNAPSHOT_EVERY_MS: '99' }, 'SNAPSHOT_EVERY_MS must be between 100 and 9007199254740991, got 99'],
  [{ LMDB_MAP_BYTES: '1024' }, 'LMDB_MAP_BYTES must be between 1048576 and 9007199254740991, got 1024'],
  [{ MAX_INFLIGHT_EVENTS: '99999999999999999999' }, 'MAX_INFLIGHT_EVENTS must be between 1 and 9007199254740991, got 100000000000000000000'],
  [{ WATCH_MAX_STEP: '-1' }, 'WATCH_MAX_STEP must be a number >= 0, got "-1"'],
  [{ WATCH_MAX_STEP: 'ten' }, 'WATCH_MAX_STEP must be a number >= 0, got "ten"'],
  [{ WATCH_MAX_STEP: 'Infinity' }, 'WATCH_MAX_STEP must be a number >= 0, got "Infinity"'],
  [{ DURABILITY: 'sync' }, 'DURABILITY must be "fsync" or "commit", got "sync"'],
];

t.test('bad values are refused with a message naming the variable, the rule and the value', async (t) => {
  for (const [env, message] of BAD) {
    t.throws(() => loadConfig(env), { name: 'ConfigError', message }, JSON.stringify(env));
  }
  const err = (() => {
    try {
      loadConfig({ PORT: 'x' });
    } catch (e) {
      return e;
    }
  })();
  t.ok(err instanceof ConfigError, 'a ConfigError');
});

t.test('the first bad variable is reported even when others are fine', async (t) => {
  t.throws(() => loadConfig({ PORT: '8080', SHARDS: 'four', DURABILITY: 'commit' }), { message: /^SHARDS must be a whole number/ });
});

t.test('CORS_ORIGINS: unset, *, or a list of exact origins', async (t) => {
  t.equal(loadConfig({}).corsOrigins, null, 'unset: no CORS');
  t.equal(loadConfig({ CORS_ORIGINS: ' ' }).corsOrigins, null, 'empty: no CORS');
  t.equal(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins, '*');
  t.same(loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).corsOrigins, ['https://app.example.com', 'http://localhost:5173']);
  for (const bad of ['https://app.example.com/', 'app.example.com', 'https://a.example.com/path', '*, https://a.example.com', 'null']) {
    t.throws(() => loadConfig({ CORS_ORIGINS: bad }), ConfigError, `${JSON.stringify(bad)} is refused`);
  }
  t.throws(() => loadConfig({ CORS_ORIGINS: 'https://x.example.com/' }), /CORS_ORIGINS must be \* or a comma-separated list of origins/);
});
