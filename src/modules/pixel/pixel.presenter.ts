import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { STATS_INTERVALS } from './dto/pixel.dto';
import type { PixelSettings } from './pixel-rules';

export class PixelFeaturesDto {
  @ApiProperty({ example: true, description: 'Events named "pageview".' }) pageviews: boolean;
  @ApiProperty({ example: true, description: 'Every other event name.' }) events: boolean;
  @ApiProperty({ example: true, description: 'session_id is kept (unique sessions).' }) sessions: boolean;
}

/** What a page needs to know (GET /pixel/config): no key, domain or origin. */
export class PixelConfigDto {
  @ApiProperty({ example: true }) enabled: boolean;
  @ApiProperty({ type: PixelFeaturesDto }) features: PixelFeaturesDto;
  @ApiProperty({ example: 1.0, minimum: 0, maximum: 1 }) sample_rate: number;
}

export class PixelSettingsDto extends PixelConfigDto {
  @ApiProperty({ example: 'pk_3f9a1c0e5b7d4a2f8e6c1b0a9d8e7f6a', description: 'The public pixel key, for web pages (not a secret).' }) key: string;
  @ApiProperty({ type: [String], example: ['example.com'] }) domains: string[];
  @ApiProperty({ type: [String], example: ['https://app.example.net'] }) allowed_origins: string[];
  @ApiProperty({ type: 'string', format: 'date-time' }) created_at: string;
  @ApiProperty({ type: 'string', format: 'date-time' }) updated_at: string;
}

export class TrackedDto {
  @ApiProperty({ example: true, description: 'Whether the event was accepted: queued now, stored by the worker shortly.' }) tracked: boolean;
  @ApiPropertyOptional({ enum: ['disabled', 'feature_disabled', 'sampled_out'], description: 'Why not, when tracked is false.' }) reason?: string;
}

export class PixelSeriesPointDto {
  @ApiProperty({ type: 'string', format: 'date-time', description: 'Start of the bucket (UTC).' }) at: string;
  @ApiProperty() pageviews: number;
  @ApiProperty({ description: 'Events other than pageviews.' }) events: number;
  @ApiProperty() unique_sessions: number;
}

export class PixelTotalsDto {
  @ApiProperty() pageviews: number;
  @ApiProperty() events: number;
  @ApiProperty({ description: 'Distinct session_id over the whole range (not the sum of the buckets).' }) unique_sessions: number;
}

export class PixelTopUrlDto {
  @ApiProperty() url: string;
  @ApiProperty() pageviews: number;
}

export class PixelTopReferrerDto {
  @ApiProperty({ example: 'www.google.com', description: 'The referring host (links within the page’s own host are not referrers).' }) referrer: string;
  @ApiProperty() pageviews: number;
}

export class PixelStatsDto {
  @ApiProperty({ type: 'string', format: 'date-time' }) from: string;
  @ApiProperty({ type: 'string', format: 'date-time' }) to: string;
  @ApiProperty({ enum: STATS_INTERVALS }) interval: string;
  @ApiProperty({ type: PixelTotalsDto }) totals: PixelTotalsDto;
  @ApiProperty({ type: [PixelSeriesPointDto], description: 'One point per bucket from `from` (rounded down to the interval) to `to`, zeros included.' }) series: PixelSeriesPointDto[];
  @ApiProperty({ type: [PixelTopUrlDto], description: 'The 10 URLs with the most pageviews.' }) top_urls: PixelTopUrlDto[];
  @ApiProperty({ type: [PixelTopReferrerDto], description: 'The 10 referring hosts with the most pageviews.' }) top_referrers: PixelTopReferrerDto[];
}

export function presentPixelConfig(s: PixelSettings): PixelConfigDto {
  return { enabled: s.enabled, features: { ...s.features }, sample_rate: s.sampleRate };
}

export function presentPixelSettings(s: PixelSettings & { createdAt: Date; updatedAt: Date }): PixelSettingsDto {
  return {
    key: s.key,
    ...presentPixelConfig(s),
    domains: s.domains,
    allowed_origins: s.allowedOrigins,
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
  };
}
