// The reference of npm run bench:webhooks: a bare BullMQ worker that POSTs each job's body to the
// receiver with undici and nothing else (no database, no signing, no log, no fairness).
import { Worker } from 'bullmq';
import { Agent } from 'undici';

const [redisUrl, queueName, target, concurrency] = process.argv.slice(2);
const agent = new Agent({ connections: 128 });
const url = new URL(target);
const worker = new Worker(
  queueName,
  async (job) => {
    const res = await agent.request({
      origin: url.origin,
      path: url.pathname,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': job.data.id },
      body: job.data.body,
    });
    await res.body.dump();
    if (res.statusCode >= 300) throw new Error(`status ${res.statusCode}`);
  },
  { connection: { url: redisUrl, maxRetriesPerRequest: null }, prefix: 'bench', concurrency: Number(concurrency) },
);
process.on('SIGTERM', async () => {
  await worker.close();
  await agent.close();
  process.exit(0);
});
