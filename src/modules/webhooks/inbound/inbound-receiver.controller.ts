import { Controller, Param, Post, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiExtraModels, ApiHeader, ApiOperation, ApiParam, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { clientIp, ErrorEnvelopeDto, RequestLike, Returns } from '@tessera/common';
import { Audited } from '../../audit/audited.decorator';
import { SkipRateLimit } from '../../rate-limit/route-limit.decorator';
import { Public } from '../../auth/authenticated.decorator';
import { InboundReceiverService } from './inbound-receiver.service';
import { ReceivedCallbackDto } from './inbound-source.presenter';

/** The bootstrap keeps this route's body as received in `rawBody`, on either HTTP platform. */
type RawRequest = RequestLike & { rawBody?: Buffer };

/** Where providers POST their signed callbacks. The bootstrap hands this route its body as raw bytes. */
@ApiTags('Inbound webhooks')
@Controller('inbound')
export class InboundReceiverController {
  constructor(private readonly receiver: InboundReceiverService) {}

  @Post(':source_id')
  @Public()
  // Not the per-address tier bucket: the service limits failures per address and accepted callbacks per source.
  @SkipRateLimit('tier')
  @ApiOperation({
    summary: 'Receive a provider’s signed callback',
    description:
      'No credential: the signature is the credential. The body (any content type, at most 256 KB) is verified as received, byte for byte. ' +
      'standard-webhooks sources: webhook-id, webhook-timestamp and webhook-signature (space-separated v1,<base64 HMAC-SHA256 over "id.timestamp.body">; any may match). ' +
      'stripe sources: Stripe-Signature t=…,v1=… (hex HMAC-SHA256 over "t.body", any v1 may match); the message id is the event’s id. ' +
      'The timestamp must be within 5 minutes of ours, either way. An accepted callback is stored and becomes one event inbound.<source name>.received ' +
      '{source_id, source_name, message_id, payload (the JSON body, or its text when not JSON)}; a message id seen before is answered 200 with duplicate: true and changes nothing. ' +
      'Every refusal of the signature, an unknown, inactive or another workspace’s source, and a stale timestamp are the same 401; ' +
      'past 30 refusals a minute from one address (to one source; to unknown sources together), 429. Accepted callbacks of one source share its workspace tier’s requests per minute.',
  })
  @ApiParam({ name: 'source_id', example: 'src_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' })
  @ApiConsumes('application/json', 'text/plain', 'application/octet-stream')
  @ApiBody({ description: 'The provider’s payload, as it signed it.', schema: { type: 'object', additionalProperties: true } })
  @ApiHeader({ name: 'webhook-id', required: false, description: 'standard-webhooks: the message id (deduplicated per source).' })
  @ApiHeader({ name: 'webhook-timestamp', required: false, description: 'standard-webhooks: unix seconds.' })
  @ApiHeader({ name: 'webhook-signature', required: false, description: 'standard-webhooks: v1,<base64>, several space-separated.' })
  @ApiHeader({ name: 'Stripe-Signature', required: false, description: 'stripe: t=<unix seconds>,v1=<hex>[,v1=<hex>].' })
  @Audited('inbound.received', 'inbound_message')
  @Returns(ReceivedCallbackDto, 'Callback accepted.', { status: 200 })
  @ApiExtraModels(ErrorEnvelopeDto)
  @ApiResponse({ status: 400, description: 'BAD_REQUEST: a verified callback that cannot be stored (a Stripe body that is not an event with an id, a NUL byte in a text body).', schema: { $ref: getSchemaPath(ErrorEnvelopeDto) } })
  @ApiResponse({ status: 401, description: 'UNAUTHORIZED: a missing or invalid signature, a timestamp more than 5 minutes away, or an unknown or inactive source (one answer for all).', schema: { $ref: getSchemaPath(ErrorEnvelopeDto) } })
  @ApiResponse({ status: 413, description: 'PAYLOAD_TOO_LARGE: the body is over 256 KB.', schema: { $ref: getSchemaPath(ErrorEnvelopeDto) } })
  async receive(@Param('source_id') sourceId: string, @Req() req: RawRequest): Promise<ReceivedCallbackDto> {
    return this.receiver.receive({
      sourceId,
      headers: req.headers,
      body: req.rawBody ?? Buffer.alloc(0),
      ip: clientIp(req),
    });
  }
}
