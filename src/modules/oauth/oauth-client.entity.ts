import { Column, Entity, PrimaryColumn } from 'typeorm';

export type OAuthClientType = 'public' | 'confidential';
export const OAUTH_CLIENT_TYPES: readonly OAuthClientType[] = ['confidential', 'public'];

/** A third-party app an account registered: its id is the OAuth client_id. */
@Entity('oauth_clients')
export class OAuthClientEntity {
  @PrimaryColumn('text') id: string;
  /** The account that registered it (and alone manages it). */
  @Column('text', { name: 'user_id' }) userId: string;
  @Column('text') name: string;
  @Column('text') type: OAuthClientType;
  @Column('text', { name: 'redirect_uris', array: true }) redirectUris: string[];
  /** Catalog scopes the app may ask for (concrete, wildcards expanded when saved). */
  @Column('text', { array: true }) scopes: string[];
  /** SHA-256 of a confidential client's secret; null for a public client. */
  @Column('bytea', { name: 'secret_hash', nullable: true, select: false }) secretHash: Buffer | null;
  @Column('text', { name: 'secret_prefix', nullable: true }) secretPrefix: string | null;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
