import { Injectable } from '@nestjs/common';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { CallToolResult, ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { ApiExceptionFilter, RequestLike } from '@tessera/common';
import { McpCaller } from './mcp-caller';
import { BUILT_IN_SERVER } from './mcp-rules';
import { TesseraResources } from './tessera-resources';
import { describeTool, TesseraTool, TesseraTools } from './tessera-tools';

/** MCP's "resource not found" error code. */
const RESOURCE_NOT_FOUND = -32002;

export const SERVER_INSTRUCTIONS =
  'Tessera, a multi-tenant API platform. Tools act in the workspace of your credential, within its scopes (each tool says which it needs); ' +
  'resources are the workspace’s records: tessera://posts/{id} and tessera://webhooks/{id}.';

/**
 * Tessera as an MCP server (Streamable HTTP, POST /mcp), stateless: each HTTP request gets a new
 * McpServer and transport, built for its caller, and both are gone when it is answered. Nothing
 * lives between requests, so any API process behind the port can answer any request (node:cluster
 * and several machines alike) and nothing needs Redis; the price is that this server sends no
 * notifications of its own (no SSE stream: GET /mcp is 405), which its tools never need.
 */
@Injectable()
export class TesseraMcpServer {
  /**
   * One JSON Schema validator for every request's server (which only uses it for elicitation, never
   * here): left to itself, each McpServer would build its own Ajv, the largest part of its cost.
   */
  private readonly validator = new AjvJsonSchemaValidator();

  constructor(
    private readonly tools: TesseraTools,
    private readonly resources: TesseraResources,
    private readonly errors: ApiExceptionFilter,
  ) {}

  /** Answers one POST of JSON-RPC messages (`body`, already parsed) for `caller`. */
  async answer(caller: McpCaller, req: RequestLike, request: Request, body: unknown): Promise<Response> {
    const server = this.build(caller, req);
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    await server.connect(transport);
    try {
      return await transport.handleRequest(request, { parsedBody: body });
    } finally {
      await server.close();
    }
  }

  private build(caller: McpCaller, req: RequestLike): McpServer {
    const server = new McpServer({ name: BUILT_IN_SERVER, title: 'Tessera', version: '1' }, { capabilities: { tools: {}, resources: {} }, instructions: SERVER_INSTRUCTIONS, jsonSchemaValidator: this.validator });
    for (const tool of this.tools.all) {
      server.registerTool(
        tool.name,
        {
          title: tool.title,
          description: describeTool(tool),
          inputSchema: tool.input,
          annotations: { title: tool.title, readOnlyHint: tool.readOnly, destructiveHint: false, openWorldHint: false },
          _meta: { 'tessera/required_scopes': tool.scopes },
        },
        (args: unknown) => this.callTool(caller, req, tool, args),
      );
    }
    for (const kind of this.resources.kinds) {
      server.registerResource(
        kind.kind,
        new ResourceTemplate(`tessera://${kind.kind}/{id}`, {
          list: async () => ({ resources: await this.protocolErrors(req, () => this.resources.list(caller, kind)) }),
        }),
        { title: kind.title, description: kind.description, mimeType: 'application/json', _meta: { 'tessera/required_scopes': kind.scopes } },
        async (uri) => ({ contents: [await this.protocolErrors(req, () => this.resources.read(caller, uri.href))] }),
      );
    }
    return server;
  }

  /** A tool's answer, or its refusal or failure as a tool error (isError) in the envelope's terms: status, code, message. */
  private async callTool(caller: McpCaller, req: RequestLike, tool: TesseraTool, args: unknown): Promise<CallToolResult> {
    try {
      const data = await this.tools.call(caller, tool, args);
      return { content: [{ type: 'text', text: JSON.stringify(data) }], structuredContent: data };
    } catch (err) {
      const { status, body } = this.errors.answer(err, req);
      const error = { status, code: body.code, message: body.message, ...(body.meta as object) };
      return { isError: true, content: [{ type: 'text', text: `${String(body.code)}: ${String(body.message)}` }], structuredContent: { error } };
    }
  }

  /** Resource handlers answer JSON-RPC errors: MCP's "resource not found" for a 404, the envelope's message otherwise (never an internal detail). */
  private async protocolErrors<T>(req: RequestLike, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      const { status, body } = this.errors.answer(err, req);
      const code = status === 404 ? RESOURCE_NOT_FOUND : status >= 500 ? ErrorCode.InternalError : ErrorCode.InvalidRequest;
      throw new McpError(code, String(body.message), { status, code: body.code, ...(body.meta as object) });
    }
  }
}
