import t from 'tap';
import { EngineError } from '../../src/cluster/errors.js';
import { checkServerVersion } from '../../src/cluster/version.js';

// The engine calls this with the connected server's info.version (and again on every reconnect).
t.test('2.10 and later are accepted', async (t) => {
  for (const v of ['2.10.0', '2.10.27', '2.11.4', '2.12.0-beta.1', '3.0.0', 'v2.10.1']) t.doesNotThrow(() => checkServerVersion(v), v);
});

t.test('older servers are refused with one line naming the version', async (t) => {
  for (const v of ['2.9.10', '2.9.25', '2.2.0', '1.4.1']) {
    t.throws(
      () => checkServerVersion(v, 'NATS server 127.0.0.1:4222'),
      new RegExp(`^NATS server 127\\.0\\.0\\.1:4222 is version ${v.replace(/\./g, '\\.')}; cluster mode needs nats-server 2\\.10 or later`),
      v,
    );
    t.throws(() => checkServerVersion(v), EngineError);
  }
});

t.test('a missing or unreadable version is refused', async (t) => {
  t.throws(() => checkServerVersion(undefined), /reports version ""; cluster mode needs nats-server 2\.10/);
  t.throws(() => checkServerVersion('dev'), /reports version "dev"/);
});
