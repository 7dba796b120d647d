import { ApiProperty } from '@nestjs/swagger';
import { BrowserSessionEntity } from './browser-session.entity';
import { describeDevice } from './device';

export class BrowserSessionDto {
  @ApiProperty({ example: 'bss_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) id: string;
  @ApiProperty({ example: 'Firefox on Linux', description: 'From the User-Agent of the sign-in.' }) device: string;
  @ApiProperty({ type: 'string', nullable: true }) user_agent: string | null;
  @ApiProperty({ type: 'string', nullable: true, example: '203.0.113.7', description: 'The client address last seen (TRUST_PROXY decides which address counts).' }) ip: string | null;
  @ApiProperty({ example: 'password+totp', description: 'How it was signed in.' }) auth_method: string;
  @ApiProperty({ type: 'string', nullable: true, description: 'The workspace the sign-in was bound to.' }) workspace_id: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time', description: 'Updated at most once a minute.' }) last_seen_at: string;
  @ApiProperty({ format: 'date-time' }) expires_at: string;
  @ApiProperty({ description: 'The session this request was made with.' }) current: boolean;
}

export function presentBrowserSession(s: BrowserSessionEntity, currentId: string | null): BrowserSessionDto {
  return {
    id: s.id,
    device: describeDevice(s.userAgent),
    user_agent: s.userAgent,
    ip: s.ip,
    auth_method: s.authMethod,
    workspace_id: s.workspaceId,
    created_at: s.createdAt.toISOString(),
    last_seen_at: s.lastSeenAt.toISOString(),
    expires_at: s.expiresAt.toISOString(),
    current: s.id === currentId,
  };
}
