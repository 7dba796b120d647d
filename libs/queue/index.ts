export * from './redis';
export * from './queues';
export * from './local-redis';
export * from './redis.module';
export * from './bull';
export * from './credential-cache';
export * from './gcra-limiter';
