import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApiError, ErrorCode, isId, unseal } from '@tessera/common';
import { inboundEventType, Outbox } from '@tessera/database';
import { GcraLimiter } from '@tessera/queue';
import { APP_CONFIG, AppConfig } from '../../../config/config';
import type { Tier } from '../../auth/principal';
import { failOpen } from '../../rate-limit/fail-open';
import { FailedAuthLimiter } from '../../rate-limit/failed-auth.limiter';
import { capacityOf } from '../../rate-limit/tiers';
import { InboundHeaders, inboundPayload, stripeEventId, verifyStandardWebhook, verifyStripe } from './inbound-signature';
import { InboundSourceEntity } from './inbound-source.entity';
import { InboundSourcesRepository } from './inbound-sources.repository';

/**
 * One answer for every refusal of the credential: an unknown, inactive or foreign source, a
 * missing or wrong signature, a stale timestamp. Nothing tells a caller which source ids exist.
 */
const REFUSED = 'The callback is not accepted: the signature is missing or invalid, its timestamp is more than 5 minutes away, or the source does not exist or is inactive.';

/** Checks signatures for sources that do not exist or are inactive: it verifies nothing. */
const DECOY_SECRET = `whsec_${randomBytes(24).toString('base64')}`;

export interface InboundCallback {
  sourceId: string;
  headers: InboundHeaders;
  /** The body exactly as received: the signature covers these bytes. */
  body: Buffer;
  ip: string;
}

export interface ReceivedCallback {
  /** inb_…: the stored message. */
  id: string;
  /** evt_…: the outbox event it became (the first callback's, for a duplicate). */
  event_id: string | null;
  event_type: string;
  /** True when this message id was received before: nothing new was stored or emitted. */
  duplicate: boolean;
}

/**
 * Provider callbacks: verified against the raw body with the source's secret, then stored and
 * written to the outbox as inbound.<source name>.received in one transaction, once per provider
 * message id. The signature is the credential, so failures count against the client address like
 * failed sign-ins (FailedAuthLimiter), and accepted callbacks against a per-source bucket of the
 * workspace's tier.
 */
@Injectable()
export class InboundReceiverService {
  private readonly log = new Logger(InboundReceiverService.name);

  constructor(
    private readonly repo: InboundSourcesRepository,
    private readonly outbox: Outbox,
    private readonly failedAuth: FailedAuthLimiter,
    private readonly limiter: GcraLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async receive(callback: InboundCallback): Promise<ReceivedCallback> {
    const { source, tier, webhookId } = await this.authenticate(callback);
    await this.assertWithinRate(source.id, tier);

    const stored = inboundPayload(callback.body);
    if (!stored) throw ApiError.badRequest('The body holds a NUL character and is not JSON: it cannot be stored.');
    const messageId = source.scheme === 'stripe' ? stripeEventId(stored.json) : webhookId;
    if (!messageId) throw ApiError.badRequest('A Stripe callback is a JSON event with a string "id" of at most 255 characters.');
    const message = await this.repo
      .transaction(async () => {
        const claimed = await this.repo.claimMessage(source, messageId);
        if (!claimed || claimed.duplicate) return claimed;
        const data = { source_id: source.id, source_name: source.name, message_id: messageId, payload: stored.payload };
        const eventId = await this.outbox.write({ workspaceId: source.workspaceId, type: inboundEventType(source.name), data });
        await this.repo.setMessageEvent(claimed.id, eventId);
        return { ...claimed, eventId };
      })
      .catch((err: unknown) => {
        // The source was deleted between its check and the insert (foreign key violation).
        if ((err as { code?: unknown }).code === '23503') return null;
        throw err;
      });
    if (!message) throw ApiError.unauthorized(REFUSED);
    return { id: message.id, event_id: message.eventId, event_type: inboundEventType(source.name), duplicate: message.duplicate };
  }

  /**
   * The source, if it exists, is active and signed this callback (with the Standard Webhooks
   * webhook-id, which the signature covers); else 401. Refusals are counted like failed sign-ins
   * (FailedAuthLimiter), per address AND source for an existing source, per address otherwise:
   * providers send every tenant's callbacks from a few shared addresses, so one tenant's failing
   * source (or a provider pointed at an unknown id) must not get every other tenant's callbacks
   * from that provider refused.
   */
  private async authenticate(callback: InboundCallback): Promise<{ source: InboundSourceEntity; tier: Tier; webhookId: string | null }> {
    const found = isId('src', callback.sourceId) ? await this.repo.findForReceiving(callback.sourceId) : null;
    const bucket = found?.source.isActive ? `${callback.ip}|${found.source.id}` : callback.ip;
    await this.failedAuth.assertAllowed(bucket);
    const now = Math.floor(Date.now() / 1000);
    if (found?.source.isActive) {
      const { source } = found;
      const secret = unseal(this.config.encryptionKey, source.secretSealed, source.id).toString('utf8');
      if (source.scheme === 'stripe') {
        if (verifyStripe(secret, callback.headers, callback.body, now)) return { ...found, webhookId: null };
      } else {
        const webhookId = verifyStandardWebhook(secret, callback.headers, callback.body, now);
        if (webhookId) return { ...found, webhookId };
      }
    } else {
      // The same work as a real check, so that the time of the answer does not tell either.
      verifyStandardWebhook(DECOY_SECRET, callback.headers, callback.body, now);
    }
    await this.failedAuth.recordFailure(bucket);
    throw ApiError.unauthorized(REFUSED);
  }

  /**
   * Accepted callbacks of one source share a bucket of its workspace's tier (requests per minute
   * plus burst), like the API key of a workspace would: a provider sends from few addresses, so a
   * per-address bucket would be the wrong one. Fails open when Redis does not answer.
   */
  private async assertWithinRate(sourceId: string, tier: Tier): Promise<void> {
    if (!this.config.rateLimitEnabled) return;
    const limit = capacityOf(tier);
    const result = await failOpen(this.limiter.check(`inbound:${sourceId}`, limit, 60_000), this.log);
    if (!result || result.allowed) return;
    const retryAfter = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
    throw new ApiError(
      429,
      ErrorCode.RATE_LIMITED,
      `This source accepts ${limit} callbacks per 60 s; retry in ${retryAfter} s.`,
      { retry_after: retryAfter, limit, remaining: 0, reset_at: new Date(Date.now() + result.resetMs).toISOString() },
      { 'Retry-After': String(retryAfter) },
    );
  }
}
