import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import t from 'tap';
import { SHUTDOWN_LIMIT_MS } from '../../src/process.js';

const PROCESS_MODULE = resolve(import.meta.dirname, '../../src/process.js');

// A stop whose main thread blocks in native code forever (as orphaned shards were seen parked in a
// futex): the shutdown timer never runs, so only the watchdog thread can end the process.
const BLOCKED_STOP = `
  import { onShutdownSignal } from ${JSON.stringify(PROCESS_MODULE)};
  onShutdownSignal(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));
  process.stdout.write('ready\\n');
  setInterval(() => {}, 1000);
`;

t.test('a shutdown blocked in native code is killed by the watchdog within the limit', async (t) => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', BLOCKED_STOP], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((ok) => child.stdout.once('data', () => ok()));
  const signalledAt = Date.now();
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), SHUTDOWN_LIMIT_MS + 10_000);
  const [code, signal] = (await new Promise((ok) => child.once('exit', (c, s) => ok([c, s])))) as [number | null, string | null];
  clearTimeout(killer);
  const tookMs = Date.now() - signalledAt;
  t.equal(signal, 'SIGKILL', `ended by SIGKILL (code ${code})`);
  t.ok(tookMs >= SHUTDOWN_LIMIT_MS, `not before the limit (${tookMs} ms)`);
  t.ok(tookMs < SHUTDOWN_LIMIT_MS + 5_000, `within the limit and its grace (${tookMs} ms), before the test's own kill`);
});
