import { Body, Controller, Delete, Get, Param, Patch, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ListParams, ListQuery, ListSpec, Page, publicBaseUrl, RequestLike, Returns } from '@tessera/common';
import { Audited } from '../../audit/audited.decorator';
import { Authenticated } from '../../auth/authenticated.decorator';
import { CurrentWorkspace, WorkspaceAccess } from '../../auth/principal';
import { Scope } from '../../auth/scopes';
import { CreateInboundSourceDto, UpdateInboundSourceDto } from './dto/inbound-source.dto';
import { INBOUND_SCHEMES } from './inbound-signature';
import { CreatedInboundSourceDto, InboundSourceDto, presentInboundSource } from './inbound-source.presenter';
import { InboundSourcesService, MAX_INBOUND_SOURCES } from './inbound-sources.service';

const SOURCE_LIST: ListSpec = {
  sortable: ['created_at', 'updated_at', 'name'],
  defaultSort: 'created_at',
  fields: ['id', 'name', 'scheme', 'description', 'is_active', 'url', 'event_type', 'created_at', 'updated_at'],
  filters: { is_active: ['true', 'false'], scheme: INBOUND_SCHEMES },
  updatable: true,
};

/**
 * Providers that sign the callbacks they send (POST /api/v1/inbound/{id}). Mounted under
 * /webhooks/inbound-sources: the module registers this controller before the webhooks one, whose
 * /webhooks/:id would otherwise take "inbound-sources" for an endpoint id on Express.
 */
@ApiTags('Inbound webhooks')
@Controller('webhooks/inbound-sources')
export class InboundSourcesController {
  constructor(private readonly sources: InboundSourcesService) {}

  @Get()
  @ApiOperation({ summary: 'List the inbound sources of the current workspace', description: 'is_active= and scheme= filter. Secrets are never listed.' })
  @Authenticated({ scopes: [Scope.WebhooksRead], workspace: 'header' })
  @Returns(InboundSourceDto, 'Inbound sources fetched.', { list: true })
  async list(@CurrentWorkspace() ws: WorkspaceAccess, @ListParams(SOURCE_LIST) list: ListQuery, @Req() req: RequestLike): Promise<Page<InboundSourceDto>> {
    const base = publicBaseUrl(req);
    return (await this.sources.list(ws.id, list)).map((s) => presentInboundSource(s, base));
  }

  @Post()
  @ApiOperation({
    summary: 'Create an inbound source',
    description:
      'A provider that POSTs signed callbacks to the `url` in the answer; each accepted callback becomes an event of type inbound.<name>.received. ' +
      `The answer carries the secret, the only time it is shown. 409 for a name already taken, or past ${MAX_INBOUND_SOURCES} sources in the workspace; 422 for a bad name, scheme or secret (a stripe source needs its secret).`,
  })
  @Authenticated({ scopes: [Scope.WebhooksWrite], workspace: 'header' })
  @Audited('inbound_source.created', 'inbound_source')
  @Returns(CreatedInboundSourceDto, 'Inbound source created.', { status: 201, errors: [409, 422] })
  async create(@CurrentWorkspace() ws: WorkspaceAccess, @Body() body: CreateInboundSourceDto, @Req() req: RequestLike): Promise<CreatedInboundSourceDto> {
    const { source, secret } = await this.sources.create(ws.id, body);
    return { ...presentInboundSource(source, publicBaseUrl(req)), secret };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get an inbound source' })
  @Authenticated({ scopes: [Scope.WebhooksRead], workspace: 'header' })
  @Returns(InboundSourceDto, 'Inbound source fetched.', { errors: [404] })
  async get(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string, @Req() req: RequestLike): Promise<InboundSourceDto> {
    return presentInboundSource(await this.sources.get(ws.id, id), publicBaseUrl(req));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update an inbound source', description: 'name, description, is_active. Renaming changes the event type of later callbacks. 409 for a name already taken.' })
  @Authenticated({ scopes: [Scope.WebhooksWrite], workspace: 'header' })
  @Audited('inbound_source.updated', 'inbound_source')
  @Returns(InboundSourceDto, 'Inbound source updated.', { errors: [404, 409, 422] })
  async update(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string, @Body() body: UpdateInboundSourceDto, @Req() req: RequestLike): Promise<InboundSourceDto> {
    return presentInboundSource(await this.sources.update(ws.id, id, body), publicBaseUrl(req));
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete an inbound source', description: 'Its callbacks are refused from then on (401); the events it already emitted stay.' })
  @Authenticated({ scopes: [Scope.WebhooksDelete], workspace: 'header' })
  @Audited('inbound_source.deleted', 'inbound_source')
  @Returns(null, 'Inbound source deleted.', { status: 204, errors: [404] })
  async delete(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string): Promise<void> {
    await this.sources.delete(ws.id, id);
  }
}
