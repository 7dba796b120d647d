import { MigrationInterface, QueryRunner } from 'typeorm';

export class OpenDeliveriesByEndpoint1765500000000 implements MigrationInterface {
  name = 'OpenDeliveriesByEndpoint1765500000000';

  async up(q: QueryRunner): Promise<void> {
    // The index of open deliveries was keyed on next_retry_at, which no statement orders or ranges
    // by: PostgreSQL used it whole, as a list of every open delivery, whenever its statistics said
    // few were open (a quiet table analyzed, then a burst): each attempt's lookup of its own
    // delivery, and a workspace's delivery log filtered on pending, read every workspace's open
    // deliveries (20,003 rows a lookup). And whenever they said many were open, the recovery
    // sweep walked the primary key of the whole table instead (80,003 rows to find 3). Keyed on
    // (endpoint_id, id), it answers what those statements ask: one open delivery, an endpoint's
    // open deliveries, all of them in (endpoint_id, id) order for the sweep's pages.
    await q.query(`
      DROP INDEX webhook_deliveries_open_idx;
      CREATE INDEX webhook_deliveries_open_idx ON webhook_deliveries (endpoint_id, id) WHERE status IN ('pending', 'retrying');
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX webhook_deliveries_open_idx;
      CREATE INDEX webhook_deliveries_open_idx ON webhook_deliveries (next_retry_at) WHERE status IN ('pending', 'retrying');
    `);
  }
}
