import { Body, Controller, Delete, Get, Post, Req, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiError, ApiErrors, ErrorCode, OwnProtocol, publicBaseUrl, RequestLike } from '@tessera/common';
import { Authenticated } from '../auth/authenticated.decorator';
import { AuthenticatedRequest } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { callerOf } from './mcp-caller';
import { TesseraMcpServer } from './tessera-mcp-server';

/** Where MCP clients reach Tessera's own server (outside /api/v1). */
export const MCP_SERVER_PATH = '/mcp';

/** The only request headers the Streamable HTTP transport reads. */
const TRANSPORT_HEADERS = ['accept', 'content-type', 'mcp-protocol-version', 'mcp-session-id', 'last-event-id'];

/** The parts of a request the web-standard transport reads, as a fetch Request (the body is passed already parsed). */
function transportRequest(req: RequestLike): Request {
  const headers = new Headers();
  for (const name of TRANSPORT_HEADERS) {
    const value = req.headers[name];
    if (typeof value === 'string') headers.set(name, value);
  }
  return new Request(`${publicBaseUrl(req)}${MCP_SERVER_PATH}`, { method: 'POST', headers });
}

const notOffered = () =>
  new ApiError(405, ErrorCode.METHOD_NOT_ALLOWED, 'This MCP server is stateless: POST JSON-RPC messages to /mcp. It opens no SSE stream (GET) and keeps no session to end (DELETE).', {}, { Allow: 'POST' });

const MCP_DESCRIPTION =
  'Tessera as an MCP server over Streamable HTTP, stateless (no Mcp-Session-Id): POST one JSON-RPC 2.0 message or a batch, with Accept: application/json, text/event-stream. ' +
  'It answers JSON (200 with the JSON-RPC responses; 202 with no body when only notifications or responses were sent), in JSON-RPC’s own format rather than the envelope; ' +
  'refusals before the MCP layer (credential, scope, workspace, rate limit, body) come in the envelope. Needs mcp:read; each tool also needs its own scopes, listed in its description ' +
  'and in _meta["tessera/required_scopes"] of tools/list, and a call without them is a tool error (isError) naming them. Tools: list_posts, get_post, create_post, list_webhooks, ' +
  'list_deliveries, retry_delivery, get_usage_summary. Resources: tessera://posts/{id} and tessera://webhooks/{id} (posts:read, webhooks:read). Every tools/call is audited.';

/** Tessera's own MCP server, at /mcp (outside /api/v1: the bootstrap excludes it from the prefix). */
@ApiTags('MCP')
@Controller(MCP_SERVER_PATH.slice(1))
export class McpServerController {
  constructor(
    private readonly server: TesseraMcpServer,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Post()
  @OwnProtocol()
  @Authenticated({ scopes: [Scope.McpRead], workspace: 'header' })
  @ApiOperation({ summary: 'Send MCP JSON-RPC messages (Streamable HTTP)', description: MCP_DESCRIPTION })
  @ApiBody({
    description: 'A JSON-RPC 2.0 message of MCP, or an array of them.',
    schema: { type: 'object', additionalProperties: true, example: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'list_posts', arguments: { limit: 10 } } } },
  })
  @ApiResponse({ status: 200, description: 'The JSON-RPC response(s) (MCP’s format, not the envelope).', schema: { type: 'object', additionalProperties: true, example: { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: '{"posts":[]}' }] } } } })
  @ApiResponse({ status: 202, description: 'Only notifications or responses were sent: accepted, no body.' })
  @ApiResponse({ status: 406, description: 'JSON-RPC error: Accept must list application/json and text/event-stream.' })
  @ApiErrors(400, 413, 415, 422)
  async handle(@Req() req: RequestLike & AuthenticatedRequest, @Res() res: unknown, @Body() body: unknown): Promise<void> {
    const answer = await this.server.answer(callerOf(req), req, transportRequest(req), body);
    const text = await answer.text();
    this.adapterHost.httpAdapter.reply(res, text ? JSON.parse(text) : undefined, answer.status);
  }

  @Get()
  @Authenticated({ scopes: [Scope.McpRead], workspace: 'header' })
  @ApiOperation({ summary: 'Not offered: the MCP server is stateless and opens no SSE stream', description: 'Always 405 with Allow: POST (MCP clients take that as "no server-initiated stream").' })
  @ApiErrors(405)
  stream(): never {
    throw notOffered();
  }

  @Delete()
  @Authenticated({ scopes: [Scope.McpRead], workspace: 'header' })
  @ApiOperation({ summary: 'Not offered: the MCP server keeps no session to end', description: 'Always 405 with Allow: POST.' })
  @ApiErrors(405)
  end(): never {
    throw notOffered();
  }
}
