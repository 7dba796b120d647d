import { MigrationInterface, QueryRunner } from 'typeorm';

export class InboundWebhooks1764000800000 implements MigrationInterface {
  name = 'InboundWebhooks1764000800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- Providers that sign the callbacks they POST to /api/v1/inbound/{id}. The secret is sealed
      -- (AES-256-GCM with ENCRYPTION_KEY, the source id as associated data): verifying a signature
      -- needs it back. The name is the middle of the event type, inbound.<name>.received.
      CREATE TABLE inbound_sources (
        id             text PRIMARY KEY,
        workspace_id   text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        name           text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,39}$'),
        scheme         text NOT NULL CHECK (scheme IN ('standard-webhooks', 'stripe')),
        secret_sealed  text NOT NULL,
        description    text NOT NULL DEFAULT '',
        is_active      boolean NOT NULL DEFAULT true,
        created_at     timestamptz(3) NOT NULL DEFAULT now(),
        updated_at     timestamptz(3) NOT NULL DEFAULT now(),
        UNIQUE (workspace_id, name)
      );
      CREATE INDEX inbound_sources_workspace_idx ON inbound_sources (workspace_id, created_at, id);

      -- Every accepted callback, once: the provider's message id (webhook-id, or a Stripe event's
      -- id) is unique per source, so a retried or replayed callback, even concurrent with the
      -- first, never makes a second event. event_id names the outbox event it became; no foreign
      -- key, since relayed events are purged by retention while this row still answers replays.
      CREATE TABLE inbound_messages (
        id             text PRIMARY KEY,
        source_id      text NOT NULL REFERENCES inbound_sources(id) ON DELETE CASCADE,
        workspace_id   text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        message_id     text NOT NULL,
        event_id       text,
        received_at    timestamptz(3) NOT NULL DEFAULT now(),
        UNIQUE (source_id, message_id)
      );
      CREATE INDEX inbound_messages_received_idx ON inbound_messages (received_at);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE inbound_messages; DROP TABLE inbound_sources;`);
  }
}
