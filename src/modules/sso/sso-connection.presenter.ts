import { ApiProperty } from '@nestjs/swagger';
import { SsoConnectionEntity } from './sso-connection.entity';

export class SsoConnectionDto {
  @ApiProperty({ example: 'sso_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) id: string;
  @ApiProperty({ example: 'ws_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) workspace_id: string;
  @ApiProperty({ example: 'https://login.example.com' }) issuer: string;
  @ApiProperty({ example: 'tessera-acme' }) client_id: string;
  @ApiProperty({ type: [String], example: ['acme.com'] }) allowed_domains: string[];
  @ApiProperty({ example: 'member' }) default_role: string;
  @ApiProperty({ example: 'https://api.example.com/api/v1/auth/sso/acme', description: 'Where members start signing in.' }) sign_in_url: string;
  @ApiProperty({ example: 'https://api.example.com/api/v1/auth/sso/acme/callback', description: 'The redirect URI to register at the provider.' }) redirect_uri: string;
  @ApiProperty({ type: 'string', format: 'date-time' }) created_at: string;
  @ApiProperty({ type: 'string', format: 'date-time' }) updated_at: string;
}

/** `baseUrl`: scheme and host browsers reach this API at (PUBLIC_URL, else the request's). */
export function ssoUrls(baseUrl: string, workspaceSlug: string): { sign_in_url: string; redirect_uri: string } {
  const start = `${baseUrl}/api/v1/auth/sso/${encodeURIComponent(workspaceSlug)}`;
  return { sign_in_url: start, redirect_uri: `${start}/callback` };
}

export function presentSsoConnection(c: SsoConnectionEntity, baseUrl: string, workspaceSlug: string): SsoConnectionDto {
  return {
    id: c.id,
    workspace_id: c.workspaceId,
    issuer: c.issuer,
    client_id: c.clientId,
    allowed_domains: c.allowedDomains,
    default_role: c.defaultRole,
    ...ssoUrls(baseUrl, workspaceSlug),
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}
