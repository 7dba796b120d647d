import { Body, Controller, Delete, Get, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiError, ListParams, ListQuery, ListSpec, Page, pageOfArray, publicBaseUrl, RequestLike, Returns } from '@tessera/common';
import { Audited, AuditedByService } from '../audit/audited.decorator';
import { Authenticated } from '../auth/authenticated.decorator';
import { AuthenticatedRequest, CurrentWorkspace, WorkspaceAccess } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { CallToolDto, CreateMcpServerDto, ResourceQueryDto, UpdateMcpServerDto } from './dto/mcp.dto';
import { callerOf } from './mcp-caller';
import { McpGatewayService } from './mcp-gateway.service';
import { BUILT_IN_SERVER, MAX_MCP_SERVERS, resourceUriOf } from './mcp-rules';
import { McpServersService } from './mcp-servers.service';
import { McpServerDto, McpToolDto, presentMcpServer, ResourceContentsDto, ToolCallResultDto } from './mcp.presenter';

const SERVER_LIST: ListSpec = {
  sortable: ['created_at', 'name'],
  defaultSort: 'created_at',
  fields: ['id', 'name', 'description', 'url', 'built_in', 'header_names', 'tools', 'created_at', 'updated_at'],
};

const TOOL_LIST: ListSpec = {
  sortable: ['name'],
  defaultSort: 'name',
  fields: ['name', 'title', 'description', 'input_schema', 'annotations', 'required_scopes'],
};

const builtInIsFixed = () => ApiError.conflict(`"${BUILT_IN_SERVER}" is the built-in server: it cannot be changed or deleted.`);

