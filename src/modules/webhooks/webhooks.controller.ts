import { Body, Controller, Delete, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ListParams, ListQuery, ListSpec, Page, pageOfArray, Returns } from '@tessera/common';
import { Audited } from '../audit/audited.decorator';
import { Authenticated } from '../auth/authenticated.decorator';
import { CurrentWorkspace, WorkspaceAccess } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { CreateWebhookDto, UpdateWebhookDto } from './dto/webhook.dto';
import { EVENT_TYPE_CATALOG } from './event-types';
import { CreatedWebhookDto, EventTypeDto, presentEventType, presentWebhook, WebhookDto } from './webhook.presenter';
import { WEBHOOK_LIST, WebhooksService } from './webhooks.service';

const EVENT_TYPE_LIST: ListSpec = { sortable: ['type'], defaultSort: 'type', fields: ['type', 'description', 'example'] };

@ApiTags('Webhooks')
@Controller('webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  // Declared before :id so that "event-types" is never read as an endpoint id.
  @Get('event-types')
  @ApiOperation({ summary: 'List every event type an endpoint may subscribe to, with a description and an example payload' })
  @Authenticated({ scopes: [Scope.WebhooksRead], workspace: 'header' })
  @Returns(EventTypeDto, 'Event types fetched.', { list: true })
  eventTypes(@ListParams(EVENT_TYPE_LIST) list: ListQuery): Page<EventTypeDto> {
    return pageOfArray(EVENT_TYPE_CATALOG.map((e) => ({ id: e.type, ...e })), list, (e) => e.type).map(presentEventType);
  }

  @Get()
  @ApiOperation({ summary: 'List the webhook endpoints of the current workspace', description: 'is_active= filters. Secrets are never listed.' })
  @Authenticated({ scopes: [Scope.WebhooksRead], workspace: 'header' })
  @Returns(WebhookDto, 'Webhook endpoints fetched.', { list: true })
  async list(@CurrentWorkspace() ws: WorkspaceAccess, @ListParams(WEBHOOK_LIST) list: ListQuery): Promise<Page<WebhookDto>> {
    return (await this.webhooks.list(ws.id, list)).map(presentWebhook);
  }

  @Post()
  @ApiOperation({
    summary: 'Create a webhook endpoint',
    description:
      'The answer carries the signing secret, the only time it is shown: a whsec_ secret (hmac-sha256, the default), or with signature_scheme ed25519 the whsk_ private key, whose whpk_ public_key every endpoint answer shows. 403 FEATURE_LIMIT_REACHED past the plan’s webhooks limit; 422 for a URL that is not https or reaches a non-public address.',
  })
  @Authenticated({ scopes: [Scope.WebhooksWrite], workspace: 'header' })
  @Audited('webhook.created', 'webhook')
  @Returns(CreatedWebhookDto, 'Webhook endpoint created.', { status: 201, errors: [422] })
  async create(@CurrentWorkspace() ws: WorkspaceAccess, @Body() body: CreateWebhookDto): Promise<CreatedWebhookDto> {
    const { endpoint, secret } = await this.webhooks.create(ws, body);
    return { ...presentWebhook(endpoint), secret };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a webhook endpoint' })
  @Authenticated({ scopes: [Scope.WebhooksRead], workspace: 'header' })
  @Returns(WebhookDto, 'Webhook endpoint fetched.', { errors: [404] })
  async get(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string): Promise<WebhookDto> {
    return presentWebhook(await this.webhooks.get(ws.id, id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a webhook endpoint', description: 'A new url is checked like on creation.' })
  @Authenticated({ scopes: [Scope.WebhooksWrite], workspace: 'header' })
  @Audited('webhook.updated', 'webhook')
  @Returns(WebhookDto, 'Webhook endpoint updated.', { errors: [404, 422] })
  async update(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string, @Body() body: UpdateWebhookDto): Promise<WebhookDto> {
    return presentWebhook(await this.webhooks.update(ws.id, id, body));
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a webhook endpoint' })
  @Authenticated({ scopes: [Scope.WebhooksDelete], workspace: 'header' })
  @Audited('webhook.deleted', 'webhook')
  @Returns(null, 'Webhook endpoint deleted.', { status: 204, errors: [404] })
  async delete(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string): Promise<void> {
    await this.webhooks.delete(ws.id, id);
  }
}
