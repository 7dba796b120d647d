import { MigrationInterface, QueryRunner } from 'typeorm';

export class WebhookDeliveries1764000700000 implements MigrationInterface {
  name = 'WebhookDeliveries1764000700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- How an endpoint is signed. hmac-sha256: secret_sealed holds whsec_…; ed25519: it holds the
      -- whsk_ private key and public_key the whpk_ one. During a rotation's grace the previous
      -- secret keeps signing too (every delivery carries both signatures) until it expires.
      ALTER TABLE webhook_endpoints
        ADD COLUMN signature_scheme text NOT NULL DEFAULT 'hmac-sha256' CHECK (signature_scheme IN ('hmac-sha256', 'ed25519')),
        ADD COLUMN public_key text,
        ADD COLUMN previous_secret_sealed text,
        ADD COLUMN previous_secret_expires_at timestamptz(3),
        -- Start of the current run of failures with no success (the auto-disable clock).
        ADD COLUMN failing_since timestamptz(3),
        ADD COLUMN disabled_at timestamptz(3);

      -- One delivery per (event, endpoint): the relay may run twice, a delivery exists once.
      CREATE TABLE webhook_deliveries (
        id             text PRIMARY KEY,
        workspace_id   text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        endpoint_id    text NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
        event_id       text NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        event_type     text NOT NULL,
        status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'retrying', 'success', 'failed')),
        attempts       integer NOT NULL DEFAULT 0,
        next_retry_at  timestamptz(3),
        last_status_code integer,
        last_error     text,
        created_at     timestamptz(3) NOT NULL DEFAULT now(),
        updated_at     timestamptz(3) NOT NULL DEFAULT now(),
        completed_at   timestamptz(3),
        UNIQUE (event_id, endpoint_id)
      );
      CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at, id);
      CREATE INDEX webhook_deliveries_open_idx ON webhook_deliveries (next_retry_at) WHERE status IN ('pending', 'retrying');
      CREATE INDEX webhook_deliveries_created_idx ON webhook_deliveries (created_at);

      -- Every HTTP attempt of a delivery, as the receiver answered it.
      CREATE TABLE webhook_attempts (
        id             text PRIMARY KEY,
        delivery_id    text NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
        attempt        integer NOT NULL,
        status_code    integer,
        response_body  text,
        duration_ms    integer NOT NULL,
        error          text,
        created_at     timestamptz(3) NOT NULL DEFAULT now()
      );
      CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, attempt);
      CREATE INDEX webhook_attempts_created_idx ON webhook_attempts (created_at);

      -- Relayed events are purged by retention; this finds them without a scan.
      CREATE INDEX events_published_idx ON events (published_at) WHERE published_at IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX events_published_idx;
      DROP TABLE webhook_attempts;
      DROP TABLE webhook_deliveries;
      ALTER TABLE webhook_endpoints DROP COLUMN signature_scheme, DROP COLUMN public_key, DROP COLUMN previous_secret_sealed,
        DROP COLUMN previous_secret_expires_at, DROP COLUMN failing_since, DROP COLUMN disabled_at;
    `);
  }
}
