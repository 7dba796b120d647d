import { Injectable } from '@nestjs/common';
import { Database } from '@tessera/database';
import type { PixelSettings } from './pixel-rules';

export type StoredPixelSettings = PixelSettings & { createdAt: Date; updatedAt: Date };

export interface PixelSettingsPatch {
  enabled?: boolean;
  features?: Partial<PixelSettings['features']>;
  sampleRate?: number;
  allowedOrigins?: string[];
}

interface SettingsRow {
  workspace_id: string;
  key: string;
  enabled: boolean;
  track_pageviews: boolean;
  track_events: boolean;
  track_sessions: boolean;
  sample_rate: number;
  allowed_origins: string[];
  domains: string[];
  created_at: Date;
  updated_at: Date;
}

const SELECT = `
  SELECT s.workspace_id, s.key, s.enabled, s.track_pageviews, s.track_events, s.track_sessions, s.sample_rate, s.allowed_origins, s.created_at, s.updated_at,
         COALESCE((SELECT array_agg(d.domain ORDER BY d.domain) FROM pixel_domains d WHERE d.workspace_id = s.workspace_id), '{}') AS domains
    FROM pixel_settings s`;

function toSettings(r: SettingsRow): StoredPixelSettings {
  return {
    workspaceId: r.workspace_id,
    key: r.key,
    enabled: r.enabled,
    features: { pageviews: r.track_pageviews, events: r.track_events, sessions: r.track_sessions },
    sampleRate: Number(r.sample_rate),
    domains: r.domains,
    allowedOrigins: r.allowed_origins,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Pixel settings and the domains they claim: one row per workspace, made on first use. */
@Injectable()
export class PixelSettingsRepository {
  constructor(private readonly db: Database) {}

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** Makes the workspace's settings with this key unless it has some already. */
  async ensure(workspaceId: string, key: string): Promise<void> {
    await this.db.query(`INSERT INTO pixel_settings (workspace_id, key) VALUES ($1, $2) ON CONFLICT (workspace_id) DO NOTHING`, [workspaceId, key]);
  }

  async find(workspaceId: string): Promise<StoredPixelSettings | null> {
    const rows = await this.db.query<SettingsRow[]>(`${SELECT} WHERE s.workspace_id = $1`, [workspaceId]);
    return rows[0] ? toSettings(rows[0]) : null;
  }

  async findByKey(key: string): Promise<StoredPixelSettings | null> {
    const rows = await this.db.query<SettingsRow[]>(`${SELECT} WHERE s.key = $1`, [key]);
    return rows[0] ? toSettings(rows[0]) : null;
  }

  /** The one workspace that claims `host`; null when none does, or (should it ever happen) more than one. */
  async findByHost(host: string): Promise<StoredPixelSettings | null> {
    const rows = await this.db.query<SettingsRow[]>(`${SELECT} WHERE s.workspace_id IN (SELECT workspace_id FROM pixel_domains WHERE domain = $1) LIMIT 2`, [host]);
    return rows.length === 1 ? toSettings(rows[0]) : null;
  }

  /** Changes the given settings (the row stays locked until the transaction ends). */
  async update(workspaceId: string, patch: PixelSettingsPatch): Promise<void> {
    await this.db.query(
      `UPDATE pixel_settings SET
         enabled = COALESCE($2, enabled),
         track_pageviews = COALESCE($3, track_pageviews),
         track_events = COALESCE($4, track_events),
         track_sessions = COALESCE($5, track_sessions),
         sample_rate = COALESCE($6, sample_rate),
         allowed_origins = COALESCE($7, allowed_origins),
         updated_at = now()
       WHERE workspace_id = $1`,
      [workspaceId, patch.enabled ?? null, patch.features?.pageviews ?? null, patch.features?.events ?? null, patch.features?.sessions ?? null, patch.sampleRate ?? null, patch.allowedOrigins ?? null],
    );
  }

  /**
   * Makes `domains` the workspace's list, in the open transaction. Returns the ones another
   * workspace holds (nothing of them is claimed): the caller refuses the change. A concurrent
   * claim of the same domain waits on the primary key and then sees the winner's row.
   */
  async replaceDomains(workspaceId: string, domains: string[]): Promise<string[]> {
    await this.db.query(`DELETE FROM pixel_domains WHERE workspace_id = $1 AND NOT (domain = ANY($2::text[]))`, [workspaceId, domains]);
    await this.db.query(`INSERT INTO pixel_domains (domain, workspace_id) SELECT unnest($2::text[]), $1 ON CONFLICT (domain) DO NOTHING`, [workspaceId, domains]);
    const taken = await this.db.query<Array<{ domain: string }>>(`SELECT domain FROM pixel_domains WHERE domain = ANY($2::text[]) AND workspace_id <> $1 ORDER BY domain`, [workspaceId, domains]);
    return taken.map((r) => r.domain);
  }
}
