// `npm run operator -- grant EMAIL | revoke EMAIL | list`: who is a platform operator. Operators set
// tiers and entitlement overrides under /api/v1/admin/…; the flag is set here, on the server, and
// never through the API. Uses DATABASE_URL, else the embedded PostgreSQL of `npm start` (started
// for the moment when it is not running).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [command, email] = process.argv.slice(2);
const usage = 'usage: npm run operator -- grant EMAIL | revoke EMAIL | list';

if (!['grant', 'revoke', 'list'].includes(command) || (command !== 'list' && !email)) {
  process.stderr.write(`${usage}\n`);
  process.exit(2);
}

async function connect() {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => undefined };
  const port = Number(process.env.EMBEDDED_PG_PORT ?? 54329);
  const url = `postgres://tessera:tessera@127.0.0.1:${port}/tessera`;
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
    await probe.end();
    return { url, stop: async () => undefined };
  } catch {
    // npm start is not running: start its embedded cluster for this command only.
    if (!existsSync(join(root, '.data/postgres/PG_VERSION'))) throw new Error('no DATABASE_URL and no embedded database under .data/ (run npm start once)');
    if (!existsSync(join(root, 'dist/libs/database/index.js'))) throw new Error('run npm run build first');
    const { startEmbeddedPostgres } = await import(join(root, 'dist/libs/database/index.js'));
    const handle = await startEmbeddedPostgres({ dir: join(root, '.data/postgres'), port, database: 'tessera', persistent: true });
    return { url: handle.url, stop: handle.stop };
  }
}

const db = await connect();
const client = new pg.Client({ connectionString: db.url });
let code = 0;
try {
  await client.connect();
  if (command === 'list') {
    const { rows } = await client.query('SELECT email, name FROM users WHERE is_operator ORDER BY email');
    process.stdout.write(rows.length ? rows.map((r) => `${r.email}\t${r.name}`).join('\n') + '\n' : 'no platform operators\n');
  } else {
    const { rowCount } = await client.query('UPDATE users SET is_operator = $2, updated_at = now() WHERE email = $1', [email.trim().toLowerCase(), command === 'grant']);
    if (!rowCount) {
      process.stderr.write(`no account uses ${email}\n`);
      code = 1;
    } else {
      process.stdout.write(`${email} ${command === 'grant' ? 'is now' : 'is no longer'} a platform operator\n`);
    }
  }
} catch (err) {
  process.stderr.write(`operator: ${err instanceof Error ? err.message : String(err)}\n`);
  code = 1;
} finally {
  await client.end().catch(() => undefined);
  await db.stop();
}
process.exit(code);
