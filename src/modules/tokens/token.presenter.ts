import { ApiProperty } from '@nestjs/swagger';
import { PersonalAccessTokenEntity } from './personal-access-token.entity';

export class TokenDto {
  @ApiProperty({ example: 'pat_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ example: 'tsr_pat_AbCd' }) prefix: string;
  @ApiProperty({ type: [String] }) scopes: string[];
  @ApiProperty({ type: 'string', nullable: true, description: 'The workspace it is pinned to.' }) workspace_id: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) expires_at: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) last_used_at: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class NewTokenDto extends TokenDto {
  @ApiProperty({ example: 'tsr_pat_…', description: 'The whole token: shown this once, never again.' }) token: string;
}

export function presentToken(t: PersonalAccessTokenEntity): TokenDto {
  return {
    id: t.id,
    name: t.name,
    prefix: t.prefix,
    scopes: t.scopes,
    workspace_id: t.workspaceId,
    expires_at: t.expiresAt?.toISOString() ?? null,
    last_used_at: t.lastUsedAt?.toISOString() ?? null,
    created_at: t.createdAt.toISOString(),
  };
}
