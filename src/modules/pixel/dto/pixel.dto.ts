import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, IsArray, IsBoolean, IsIn, IsISO8601, IsNumber, IsObject, IsOptional, IsString, IsUrl, Matches, Max, MaxLength, Min, Validate, ValidateNested,
  ValidationArguments, ValidatorConstraint, ValidatorConstraintInterface,
} from 'class-validator';
import { normalizeDomain, normalizeOrigin } from '../pixel-rules';

export const PIXEL_KEY = /^pk_[0-9a-f]{32}$/;
const EVENT_NAME = /^[\p{L}\p{N}][\p{L}\p{N}_.:\- ]{0,63}$/u;
const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;
const PAGE_URL = { protocols: ['http', 'https'], require_protocol: true, require_tld: false, allow_underscores: true };
export const MAX_PROPERTIES = 32;
export const MAX_DOMAINS = 50;

/** Why `properties` is refused, or null: a flat object of at most 32 keys with short scalar values. */
export function propertiesProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'properties must be an object';
  const entries = Object.entries(value);
  if (entries.length > MAX_PROPERTIES) return `properties may have at most ${MAX_PROPERTIES} keys`;
  for (const [key, v] of entries) {
    if (key.length === 0 || key.length > 64) return 'each property name must be 1 to 64 characters';
    const ok = v === null || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= 1000);
    if (!ok) return `properties.${key} must be a string of at most 1000 characters, a finite number, a boolean or null`;
  }
  return null;
}

@ValidatorConstraint({ name: 'pixelProperties' })
class PropertiesConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return propertiesProblem(value) === null;
  }
  defaultMessage(args: ValidationArguments): string {
    return propertiesProblem(args.value) ?? 'properties are invalid';
  }
}

@ValidatorConstraint({ name: 'domain' })
class DomainConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && normalizeDomain(value) !== null;
  }
  defaultMessage(args: ValidationArguments): string {
    return `"${String(args.value).slice(0, 100)}" is not a domain: a host name such as example.com or www.example.com, without scheme, port or path`;
  }
}

@ValidatorConstraint({ name: 'origin' })
class OriginConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && normalizeOrigin(value) !== null;
  }
  defaultMessage(args: ValidationArguments): string {
    return `"${String(args.value).slice(0, 100)}" is not an origin: scheme://host[:port] such as https://app.example.com, or *`;
  }
}

export class TrackEventDto {
  @ApiPropertyOptional({ example: 'pk_3f9a1c0e5b7d4a2f8e6c1b0a9d8e7f6a', description: 'The pixel key. Without it, the workspace is the one whose pixel domains hold the Origin (else Referer) host.' })
  @IsOptional() @IsString() @Matches(PIXEL_KEY, { message: 'key must be a pixel key: pk_ and 32 hex digits' })
  key?: string;

  @ApiProperty({ maxLength: 64, example: 'pageview', description: '"pageview", or the name of a custom event (letters, digits, spaces, _ . : -).' })
  @IsString() @Matches(EVENT_NAME, { message: 'event must be 1-64 letters, digits, spaces, _ . : or -, starting with a letter or digit' })
  event: string;

  @ApiProperty({ maxLength: 2048, example: 'https://example.com/page' })
  @IsString() @MaxLength(2048) @IsUrl(PAGE_URL, { message: 'url must be an http or https URL' })
  url: string;

  @ApiPropertyOptional({ maxLength: 2048, example: 'https://google.com', description: 'document.referrer; empty means none.' })
  @IsOptional() @IsString() @MaxLength(2048)
  referrer?: string;

  @ApiPropertyOptional({ maxLength: 512, example: 'Mozilla/5.0…', description: 'Default: the request’s User-Agent.' })
  @IsOptional() @IsString() @MaxLength(512)
  user_agent?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string', maxLength: 1000 }, { type: 'number' }, { type: 'boolean' }, { type: 'null' }] },
    maxProperties: MAX_PROPERTIES,
    example: { title: 'Page Title' },
  })
  @IsOptional() @Validate(PropertiesConstraint)
  properties?: Record<string, string | number | boolean | null>;

  @ApiPropertyOptional({ maxLength: 128, example: 'ses_8f2c1a', description: 'The visitor’s session (letters, digits, _ and -): unique sessions count these; sampling keeps or drops a session whole.' })
  @IsOptional() @IsString() @Matches(SESSION_ID, { message: 'session_id must be 1-128 letters, digits, _ or -' })
  session_id?: string;
}

