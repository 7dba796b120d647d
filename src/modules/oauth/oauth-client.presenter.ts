import { ApiProperty } from '@nestjs/swagger';
import { OAUTH_CLIENT_TYPES, OAuthClientEntity, OAuthClientType } from './oauth-client.entity';

export class OAuthClientDto {
  @ApiProperty({ example: 'oac_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', description: 'The client_id.' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: OAUTH_CLIENT_TYPES }) type: OAuthClientType;
  @ApiProperty({ type: [String] }) redirect_uris: string[];
  @ApiProperty({ type: [String], example: ['posts:read'] }) scopes: string[];
  @ApiProperty({ type: 'string', nullable: true, example: 'tsr_ocs_AbCd', description: 'The first 12 characters of the client secret (confidential clients).' }) secret_prefix: string | null;
  @ApiProperty({ type: 'string', format: 'date-time' }) created_at: string;
  @ApiProperty({ type: 'string', format: 'date-time' }) updated_at: string;
}

export class NewOAuthClientDto extends OAuthClientDto {
  @ApiProperty({ type: 'string', nullable: true, example: 'tsr_ocs_…', description: 'The client secret of a confidential client: shown in this answer only, stored as a hash. Null for a public client.' })
  client_secret: string | null;
}

export function presentOAuthClient(c: OAuthClientEntity): OAuthClientDto {
  return {
    id: c.id,
    name: c.name,
    type: c.type,
    redirect_uris: c.redirectUris,
    scopes: c.scopes,
    secret_prefix: c.secretPrefix,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}
