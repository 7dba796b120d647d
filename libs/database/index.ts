export * from './data-source';
export * from './paginate';
export * from './migrate';
export * from './embedded-postgres';
export * from './sql';
export * from './outbox';
export * from './database';
export * from './event-types';
