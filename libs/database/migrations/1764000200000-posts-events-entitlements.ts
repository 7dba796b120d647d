import { MigrationInterface, QueryRunner } from 'typeorm';

export class PostsEventsEntitlements1764000200000 implements MigrationInterface {
  name = 'PostsEventsEntitlements1764000200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE posts (
        id           text PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        author_id    text REFERENCES users(id) ON DELETE SET NULL,
        title        text NOT NULL,
        body         text NOT NULL DEFAULT '',
        status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','published','archived')),
        tags         text[] NOT NULL DEFAULT '{}',
        search       tsvector GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || body)) STORED,
        created_at   timestamptz(3) NOT NULL DEFAULT now(),
        updated_at   timestamptz(3) NOT NULL DEFAULT now()
      );
      CREATE INDEX posts_workspace_created_idx ON posts (workspace_id, created_at, id);
      CREATE INDEX posts_workspace_updated_idx ON posts (workspace_id, updated_at, id);
      CREATE INDEX posts_search_idx ON posts USING gin (search);
      CREATE INDEX posts_tags_idx ON posts USING gin (tags);

      -- The transactional outbox: a domain event is written in the transaction of the change
      -- that caused it; the webhooks worker delivers it.
      CREATE TABLE events (
        id           text PRIMARY KEY,
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        type         text NOT NULL,
        data         jsonb NOT NULL,
        created_at   timestamptz(3) NOT NULL DEFAULT now(),
        published_at timestamptz(3)
      );
      CREATE INDEX events_unpublished_idx ON events (created_at, id) WHERE published_at IS NULL;
      CREATE INDEX events_workspace_idx ON events (workspace_id, created_at, id);

      CREATE TABLE entitlement_overrides (
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        feature      text NOT NULL,
        "limit"      bigint,
        created_at   timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, feature)
      );

      -- Consumable usage: per feature and period ('total' or a calendar month 'YYYY-MM').
      CREATE TABLE usage_counters (
        workspace_id text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        feature      text NOT NULL,
        period       text NOT NULL,
        used         bigint NOT NULL DEFAULT 0 CHECK (used >= 0),
        updated_at   timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (workspace_id, feature, period)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE usage_counters; DROP TABLE entitlement_overrides; DROP TABLE events; DROP TABLE posts;`);
  }
}
