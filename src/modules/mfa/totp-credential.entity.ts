import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A user's TOTP secret (sealed with ENCRYPTION_KEY); pending until a first code confirms it. */
@Entity('totp_credentials')
export class TotpCredentialEntity {
  @PrimaryColumn('text', { name: 'user_id' }) userId: string;
  @Column('text', { name: 'secret_sealed' }) secretSealed: string;
  @Column('timestamptz', { name: 'confirmed_at', nullable: true }) confirmedAt: Date | null;
  /** The newest time step whose code was accepted: a code of that step or an older one is refused. */
  @Column('bigint', { name: 'last_used_step', nullable: true }) lastUsedStep: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
