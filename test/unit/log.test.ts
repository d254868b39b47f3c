import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { ROOT } from '../helpers/service.js';

const LOG = join(ROOT, 'dist/src/log.js');

/** Runs `code` in a fresh node with `env`, returns its stdout lines as JSON (`any`: the tests assert on their shape). */
function run(code: string, env: Record<string, string> = {}): Record<string, any>[] {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `import { initLogger } from ${JSON.stringify(LOG)};\n${code}`], {
    env: { ...process.env, LOG_LEVEL: '', ...env },
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, any>);
}

t.test('JSON lines: level as a word, ISO time, process, pid and bindings', async (t) => {
  const [line] = run(`initLogger('shard', { shard: 3 }).info('hello');`);
  t.match(line, { level: 'info', process: 'shard', shard: 3, msg: 'hello' });
  t.type(line!.pid, 'number');
  t.match(line!.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

t.test('errors are logged with their stack and the context given', async (t) => {
  const [line] = run(`initLogger('front').error({ err: new TypeError('boom'), route: '/events' }, 'internal error');`);
  t.match(line, { level: 'error', route: '/events', msg: 'internal error', err: { type: 'TypeError', message: 'boom' } });
  t.match(line!.err.stack, /TypeError: boom/);
});

t.test('LOG_LEVEL filters; unknown values mean info', async (t) => {
  const code = `const l = initLogger('front'); l.debug('d'); l.info('i'); l.warn('w');`;
  t.same(
    run(code).map((l) => l.msg),
    ['i', 'w'],
  );
  t.same(
    run(code, { LOG_LEVEL: 'debug' }).map((l) => l.msg),
    ['d', 'i', 'w'],
  );
  t.same(
    run(code, { LOG_LEVEL: 'WARN' }).map((l) => l.msg),
    ['w'],
  );
  t.same(
    run(code, { LOG_LEVEL: 'loud' }).map((l) => l.msg),
    ['i', 'w'],
  );
});
