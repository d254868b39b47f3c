import { readFileSync } from 'node:fs';

/**
 * Prints the line CI reads, `N passed, N failed`, from tap's TAP output: one count per test
 * point directly inside a test file (its t.test blocks and top-level asserts). A file that failed
 * without a failing test point inside (a crash, a timeout) counts as one failure.
 */
const [file, status] = process.argv.slice(2);
const lines = readFileSync(file!, 'utf8').split('\n');
let passed = 0;
let failed = 0;
let failedInFile = 0;
for (const line of lines) {
  const inFile = /^ {4}(not )?ok \d+/.exec(line);
  if (inFile) {
    if (inFile[1]) {
      failed++;
      failedInFile++;
    } else passed++;
    continue;
  }
  const fileResult = /^(not )?ok \d+/.exec(line);
  if (fileResult) {
    if (fileResult[1] && failedInFile === 0) failed++;
    failedInFile = 0;
  }
}
const code = Number(status) || (failed > 0 ? 1 : 0);
if (passed + failed === 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(code !== 0 ? code : 0);
