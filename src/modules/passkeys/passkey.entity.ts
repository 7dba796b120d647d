import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A passkey (WebAuthn credential): its COSE public key and the authenticator's signature counter. */
@Entity('passkeys')
export class PasskeyEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'user_id' }) userId: string;
  /** The credential id the authenticator gave, base64url. */
  @Column('text', { name: 'credential_id' }) credentialId: string;
  @Column('bytea', { name: 'public_key' }) publicKey: Buffer;
  @Column('bigint') counter: string;
  @Column('text', { array: true }) transports: string[];
  @Column('text', { name: 'device_type' }) deviceType: string;
  @Column('boolean', { name: 'backed_up' }) backedUp: boolean;
  @Column('text') name: string;
  @Column('timestamptz', { name: 'last_used_at', nullable: true }) lastUsedAt: Date | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
