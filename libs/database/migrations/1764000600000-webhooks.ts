import { MigrationInterface, QueryRunner } from 'typeorm';

export class Webhooks1764000600000 implements MigrationInterface {
  name = 'Webhooks1764000600000';

  async up(q: QueryRunner): Promise<void> {
    // A workspace's webhook endpoints. The signing secret is stored sealed (AES-256-GCM with
    // ENCRYPTION_KEY, the endpoint id as associated data): the worker needs it back to sign, so it
    // cannot be a hash. The counters and disabled_reason are kept by the delivery worker.
    await q.query(`
      CREATE TABLE webhook_endpoints (
        id                    text PRIMARY KEY,
        workspace_id          text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        url                   text NOT NULL,
        description           text NOT NULL DEFAULT '',
        events                text[] NOT NULL,
        is_active             boolean NOT NULL DEFAULT true,
        headers               jsonb NOT NULL DEFAULT '{}',
        rate_limit_per_second integer CHECK (rate_limit_per_second >= 1),
        max_in_flight         integer NOT NULL DEFAULT 10 CHECK (max_in_flight BETWEEN 1 AND 100),
        secret_sealed         text NOT NULL,
        success_count         bigint NOT NULL DEFAULT 0,
        failure_count         bigint NOT NULL DEFAULT 0,
        consecutive_failures  integer NOT NULL DEFAULT 0,
        last_delivery_at      timestamptz(3),
        disabled_reason       text,
        created_at            timestamptz(3) NOT NULL DEFAULT now(),
        updated_at            timestamptz(3) NOT NULL DEFAULT now()
      );
      CREATE INDEX webhook_endpoints_workspace_idx ON webhook_endpoints (workspace_id, created_at, id);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_endpoints`);
  }
}
