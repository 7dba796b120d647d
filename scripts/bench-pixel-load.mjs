// The load generator of bench:pixel (run pinned, in its own process, by scripts/bench-pixel.mjs):
// autocannon against one URL, printing its result as JSON. With BENCH_BODY, each request is a POST
// of that JSON body; with BENCH_SPREAD_ADDRESSES, each request claims another client address in
// X-Forwarded-For (the API trusts one proxy hop), as many visitors would, so the per-address route
// limit is exercised and not exhausted.
import autocannon from 'autocannon';

const url = process.env.BENCH_URL;
const body = process.env.BENCH_BODY;
let n = 0;
const address = () => {
  n = (n + 1) % 16_777_216;
  return `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}`;
};

autocannon(
  {
    url,
    connections: Number(process.env.BENCH_CONNECTIONS ?? 50),
    duration: Number(process.env.BENCH_SECONDS ?? 10),
    ...(body ? { method: 'POST', body, headers: { 'content-type': 'application/json' } } : {}),
    ...(process.env.BENCH_SPREAD_ADDRESSES
      ? { requests: [{ setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'x-forwarded-for': address() } }) }] }
      : {}),
  },
  (err, result) => {
    if (err) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    process.stdout.write(JSON.stringify({ rps: result.requests.average, ok: result['2xx'], non2xx: result.non2xx, errors: result.errors, p50: result.latency.p50, p99: result.latency.p99, statusCodes: result.statusCodeStats }));
  },
);
