import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { ApiError } from '@tessera/common';
import { CredentialCache } from '@tessera/queue';
import { PixelStatsQueryDto, StatsInterval, UpdatePixelSettingsDto } from './dto/pixel.dto';
import { PixelEventsRepository } from './pixel-events.repository';
import { PixelIngest } from './pixel-ingest';
import { decide, hostOf, normalizeDomain, normalizeOrigin, originAllowed, PixelSettings, referrerHostOf } from './pixel-rules';
import { PixelSettingsRepository } from './pixel-settings.repository';
import { PixelSettingsDto, PixelStatsDto, presentPixelSettings, TrackedDto } from './pixel.presenter';

/** The request a public pixel route answers: who the page says it is. */
export interface PageHeaders {
  origin?: string;
  referer?: string;
}

export interface TrackInput {
  event: string;
  url: string;
  referrer?: string;
  userAgent?: string;
  properties?: Record<string, unknown>;
  sessionId?: string;
}

const STEP_MS: Record<StatsInterval, number> = { hour: 3_600_000, day: 86_400_000 };
const DEFAULT_SPAN_MS: Record<StatsInterval, number> = { hour: 24 * 3_600_000, day: 30 * 86_400_000 };
/** The most buckets one stats answer has (about 41 days by the hour, 2.7 years by the day). */
export const MAX_BUCKETS = 1_000;

/** Cache groups: dropping one forgets every cached lookup of that workspace, or of that host, in every API process. */
const workspaceGroup = (workspaceId: string) => `pixel:${workspaceId}`;
const hostGroup = (host: string) => `pixel-host:${host}`;

/**
 * Tracking pixels: each workspace's settings and public key, the public routes' decisions (which
 * workspace, which origin, tracked or not), and stats. Settings are looked up per process through
 * the CredentialCache (5 s, dropped everywhere on change), so a tracked event costs no query.
 */
@Injectable()
export class PixelService {
  constructor(
    private readonly settingsRepo: PixelSettingsRepository,
    private readonly events: PixelEventsRepository,
    private readonly ingest: PixelIngest,
    private readonly cache: CredentialCache,
  ) {}

  async settings(workspaceId: string): Promise<PixelSettingsDto> {
    await this.settingsRepo.ensure(workspaceId, newPixelKey());
    return presentPixelSettings((await this.settingsRepo.find(workspaceId))!);
  }

  /** 409 CONFLICT naming the domains another workspace holds; nothing changes then. */
  async updateSettings(workspaceId: string, patch: UpdatePixelSettingsDto): Promise<PixelSettingsDto> {
    const domains = patch.domains ? [...new Set(patch.domains.map((d) => normalizeDomain(d)!))] : undefined;
    const before = await this.settingsRepo.transaction(async () => {
      await this.settingsRepo.ensure(workspaceId, newPixelKey());
      const current = (await this.settingsRepo.find(workspaceId))!;
      await this.settingsRepo.update(workspaceId, {
        enabled: patch.enabled,
        features: patch.features,
        sampleRate: patch.sample_rate,
        allowedOrigins: patch.allowed_origins ? [...new Set(patch.allowed_origins.map((o) => normalizeOrigin(o)!))] : undefined,
      });
      if (domains) {
        const taken = await this.settingsRepo.replaceDomains(workspaceId, domains);
        if (taken.length) {
          throw ApiError.conflict(`Another workspace’s pixel holds ${taken.join(', ')}.`, { domains: taken.map((d) => `${d} is held by another workspace`) });
        }
      }
      return current;
    });
    // After the commit: every API process forgets this pixel, and the cached "nobody" of each newly claimed host.
    await this.cache.revoke(workspaceGroup(workspaceId));
    for (const host of (domains ?? []).filter((d) => !before.domains.includes(d))) await this.cache.revoke(hostGroup(host));
    return presentPixelSettings((await this.settingsRepo.find(workspaceId))!);
  }

