import { applyDecorators, Body, Controller, Get, Headers, Options, Post, Query, Res, StreamableFile } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiConsumes, ApiHeader, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiError, ApiErrors, Returns } from '@tessera/common';
import { NotAudited } from '../audit/audited.decorator';
import { Public } from '../auth/authenticated.decorator';
import { RouteLimit, SkipRateLimit } from '../rate-limit/route-limit.decorator';
import { PixelKeyQueryDto, TrackEventDto, TrackGifQueryDto } from './dto/pixel.dto';
import { hostOf, PAGEVIEW } from './pixel-rules';
import { PixelConfigDto, presentPixelConfig, TrackedDto } from './pixel.presenter';
import { PixelService } from './pixel.service';

/** Where pages send events; the bootstrap also reads text/plain there as JSON (navigator.sendBeacon). */
export const PIXEL_TRACK_PATH = '/api/v1/pixel/track';
/** The routes customer sites call from their pages: their CORS is the pixel's own (see preflight), never the API's first-party CORS. */
export const PIXEL_CORS_PATHS: ReadonlySet<string> = new Set([PIXEL_TRACK_PATH, '/api/v1/pixel/config']);

/** 1×1 transparent GIF (43 bytes). */
const GIF = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
/** 300 requests per minute per client address on each public route (its own bucket per route). */
const PUBLIC_LIMIT = { limit: 300, windowSeconds: 60, by: 'ip' } as const;

/** What every public pixel route carries: no credential, no tier limit (no caller), 300 a minute per address, and the page headers it reads. */
function PublicPixelRoute(): MethodDecorator {
  return applyDecorators(
    Public(),
    SkipRateLimit('tier'),
    RouteLimit(PUBLIC_LIMIT),
    ApiHeader({ name: 'Origin', required: false, description: 'A browser page’s origin: without key, its host picks the workspace; it must be allowed (else 403).' }),
    ApiHeader({ name: 'Referer', required: false, description: 'Without key and Origin, its host picks the workspace.' }),
  );
}

/**
 * The public pixel routes: no credential. The workspace comes from the pixel key, else from the
 * page's host among the pixels' domains. Not under the caller's tier limit (there is no caller):
 * each route allows 300 requests a minute per client address. A browser page gets CORS headers
 * when the pixel allows its origin; the preflight (OPTIONS) answers any origin, since the actual
 * request is where the pixel decides.
 */
@ApiTags('Pixel')
@Controller('pixel')
export class PixelController {
  constructor(
    private readonly pixel: PixelService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get('config')
  @ApiOperation({ summary: 'The pixel configuration of a page', description: 'By ?key=, else by the host of the Origin (else Referer) header among the pixels’ domains: 404 when no pixel (or two) claims it.' })
  @PublicPixelRoute()
  @Returns(PixelConfigDto, 'Pixel configuration fetched.', { errors: [400, 403, 404] })
  async config(@Query() query: PixelKeyQueryDto, @Headers('origin') origin: string | undefined, @Headers('referer') referer: string | undefined, @Res({ passthrough: true }) res: unknown): Promise<PixelConfigDto> {
    const pixel = await this.pixel.pixelFor(query.key, { origin, referer });
    this.allowOrigin(res, origin);
    return presentPixelConfig(pixel);
  }

  @Post('track')
  @ApiOperation({
    summary: 'Track an event',
    description:
      'Answers {tracked: true} once the event is queued (the worker stores it in a batch moments later), or {tracked: false, reason} when the pixel is disabled, ' +
      'the event’s feature is off, or sampling dropped it. 422 for a bad payload; 503 when the queue cannot take it (nothing was accepted: retry). ' +
      'The body may also come as text/plain holding the same JSON: what navigator.sendBeacon sends without a CORS preflight.',
  })
  @ApiConsumes('application/json', 'text/plain')
  @PublicPixelRoute()
  @NotAudited()
  @Returns(TrackedDto, 'Event processed.', { status: 200, errors: [403, 404, 422, 503] })
  async track(
    @Body() body: TrackEventDto,
    @Headers('origin') origin: string | undefined,
    @Headers('referer') referer: string | undefined,
    @Headers('user-agent') userAgent: string | undefined,
    @Res({ passthrough: true }) res: unknown,
  ): Promise<TrackedDto> {
    const pixel = await this.pixel.pixelFor(body.key, { origin, referer });
    this.allowOrigin(res, origin);
    return this.pixel.track(pixel, {
      event: body.event,
      url: body.url,
      referrer: body.referrer,
      userAgent: body.user_agent ?? userAgent,
      properties: body.properties,
      sessionId: body.session_id,
    });
  }

  @Get('track.gif')
  @ApiOperation({
    summary: 'Track an event from a page without JavaScript (1×1 GIF)',
    description: 'The same as POST /pixel/track from query parameters, for an <img> tag; url defaults to the Referer. Answers the GIF whatever the decision; X-Pixel-Tracked says it.',
  })
  @PublicPixelRoute()
  @ApiProduces('image/gif')
  @ApiResponse({ status: 200, description: 'A 1×1 transparent GIF; X-Pixel-Tracked: true or false.', content: { 'image/gif': { schema: { type: 'string', format: 'binary' } } } })
  @ApiErrors(400, 403, 404, 503)
  async trackGif(
    @Query() query: TrackGifQueryDto,
    @Headers('origin') origin: string | undefined,
    @Headers('referer') referer: string | undefined,
    @Headers('user-agent') userAgent: string | undefined,
    @Res({ passthrough: true }) res: unknown,
  ): Promise<StreamableFile> {
    const url = query.url ?? (hostOf(referer) ? referer : undefined);
    if (!url || url.length > 2048) throw ApiError.badRequest('Invalid query parameters.', { url: ['url is required when the request has no http(s) Referer'] });
    const pixel = await this.pixel.pixelFor(query.key, { origin, referer });
    const result = await this.pixel.track(pixel, { event: query.event ?? PAGEVIEW, url, referrer: query.referrer, userAgent, sessionId: query.session_id });
    const http = this.adapterHost.httpAdapter;
    http.setHeader(res, 'Cache-Control', 'no-store');
    http.setHeader(res, 'X-Pixel-Tracked', String(result.tracked));
    return new StreamableFile(GIF, { type: 'image/gif', length: GIF.length });
  }

  @Options(['config', 'track'])
  @ApiOperation({ summary: 'CORS preflight of the pixel routes', description: 'Allows any origin to ask: the actual request answers 403 for an origin its pixel does not allow, and carries no CORS headers then.' })
  @Public()
  @SkipRateLimit('tier', 'route')
  @Returns(null, 'Preflight answered.', { status: 204 })
  preflight(@Headers('origin') origin: string | undefined, @Res({ passthrough: true }) res: unknown): void {
    if (!origin) return;
    const http = this.adapterHost.httpAdapter;
    http.setHeader(res, 'Access-Control-Allow-Origin', origin);
    http.setHeader(res, 'Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
    http.setHeader(res, 'Access-Control-Allow-Headers', 'Content-Type');
    http.setHeader(res, 'Access-Control-Max-Age', '86400');
    http.setHeader(res, 'Vary', 'Origin');
  }

  /** pixelFor has let this origin through: the page may read the answer. */
  private allowOrigin(res: unknown, origin: string | undefined): void {
    if (!origin) return;
    this.adapterHost.httpAdapter.setHeader(res, 'Access-Control-Allow-Origin', origin);
    this.adapterHost.httpAdapter.setHeader(res, 'Vary', 'Origin');
  }
}
