import { MigrationInterface, QueryRunner } from 'typeorm';

export class SeoReportsPixel1765100000000 implements MigrationInterface {
  name = 'SeoReportsPixel1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- An SEO audit of one page, as a crawler or a CI job submitted it: the four scores, and how
      -- many issues of each severity it found (the issues themselves are in seo_issues).
      CREATE TABLE seo_reports (
        id              text PRIMARY KEY,
        workspace_id    text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        url             text NOT NULL,
        performance     smallint NOT NULL CHECK (performance BETWEEN 0 AND 100),
        accessibility   smallint NOT NULL CHECK (accessibility BETWEEN 0 AND 100),
        best_practices  smallint NOT NULL CHECK (best_practices BETWEEN 0 AND 100),
        seo             smallint NOT NULL CHECK (seo BETWEEN 0 AND 100),
        issue_count     integer NOT NULL,
        error_count     integer NOT NULL,
        warning_count   integer NOT NULL,
        info_count      integer NOT NULL,
        created_at      timestamptz(3) NOT NULL DEFAULT now()
      );
      CREATE INDEX seo_reports_workspace_created_idx ON seo_reports (workspace_id, created_at, id);
      CREATE INDEX seo_reports_workspace_url_idx ON seo_reports (workspace_id, url, created_at);

      -- The issues of a report, in the order it listed them (position); url and created_at are the
      -- report's, copied so that GET /seo/issues filters and pages without a join.
      CREATE TABLE seo_issues (
        id            text PRIMARY KEY,
        workspace_id  text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        report_id     text NOT NULL REFERENCES seo_reports(id) ON DELETE CASCADE,
        position      integer NOT NULL,
        url           text NOT NULL,
        type          text NOT NULL,
        severity      text NOT NULL CHECK (severity IN ('info', 'warning', 'error')),
        element       text,
        message       text,
        created_at    timestamptz(3) NOT NULL
      );
      CREATE INDEX seo_issues_workspace_created_idx ON seo_issues (workspace_id, created_at, id);
      CREATE INDEX seo_issues_report_idx ON seo_issues (report_id, position);

      -- A workspace's tracking pixel: its public key (pk_…, embedded in web pages, not a secret)
      -- and what it collects.
      CREATE TABLE pixel_settings (
        workspace_id     text PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
        key              text NOT NULL UNIQUE,
        enabled          boolean NOT NULL DEFAULT true,
        track_pageviews  boolean NOT NULL DEFAULT true,
        track_events     boolean NOT NULL DEFAULT true,
        track_sessions   boolean NOT NULL DEFAULT true,
        sample_rate      double precision NOT NULL DEFAULT 1 CHECK (sample_rate >= 0 AND sample_rate <= 1),
        allowed_origins  text[] NOT NULL DEFAULT '{}',
        created_at       timestamptz(3) NOT NULL DEFAULT now(),
        updated_at       timestamptz(3) NOT NULL DEFAULT now()
      );

      -- The hosts a pixel serves without a key (found by the request's Origin or Referer). A host
      -- belongs to one workspace at most: the primary key refuses a second claim (409).
      CREATE TABLE pixel_domains (
        domain        text PRIMARY KEY,
        workspace_id  text NOT NULL REFERENCES pixel_settings(workspace_id) ON DELETE CASCADE,
        created_at    timestamptz(3) NOT NULL DEFAULT now()
      );
      CREATE INDEX pixel_domains_workspace_idx ON pixel_domains (workspace_id);

      -- Tracked events, written by the worker in batches. The id is given when the API accepts the
      -- event, so a batch written again after a worker died stores nothing twice (ON CONFLICT).
      -- Every read is one workspace over a time range: (workspace_id, occurred_at).
      CREATE TABLE pixel_events (
        id             text PRIMARY KEY,
        workspace_id   text NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        event          text NOT NULL,
        url            text NOT NULL,
        referrer       text,
        referrer_host  text,
        user_agent     text,
        session_id     text,
        properties     jsonb,
        occurred_at    timestamptz(3) NOT NULL
      );
      CREATE INDEX pixel_events_workspace_occurred_idx ON pixel_events (workspace_id, occurred_at);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE pixel_events; DROP TABLE pixel_domains; DROP TABLE pixel_settings; DROP TABLE seo_issues; DROP TABLE seo_reports;`);
  }
}
