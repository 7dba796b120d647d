// `npm test`: unit specs, then the e2e suite on real PostgreSQL and Redis once per HTTP platform
// (Express, the default, and Fastify). Stops at the first failing step.
import { spawnSync } from 'node:child_process';

const vitest = ['node_modules/vitest/vitest.mjs', 'run'];
const steps = [
  { name: 'unit specs', args: [...vitest, '--project', 'unit'], env: {} },
  { name: 'e2e on Express', args: [...vitest, '--project', 'e2e'], env: { HTTP_ADAPTER: 'express' } },
  { name: 'e2e on Fastify', args: [...vitest, '--project', 'e2e'], env: { HTTP_ADAPTER: 'fastify' } },
];

const typecheck = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit'], { stdio: 'inherit' });
if (typecheck.status !== 0) {
  process.stderr.write('\ntypecheck failed\n');
  process.exit(typecheck.status ?? 1);
}
for (const step of steps) {
  process.stdout.write(`\n=== ${step.name} ===\n`);
  const r = spawnSync(process.execPath, [...step.args, ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, ...step.env } });
  if (r.status !== 0) {
    process.stderr.write(`\n${step.name} failed\n`);
    process.exit(r.status ?? 1);
  }
}
