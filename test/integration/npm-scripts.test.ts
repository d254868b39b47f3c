import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ROOT } from '../helpers/service.js';

/**
 * An npm script on a fresh clone after `npm ci`: no dist/ yet. A copy of the sources with the
 * installed node_modules stands in for the clone; the script must build what it runs and print
 * its usage. One script, since each build takes 30-60 s on the 2-core machine; the unit test
 * test/unit/npm-scripts checks that every script builds first.
 */
t.test('npm run chaos works from a tree with no dist/', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wt-fresh-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const entry of ['package.json', 'tsconfig.json', 'ecosystem.config.js', 'src', 'scripts', 'test', 'bench']) {
    cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  t.notOk(existsSync(join(dir, 'dist')), 'no dist/ to start with');
  for (const script of ['chaos']) {
    const r = spawnSync('npm', ['run', '--silent', script, '--', '--help'], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
    t.equal(r.status, 0, `npm run ${script} -- --help exits 0${r.status === 0 ? '' : `: ${r.stderr.slice(-2000)}`}`);
    t.match(r.stdout, new RegExp(`Usage: npm run ${script} -- `), `npm run ${script} prints its usage`);
  }
});
