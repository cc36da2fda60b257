// Sums the JSON reports of every suite into the one line CI reads: `N passed, N failed, N skipped`.
// A missing report counts as a failure, so a run that executed no test cannot look green.
import { existsSync, readFileSync } from "node:fs";

let passed = 0, failed = 0, skipped = 0;

const vitest = ".reports/vitest.json";
if (existsSync(vitest)) {
  const r = JSON.parse(readFileSync(vitest, "utf8"));
  passed += r.numPassedTests ?? 0;
  failed += (r.numFailedTests ?? 0) + (r.numFailedTestSuites ?? 0);
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
} else {
  console.error(`test-summary: ${vitest} is missing (vitest did not run)`);
  failed += 1;
}

const playwright = ".reports/playwright.json";
if (existsSync(playwright)) {
  const s = JSON.parse(readFileSync(playwright, "utf8")).stats ?? {};
  passed += (s.expected ?? 0) + (s.flaky ?? 0);
  failed += s.unexpected ?? 0;
  skipped += s.skipped ?? 0;
} else {
  console.error(`test-summary: ${playwright} is missing (Playwright did not run)`);
  failed += 1;
}

if (passed + failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
process.exit(failed ? 1 : 0);
