import { ApiProperty } from '@nestjs/swagger';
import { PasskeyEntity } from './passkey.entity';

export class PasskeyDto {
  @ApiProperty({ example: 'pky_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) id: string;
  @ApiProperty({ example: 'Laptop' }) name: string;
  @ApiProperty({ description: 'The WebAuthn credential id, base64url.' }) credential_id: string;
  @ApiProperty({ example: 'multiDevice', description: 'singleDevice, or multiDevice (synced by its provider).' }) device_type: string;
  @ApiProperty() backed_up: boolean;
  @ApiProperty({ type: [String], example: ['internal'] }) transports: string[];
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) last_used_at: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export function presentPasskey(p: PasskeyEntity): PasskeyDto {
  return {
    id: p.id,
    name: p.name,
    credential_id: p.credentialId,
    device_type: p.deviceType,
    backed_up: p.backedUp,
    transports: p.transports,
    last_used_at: p.lastUsedAt?.toISOString() ?? null,
    created_at: p.createdAt.toISOString(),
  };
}
