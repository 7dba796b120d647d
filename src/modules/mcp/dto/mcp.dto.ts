import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsObject, IsOptional, IsString, MaxLength, Validate, ValidationArguments, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';
import { BUILT_IN_SERVER, MAX_MCP_HEADERS, mcpHeadersProblem, mcpServerNameProblem } from '../mcp-rules';

@ValidatorConstraint({ name: 'mcpHeaders' })
class McpHeadersConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return mcpHeadersProblem(value) === null;
  }
  defaultMessage(args: ValidationArguments): string {
    return mcpHeadersProblem(args.value) ?? 'headers are invalid';
  }
}

@ValidatorConstraint({ name: 'mcpServerName' })
class McpServerNameConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return mcpServerNameProblem(value) === null;
  }
  defaultMessage(args: ValidationArguments): string {
    return mcpServerNameProblem(args.value) ?? 'name is invalid';
  }
}

const NAME_DESCRIPTION = 'A lowercase slug (a-z, 0-9, _ and -, starting with a letter or digit, at most 40 characters), unique in the workspace; "tessera" is the built-in server’s. Gateway calls may name the server by it instead of its id.';
const URL_DESCRIPTION = 'The server’s Streamable HTTP endpoint. https only, and every address its host resolves to must be public (the webhook URL rules).';
const HEADERS_DESCRIPTION =
  `Headers sent with every request to the server, name → value, typically its credentials (Authorization, X-Api-Key …): at most ${MAX_MCP_HEADERS}, names up to 64 characters (an HTTP token), values up to 1024 printable characters. ` +
  'Stored sealed (AES-256-GCM) and never shown again: answers list their names only. Refused: headers the transport owns (host, content-type, accept, mcp-session-id, mcp-protocol-version, …).';

export class CreateMcpServerDto {
  @ApiProperty({ example: 'filesystem', maxLength: 40, description: NAME_DESCRIPTION })
  @IsString() @Validate(McpServerNameConstraint)
  name: string;

  @ApiProperty({ maxLength: 2048, example: 'https://mcp.example.com/mcp', description: URL_DESCRIPTION })
  @IsString() @IsNotEmpty() @MaxLength(2048)
  url: string;

  @ApiPropertyOptional({ maxLength: 500, example: 'File and directory operations' })
  @IsOptional() @IsString() @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { Authorization: 'Bearer …' }, description: HEADERS_DESCRIPTION })
  @IsOptional() @IsObject() @Validate(McpHeadersConstraint)
  headers?: Record<string, string>;
}

export class UpdateMcpServerDto {
  @ApiPropertyOptional({ maxLength: 40, description: NAME_DESCRIPTION })
  @IsOptional() @IsString() @Validate(McpServerNameConstraint)
  name?: string;

  @ApiPropertyOptional({ maxLength: 2048, description: URL_DESCRIPTION })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional() @IsString() @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: `Replaces every header; required (\`{}\` for none) with a url on another origin, since stored headers only go to the origin they were set for. ${HEADERS_DESCRIPTION}` })
  @IsOptional() @IsObject() @Validate(McpHeadersConstraint)
  headers?: Record<string, string>;
}

export class CallToolDto {
  @ApiProperty({ example: 'tessera', maxLength: 64, description: 'The server: "tessera" (the built-in one), or a registered server’s id (mcp_…) or name.' })
  @IsString() @IsNotEmpty() @MaxLength(64)
  server: string;

  @ApiProperty({ example: 'list_posts', maxLength: 128, description: 'The tool’s name, as GET /api/v1/mcp/servers/{id}/tools lists it.' })
  @IsString() @IsNotEmpty() @MaxLength(128)
  tool: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { limit: 10 }, description: 'The tool’s arguments, as its input_schema describes them (default {}).' })
  @IsOptional() @IsObject()
  arguments?: Record<string, unknown>;
}

export class ResourceQueryDto {
  @ApiPropertyOptional({ default: BUILT_IN_SERVER, maxLength: 64, description: 'The server to read from: "tessera" (default) or a registered server’s id or name.' })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(64)
  server?: string;
}
