/**
 * Node flags of every Tessera process (API and worker), wherever it is started: `npm start`, the
 * benchmarks, and package.json's start:api / start:worker (which spell them out).
 *
 * A young generation of 32 MB per semi-space instead of V8's 16 MB: a request's garbage (rows,
 * envelopes, JSON) dies young, and under load V8 scavenged often enough that the collector was the
 * largest single item of the API's CPU profile (10 to 17 %). Measured with bench:api.
 */
export const NODE_FLAGS = ['--max-semi-space-size=32'];