export class TrackGifQueryDto {
  @ApiPropertyOptional({ description: 'The pixel key; without it, the Referer’s host decides the workspace.' })
  @IsOptional() @IsString() @Matches(PIXEL_KEY, { message: 'key must be a pixel key: pk_ and 32 hex digits' })
  key?: string;

  @ApiPropertyOptional({ default: 'pageview' })
  @IsOptional() @IsString() @Matches(EVENT_NAME, { message: 'event must be 1-64 letters, digits, spaces, _ . : or -, starting with a letter or digit' })
  event?: string;

  @ApiPropertyOptional({ description: 'The page; default: the Referer.' })
  @IsOptional() @IsString() @MaxLength(2048) @IsUrl(PAGE_URL, { message: 'url must be an http or https URL' })
  url?: string;

  @ApiPropertyOptional({ maxLength: 2048 })
  @IsOptional() @IsString() @MaxLength(2048)
  referrer?: string;

  @ApiPropertyOptional({ maxLength: 128 })
  @IsOptional() @IsString() @Matches(SESSION_ID, { message: 'session_id must be 1-128 letters, digits, _ or -' })
  session_id?: string;

  @ApiPropertyOptional({ maxLength: 64, description: 'A cache buster; ignored.' })
  @IsOptional() @IsString() @MaxLength(64)
  cb?: string;
}

export class PixelKeyQueryDto {
  @ApiPropertyOptional({ example: 'pk_3f9a1c0e5b7d4a2f8e6c1b0a9d8e7f6a', description: 'Without it, the Origin (else Referer) host decides the workspace.' })
  @IsOptional() @IsString() @Matches(PIXEL_KEY, { message: 'key must be a pixel key: pk_ and 32 hex digits' })
  key?: string;
}

export class PixelFeaturesPatchDto {
  @ApiPropertyOptional() @IsOptional() @IsBoolean() pageviews?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() events?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() sessions?: boolean;
}

export class UpdatePixelSettingsDto {
  @ApiPropertyOptional({ description: 'false: every event is answered {tracked: false} and nothing is stored.' })
  @IsOptional() @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ type: PixelFeaturesPatchDto, description: 'pageviews (event "pageview"), events (every other name), sessions (session_id kept); the ones given change.' })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => PixelFeaturesPatchDto)
  features?: PixelFeaturesPatchDto;

  @ApiPropertyOptional({ minimum: 0, maximum: 1, example: 1, description: 'Share of sessions kept (events without a session: at random).' })
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) @Max(1)
  sample_rate?: number;

  @ApiPropertyOptional({ type: [String], maxItems: MAX_DOMAINS, example: ['example.com', 'www.example.com'], description: 'Hosts this pixel serves without a key, replacing the list. A host another workspace holds is 409.' })
  @IsOptional() @IsArray() @ArrayMaxSize(MAX_DOMAINS) @IsString({ each: true }) @Validate(DomainConstraint, { each: true })
  domains?: string[];

  @ApiPropertyOptional({ type: [String], maxItems: MAX_DOMAINS, example: ['https://app.example.net'], description: 'Browser origins allowed besides the domains’ own (http and https), replacing the list; * allows any.' })
  @IsOptional() @IsArray() @ArrayMaxSize(MAX_DOMAINS) @IsString({ each: true }) @Validate(OriginConstraint, { each: true })
  allowed_origins?: string[];
}

export const STATS_INTERVALS = ['hour', 'day'] as const;
export type StatsInterval = (typeof STATS_INTERVALS)[number];

export class PixelStatsQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'Start (inclusive). Default: 24 hours (interval=hour) or 30 days (interval=day) before `to`.' })
  @IsOptional() @IsISO8601({ strict: true }, { message: 'from must be an ISO 8601 date or date-time' })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'End (exclusive). Default: now.' })
  @IsOptional() @IsISO8601({ strict: true }, { message: 'to must be an ISO 8601 date or date-time' })
  to?: string;

  @ApiPropertyOptional({ enum: STATS_INTERVALS, default: 'day', description: 'Buckets of the series, in UTC.' })
  @IsOptional() @IsIn(STATS_INTERVALS)
  interval?: StatsInterval;
}
