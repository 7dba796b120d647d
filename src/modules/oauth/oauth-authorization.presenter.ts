import { ApiProperty } from '@nestjs/swagger';
import { OAuthGrantEntity } from './oauth-grant.entity';
import { GrantLabels } from './oauth-grants.repository';

export class AuthorizedClientDto {
  @ApiProperty({ example: 'oac_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) id: string;
  @ApiProperty({ example: 'Acme Analytics' }) name: string;
}

export class AuthorizedWorkspaceDto {
  @ApiProperty({ example: 'ws_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) id: string;
  @ApiProperty({ example: 'acme' }) slug: string;
  @ApiProperty({ example: 'Acme' }) name: string;
}

export class AuthorizationDto {
  @ApiProperty({ example: 'oag_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) id: string;
  @ApiProperty({ type: AuthorizedClientDto, description: 'The app.' }) client: AuthorizedClientDto;
  @ApiProperty({ type: AuthorizedWorkspaceDto, description: 'The one workspace the app acts in.' }) workspace: AuthorizedWorkspaceDto;
  @ApiProperty({ type: [String], example: ['posts:read'], description: 'Catalog scopes granted; always within your role in the workspace.' }) scopes: string[];
  @ApiProperty({ type: 'string', format: 'date-time' }) created_at: string;
  @ApiProperty({ type: 'string', format: 'date-time', description: 'When the app must ask again.' }) expires_at: string;
}

export function presentAuthorization(g: OAuthGrantEntity, labels: GrantLabels | undefined): AuthorizationDto {
  return {
    id: g.id,
    client: { id: g.clientId, name: labels?.client_name ?? '' },
    workspace: { id: g.workspaceId, slug: labels?.workspace_slug ?? '', name: labels?.workspace_name ?? '' },
    scopes: g.scopes,
    created_at: g.createdAt.toISOString(),
    expires_at: g.expiresAt.toISOString(),
  };
}
