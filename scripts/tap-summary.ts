import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Prints the line CI reads, `N passed, N failed`, from tap's TAP output: one count per test
 * point directly inside a test file (its t.test blocks and top-level asserts). A file that failed
 * without a failing test point inside (a crash, a timeout) counts as one failure.
 *
 * Usage: tap-summary <first-run.tap> <status> [--failed-files <out>] [--rerun <rerun.tap>]
 * With --rerun, the files in the re-run replace their first-run results, and the files that
 * failed first and passed on the re-run are named as flaky: a re-run hides nothing.
 */
interface FileResult {
  name: string;
  passed: number;
  failed: number;
  failures: string[];
}

function parse(text: string): Map<string, FileResult> {
  const files = new Map<string, FileResult>();
  let passed = 0;
  let failures: string[] = [];
  for (const line of text.split('\n')) {
    const inFile = /^ {4}(not )?ok \d+(?: - (.*))?/.exec(line);
    if (inFile) {
      if (inFile[1]) failures.push(inFile[2] ?? '(unnamed)');
      else passed++;
      continue;
    }
    const fileResult = /^(not )?ok \d+ - (\S+)/.exec(line);
    if (fileResult) {
      const name = fileResult[2]!;
      if (fileResult[1] && failures.length === 0) failures.push('(the file failed: crash or timeout)');
      files.set(name, { name, passed, failed: failures.length, failures });
      passed = 0;
      failures = [];
    }
  }
  return files;
}

const args = process.argv.slice(2);
const [file, status] = args;
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const results = parse(readFileSync(file!, 'utf8'));
const failedFirst = [...results.values()].filter((r) => r.failed > 0);

const failedFilesOut = option('--failed-files');
if (failedFilesOut) {
  writeFileSync(
    failedFilesOut,
    failedFirst
      .map((r) => r.name)
      .filter((n) => n.endsWith('.js'))
      .join('\n'),
  );
}

const rerunFile = option('--rerun');
const flaky: FileResult[] = [];
if (rerunFile) {
  for (const [name, again] of parse(readFileSync(rerunFile, 'utf8'))) {
    const first = results.get(name);
    if (first && first.failed > 0 && again.failed === 0) flaky.push(first);
    results.set(name, again);
  }
}

let passed = 0;
let failed = 0;
for (const r of results.values()) {
  passed += r.passed;
  failed += r.failed;
}
for (const r of flaky) {
  console.log(`flaky (failed, then passed on its re-run): ${r.name}`);
  for (const f of r.failures) console.log(`  first run: not ok - ${f}`);
}
for (const r of results.values()) {
  for (const f of r.failures) console.log(`FAILED: ${r.name}: ${f}`);
}
if (passed + failed === 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
// tap's own status only counts when nothing was re-run (a re-run's status replaces it).
const code = failed > 0 ? 1 : rerunFile ? 0 : Number(status) || 0;
console.log(`${passed} passed, ${failed} failed`);
process.exit(code);
