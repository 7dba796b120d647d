import { createServer } from 'node:net';

/**
 * A free TCP port for a server a spec stops and starts again (its own Redis), below Linux's
 * ephemeral range (32768-60999). A port in that range can be taken while the server is down: by
 * any outgoing connection of the suite, or by a client reconnecting to it, which the kernel may
 * connect to itself (TCP simultaneous open). The restarted redis-server then cannot bind.
 */
export async function restartablePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}
