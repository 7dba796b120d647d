// `npm test`: typecheck, unit specs, then the e2e suite on real PostgreSQL and Redis once per HTTP
// platform (Express, the default, and Fastify) and once more with DATABASE_POOL_MAX=1. Stops at the first failing step and ends with one
// plain summary line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
  try {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    totals.passed += json.numPassedTests;
    totals.failed += json.numFailedTests;
    totals.skipped += json.numPendingTests + json.numTodoTests;
  } catch {
    totals.failed += 1; // no report: the run itself broke
  }
  if (r.status !== 0) {
    process.stderr.write(`\n${step.name} failed\n`);
    finish(r.status ?? 1);
  }
}
finish(0);
