import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';

/**
 * Every npm script works on a fresh clone after `npm ci`, where dist/ does not exist yet: a script
 * that runs compiled code builds first (in the script itself, or in its `pre` script), and the file
 * it runs is compiled from a source that exists. (test/integration/npm-scripts runs some for real.)
 */
const ROOT = resolve(import.meta.dirname, '../../..');
const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const BUILD = 'npm run build --silent';

t.test('every script that runs dist/ builds first', async (t) => {
  const runners = Object.entries(scripts).filter(([, cmd]) => /\bdist\//.test(cmd));
  t.ok(runners.length >= 7, `${runners.map(([n]) => n).join(', ')} run compiled code`);
  for (const [name, cmd] of runners) {
    const first = cmd.indexOf('dist/');
    const buildsBefore = cmd.slice(0, first).includes(`${BUILD} &&`) || scripts[`pre${name}`] === BUILD;
    t.ok(buildsBefore, `npm run ${name} builds before it runs dist/: ${JSON.stringify(cmd)}`);
    for (const [, file] of cmd.matchAll(/\bdist\/(\S+)\.js\b/g)) {
      t.ok(existsSync(join(ROOT, `${file}.ts`)), `${name}: dist/${file}.js is compiled from ${file}.ts`);
    }
  }
});