@ApiTags('MCP')
@Controller('mcp')
export class McpGatewayController {
  constructor(
    private readonly gateway: McpGatewayService,
    private readonly servers: McpServersService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get('servers')
  @ApiOperation({
    summary: 'List the MCP servers of the workspace',
    description: 'The built-in server "tessera" (Tessera’s own tools and records, also served at /mcp) first, then the registered remote servers, oldest first. Header values are never shown.',
  })
  @Authenticated({ scopes: [Scope.McpRead], workspace: 'header' })
  @Returns(McpServerDto, 'MCP servers fetched.', { list: true })
  async list(@CurrentWorkspace() ws: WorkspaceAccess, @ListParams(SERVER_LIST) list: ListQuery, @Req() req: RequestLike): Promise<Page<McpServerDto>> {
    const servers = await this.gateway.list(ws.id, publicBaseUrl(req));
    return pageOfArray(servers, list, (s, field) => (field === 'name' ? s.name : (s.created_at ?? '')));
  }

  @Post('servers')
  @ApiOperation({
    summary: 'Register a remote MCP server',
    description: `A Streamable HTTP MCP server the gateway may call for this workspace. 409 for a name already taken or past ${MAX_MCP_SERVERS} servers; 422 for a URL that is not https or reaches a non-public address.`,
  })
  @Authenticated({ scopes: [Scope.McpWrite], workspace: 'header' })
  @Audited('mcp_server.created', 'mcp_server')
  @Returns(McpServerDto, 'MCP server registered.', { status: 201, errors: [409, 422] })
  async create(@CurrentWorkspace() ws: WorkspaceAccess, @Body() body: CreateMcpServerDto): Promise<McpServerDto> {
    return presentMcpServer(await this.servers.create(ws.id, body), null);
  }

  @Get('servers/:id')
  @ApiOperation({ summary: 'Get an MCP server', description: 'By id, by name, or "tessera" for the built-in server.' })
  @ApiParam({ name: 'id', description: 'A registered server’s id (mcp_…) or name, or "tessera".', example: 'tessera' })
  @Authenticated({ scopes: [Scope.McpRead], workspace: 'header' })
  @Returns(McpServerDto, 'MCP server fetched.', { errors: [404] })
  get(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string, @Req() req: RequestLike): Promise<McpServerDto> {
    return this.gateway.get(ws.id, id, publicBaseUrl(req));
  }

  @Patch('servers/:id')
  @ApiOperation({ summary: 'Update a registered MCP server', description: 'name, url (checked like on registration), description, headers (replaces them all). 409 for the built-in server, a name already taken, or a change of its url or headers by another request since this one read it.' })
  @Authenticated({ scopes: [Scope.McpWrite], workspace: 'header' })
  @Audited('mcp_server.updated', 'mcp_server')
  @Returns(McpServerDto, 'MCP server updated.', { errors: [404, 409, 422] })
  async update(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string, @Body() body: UpdateMcpServerDto): Promise<McpServerDto> {
    if (id === BUILT_IN_SERVER) throw builtInIsFixed();
    return presentMcpServer(await this.servers.update(ws.id, id, body), null);
  }

  @Delete('servers/:id')
  @ApiOperation({ summary: 'Delete a registered MCP server' })
  @Authenticated({ scopes: [Scope.McpDelete], workspace: 'header' })
  @Audited('mcp_server.deleted', 'mcp_server')
  @Returns(null, 'MCP server deleted.', { status: 204, errors: [404, 409] })
  async delete(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string): Promise<void> {
    if (id === BUILT_IN_SERVER) throw builtInIsFixed();
    await this.servers.delete(ws.id, id);
  }

  @Get('servers/:id/tools')
  @ApiOperation({
    summary: 'List the tools of an MCP server',
    description:
      'The built-in server’s tools with the scopes each needs (required_scopes); a remote server is asked live (tools/list, at most 10 pages and 1 MiB of tools: the list stops at the first tool past either), its answer kept 60 s when under 256 KiB. ' +
      '502 BAD_GATEWAY when the remote fails or its address is refused, 504 GATEWAY_TIMEOUT when it does not answer within MCP_TIMEOUT_MS (30 s).',
  })
  @Authenticated({ scopes: [Scope.McpRead], workspace: 'header' })
  @Returns(McpToolDto, 'MCP tools fetched.', { list: true, errors: [404, 429, 502, 504] })
  async tools(@CurrentWorkspace() ws: WorkspaceAccess, @Param('id') id: string, @ListParams(TOOL_LIST) list: ListQuery): Promise<Page<McpToolDto>> {
    const tools = (await this.gateway.listTools(ws.id, id)).map((t) => ({ ...t, id: t.name }));
    return pageOfArray(tools, list, (t) => t.name).map(({ id: _, ...tool }) => tool);
  }

  @Post('tools/call')
  @ApiOperation({
    summary: 'Call a tool of an MCP server',
    description:
      'Built-in server: the tool runs in this workspace and also needs its own scopes (403 naming them); its arguments are checked against its input_schema (422 under arguments.*); ' +
      'a tool that refuses (a post not found …) answers with its own status. Remote server: called over Streamable HTTP; its answer, isError included, is the result (200). ' +
      '502 BAD_GATEWAY when the remote fails, answers wrongly or its address is refused; 504 GATEWAY_TIMEOUT past MCP_TIMEOUT_MS (30 s). Every call is audited (mcp.tool.called / mcp.tool.failed).',
  })
  @Authenticated({ scopes: [Scope.McpWrite], workspace: 'header' })
  @AuditedByService('mcp.tool.called', 'mcp_server')
  @Returns(ToolCallResultDto, 'MCP tool called.', { status: 200, errors: [404, 422, 429, 502, 504] })
  call(@Req() req: RequestLike & AuthenticatedRequest, @Body() body: CallToolDto): Promise<ToolCallResultDto> {
    return this.gateway.callTool(callerOf(req), body.server, body.tool, body.arguments);
  }

  @Get('resources/*uri')
  @ApiOperation({
    summary: 'Read an MCP resource',
    description:
      'The URI may hold slashes, written as they are or percent-encoded (tessera%3A%2F%2Fposts%2F…); it is decoded once. Built-in server (default): tessera://posts/{id} ' +
      '(posts:read) and tessera://webhooks/{id} (webhooks:read), the workspace’s records; any other URI names nothing (404), files of the host included. ' +
      'With server=, a registered server is asked (resources/read): 502/504 as for tool calls.',
  })
  @ApiParam({ name: 'uri', description: 'The resource URI.', example: 'tessera://posts/pst_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' })
  @Authenticated({ scopes: [Scope.McpRead], workspace: 'header' })
  @Returns(ResourceContentsDto, 'MCP resource read.', { errors: [400, 404, 429, 502, 504] })
  resource(@Req() req: RequestLike & AuthenticatedRequest, @Query() query: ResourceQueryDto): Promise<ResourceContentsDto> {
    const uri = resourceUriOf(this.adapterHost.httpAdapter.getRequestUrl(req));
    return this.gateway.readResource(callerOf(req), query.server ?? BUILT_IN_SERVER, uri);
  }
}