  /**
   * The pixel a public request is for: by its key, else by the host of its Origin (else Referer)
   * among the pixels' domains; 404 when there is none (or the host is claimed twice). A request
   * from a browser page (Origin) that the pixel does not allow is 403.
   */
  async pixelFor(key: string | undefined, page: PageHeaders): Promise<PixelSettings> {
    const pixel = key ? await this.byKey(key) : await this.byHost(hostOf(page.origin) ?? hostOf(page.referer));
    if (!pixel) throw ApiError.notFound('Pixel');
    if (page.origin !== undefined && !originAllowed(pixel, page.origin)) {
      throw ApiError.forbidden('This origin is not allowed to use this pixel: add it to allowed_origins, or its host to domains.');
    }
    return pixel;
  }

  /** Decides and, when tracked, queues the event; answers once the queue holds it. */
  async track(pixel: PixelSettings, input: TrackInput): Promise<TrackedDto> {
    const decision = decide(pixel, input.event, input.sessionId);
    if (!decision.tracked) return { tracked: false, reason: decision.reason };
    const referrer = input.referrer || undefined;
    await this.ingest.accept({
      workspaceId: pixel.workspaceId,
      event: input.event,
      url: input.url,
      referrer: referrer ?? null,
      referrerHost: referrerHostOf(referrer, input.url),
      userAgent: input.userAgent?.slice(0, 512) || null,
      sessionId: decision.keepSession ? (input.sessionId ?? null) : null,
      properties: input.properties && Object.keys(input.properties).length ? input.properties : null,
      occurredAt: new Date().toISOString(),
    });
    return { tracked: true };
  }

  async stats(workspaceId: string, query: PixelStatsQueryDto): Promise<PixelStatsDto> {
    const interval = query.interval ?? 'day';
    const to = query.to ? new Date(query.to) : new Date();
    const from = query.from ? new Date(query.from) : new Date(to.getTime() - DEFAULT_SPAN_MS[interval]);
    const step = STEP_MS[interval];
    const first = Math.floor(from.getTime() / step) * step;
    if (!(from < to)) throw ApiError.badRequest('Invalid query parameters.', { from: ['must be before to'] });
    if ((to.getTime() - first) / step > MAX_BUCKETS) {
      throw ApiError.badRequest('Invalid query parameters.', { from: [`the range holds more than ${MAX_BUCKETS} buckets of one ${interval}: narrow it or use a longer interval`] });
    }
    const rows = await this.events.stats(workspaceId, from, to, interval);
    const byBucket = new Map(rows.buckets.filter((b) => b.bucket !== null).map((b) => [b.bucket!.getTime(), b]));
    const total = rows.buckets.find((b) => b.bucket === null);
    const series = [];
    for (let at = first; at < to.getTime(); at += step) {
      const b = byBucket.get(at);
      series.push({ at: new Date(at).toISOString(), pageviews: b?.pageviews ?? 0, events: b?.events ?? 0, unique_sessions: b?.unique_sessions ?? 0 });
    }
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      interval,
      totals: { pageviews: total?.pageviews ?? 0, events: total?.events ?? 0, unique_sessions: total?.unique_sessions ?? 0 },
      series,
      top_urls: rows.topUrls,
      top_referrers: rows.topReferrers,
    };
  }

  private async byKey(key: string): Promise<PixelSettings | null> {
    const cacheKey = `pixel:key:${key}`;
    const cached = this.cache.get<PixelSettings>(cacheKey);
    if (cached !== undefined) return cached;
    const found = await this.settingsRepo.findByKey(key);
    if (found) this.cache.set(cacheKey, workspaceGroup(found.workspaceId), found);
    else this.cache.set(cacheKey, 'pixel-key-unknown', null, CredentialCache.MISS_TTL_MS);
    return found;
  }

  private async byHost(host: string | null): Promise<PixelSettings | null> {
    if (!host) return null;
    const cacheKey = `pixel:host:${host}`;
    const cached = this.cache.get<PixelSettings>(cacheKey);
    if (cached !== undefined) return cached;
    const found = await this.settingsRepo.findByHost(host);
    if (found) this.cache.set(cacheKey, workspaceGroup(found.workspaceId), found);
    else this.cache.set(cacheKey, hostGroup(host), null, CredentialCache.MISS_TTL_MS);
    return found;
  }
}

/** A pixel's public key: pk_ and 128 random bits in hex. */
function newPixelKey(): string {
  return `pk_${randomBytes(16).toString('hex')}`;
}
