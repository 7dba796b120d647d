import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ListParams, ListQuery, Page, Returns } from '@tessera/common';
import { Audited } from '../audit/audited.decorator';
import { Authenticated } from '../auth/authenticated.decorator';
import { CurrentWorkspace, WorkspaceAccess } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { ReplayDto, RotateSecretDto } from './dto/webhook.dto';
import { DELIVERY_LIST, REPLAY_CAP, WebhookDeliveriesService } from './webhook-deliveries.service';
import {
  DeliveryDetailDto, DeliveryDto, presentAttempt, presentDelivery, presentWebhook, ReplayResultDto, RotatedSecretDto, TestSendResultDto,
} from './webhook.presenter';
import { TEST_SENDS_PER_MINUTE, TestSendResult, WebhookTestSender } from './webhook-test-sender';
import { WebhooksService } from './webhooks.service';

/** An endpoint's secret rotation, test sends and delivery log (retry, replay). */
@ApiTags('Webhooks')
@Controller('webhooks')
export class WebhookDeliveriesController {
  constructor(
    private readonly webhooks: WebhooksService,
    private readonly deliveries: WebhookDeliveriesService,
    private readonly tester: WebhookTestSender,
  ) {}

  @Post(':id/rotate-secret')
  @ApiOperation({
    summary: 'Rotate the signing secret of an endpoint',
    description:
      'Issues a new secret (hmac-sha256: a whsec_ secret, generated or given; ed25519: a new key pair, whose whpk_ public key the answer shows) and shows it once. ' +
      'For grace_period_hours (default 24, 0 to 168) every delivery carries a signature by the old secret beside the new one, so receivers can switch without losing a delivery; with 0 the old secret stops at once.',
  })
  @Authenticated({ scopes: [Scope.WebhooksWrite], workspace: 'header' })
  @Audited('webhook.secret_rotated', 'webhook')
  @Returns(RotatedSecretDto, 'Webhook secret rotated.', { status: 200, errors: [404, 422] })
  async rotateSecret(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string, @Body() body: RotateSecretDto): Promise<RotatedSecretDto> {
    const { endpoint, secret } = await this.webhooks.rotateSecret(ws.id, id, body.grace_period_hours ?? 24, body.secret);
    return { ...presentWebhook(endpoint), secret };
  }

  @Post(':id/test')
  @ApiOperation({
    summary: 'Send a signed webhook.test event to the endpoint now',
    description:
      'Sent from the API with the headers and body shape of a real delivery (webhook-id is a fresh evt_ id, not in the delivery log); the answer says what the receiver answered. ' +
      `A receiver that fails is still a 200 here, with success: false. At most ${TEST_SENDS_PER_MINUTE} per endpoint per minute and one at a time per endpoint: 429 RATE_LIMITED past that.`,
  })
  @Authenticated({ scopes: [Scope.WebhooksWrite], workspace: 'header' })
  @Audited('webhook.test_sent', 'webhook')
  @Returns(TestSendResultDto, 'Test event sent.', { status: 200, errors: [404, 429] })
  test(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string): Promise<TestSendResult> {
    return this.tester.send(ws.id, id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: 'List the deliveries of an endpoint', description: 'Newest first by default. Filters: status=, event_type=; every pagination mode.' })
  @Authenticated({ scopes: [Scope.WebhooksRead], workspace: 'header' })
  @Returns(DeliveryDto, 'Deliveries fetched.', { list: true, errors: [400] })
  async list(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string, @ListParams(DELIVERY_LIST) list: ListQuery): Promise<Page<DeliveryDto>> {
    return (await this.deliveries.list(ws.id, id, list)).map(presentDelivery);
  }

  @Get(':id/deliveries/:delivery_id')
  @ApiOperation({ summary: 'Get a delivery with every attempt and the event it carries' })
  @Authenticated({ scopes: [Scope.WebhooksRead], workspace: 'header' })
  @Returns(DeliveryDetailDto, 'Delivery fetched.')
  async get(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string, @Param('delivery_id') deliveryId: string): Promise<DeliveryDetailDto> {
    const { delivery, attempts, event } = await this.deliveries.get(ws.id, id, deliveryId);
    return {
      ...presentDelivery(delivery),
      attempt_log: attempts.map(presentAttempt),
      event: event ? { id: event.id, type: event.type, created_at: new Date(event.created_at).toISOString(), workspace_id: event.workspace_id, data: event.data } : null,
    };
  }

  @Post(':id/deliveries/:delivery_id/retry')
  @ApiOperation({
    summary: 'Retry a delivery now',
    description:
      'Sets the delivery back to pending and queues it. 400 CANNOT_RETRY when it already succeeded (replay its window with status=success to send it again); ' +
      '409 CONFLICT when the endpoint is disabled (re-enable it first); 503 when the queue is unavailable.',
  })
  @Authenticated({ scopes: [Scope.WebhooksWrite], workspace: 'header' })
  @Audited('webhook.delivery.retried', 'webhook')
  @Returns(DeliveryDto, 'Delivery queued.', { status: 200, errors: [400, 409, 503] })
  async retry(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string, @Param('delivery_id') deliveryId: string): Promise<DeliveryDto> {
    return presentDelivery(await this.deliveries.retry(ws.id, id, deliveryId));
  }

  @Post(':id/replay')
  @ApiOperation({
    summary: 'Queue again the deliveries of a time window',
    description:
      `Deliveries of this endpoint created in [since, until) with the given status (failed by default) are set back to pending and queued, oldest first, at most ${REPLAY_CAP} per call: ` +
      'has_more says more are left, and calling again with the same body queues the next ones. 409 CONFLICT when the endpoint is disabled (re-enable it first); 503 when the queue is unavailable.',
  })
  @Authenticated({ scopes: [Scope.WebhooksWrite], workspace: 'header' })
  @Audited('webhook.replayed', 'webhook')
  @Returns(ReplayResultDto, 'Deliveries queued.', { status: 200, errors: [409, 422, 503] })
  replay(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string, @Body() body: ReplayDto): Promise<ReplayResultDto> {
    return this.deliveries.replay(ws.id, id, body);
  }
}
