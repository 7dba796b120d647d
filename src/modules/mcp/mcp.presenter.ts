import { ApiProperty } from '@nestjs/swagger';
import { McpServerEntity } from './mcp-server.entity';

export class McpServerDto {
  @ApiProperty({ example: 'mcp_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', description: '"tessera" for the built-in server, else mcp_….' }) id: string;
  @ApiProperty({ example: 'filesystem' }) name: string;
  @ApiProperty({ example: 'File and directory operations' }) description: string;
  @ApiProperty({ example: 'https://mcp.example.com/mcp', description: 'Its Streamable HTTP endpoint (the built-in server’s is this API’s /mcp).' }) url: string;
  @ApiProperty({ description: 'True for the built-in server, which cannot be changed or deleted.' }) built_in: boolean;
  @ApiProperty({ type: [String], example: ['Authorization'], description: 'The names of the headers sent to it (values are never shown).' }) header_names: string[];
  @ApiProperty({
    type: [String],
    nullable: true,
    example: ['read_file', 'write_file', 'list_directory'],
    description: 'Its tool names: always for the built-in server; for a remote one, from its last live answer while cached (60 s), else null (GET …/tools asks it).',
  })
  tools: string[] | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true, description: 'null for the built-in server.' }) created_at: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) updated_at: string | null;
}

export class McpToolDto {
  @ApiProperty({ example: 'read_file' }) name: string;
  @ApiProperty({ type: 'string', nullable: true, example: 'Read a file' }) title: string | null;
  @ApiProperty({ type: 'string', nullable: true, example: 'Read contents of a file' }) description: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'JSON Schema of the arguments (MCP inputSchema), as the server gives it.' }) input_schema: Record<string, unknown>;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true, description: 'MCP tool annotations (readOnlyHint …), as the server gives them.' }) annotations: Record<string, unknown> | null;
  @ApiProperty({ type: [String], nullable: true, example: ['posts:read'], description: 'Built-in server: the scopes a call needs (besides mcp:write); null for a remote server.' }) required_scopes: string[] | null;
}

export class ToolCallResultDto {
  @ApiProperty({ example: 'tessera', description: 'The server called: "tessera" or a registered server’s id.' }) server: string;
  @ApiProperty({ example: 'list_posts' }) tool: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The MCP CallToolResult as the server answered it (content, structuredContent, isError: MCP’s own field names). A tool that failed on its side answers isError: true here with 200.',
  })
  result: Record<string, unknown>;
}

export class ResourceContentsDto {
  @ApiProperty({ example: 'tessera', description: 'The server read: "tessera" or a registered server’s id.' }) server: string;
  @ApiProperty({ example: 'tessera://posts/pst_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) uri: string;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, description: 'MCP resource contents (uri, mimeType, text or blob), as the server answered them.' })
  contents: Array<Record<string, unknown>>;
}

export function presentMcpServer(s: McpServerEntity, tools: string[] | null): McpServerDto {
  return {
    id: s.id,
    name: s.name,
    description: s.description,
    url: s.url,
    built_in: false,
    header_names: s.headerNames,
    tools,
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
  };
}
