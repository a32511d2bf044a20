import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { Role } from '../../common/policy.js';

/** An API key: only the SHA-256 of its token is kept; the token itself is shown once at creation. */
@Entity('api_key')
export class ApiKeyEntity {
  /** The visible part of the token (`aimd_<id>_...`), used to find the row. */
  @PrimaryColumn('text') id: string;
  @Column('text') name: string;
  @Column('text') role: Role;
  /** null: every campaign. */
  @Column('uuid', { name: 'campaign_ids', array: true, nullable: true }) campaignIds: string[] | null;
  @Column('text', { name: 'key_hash' }) keyHash: string;
  /** api (created over REST), bootstrap (generated on first start), config (ADMIN_API_KEY). */
  @Column('text') source: 'api' | 'bootstrap' | 'config';
  @Column('text', { name: 'created_by' }) createdBy: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'expires_at', nullable: true }) expiresAt: Date | null;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt: Date | null;
  @Column('text', { name: 'revoked_by', nullable: true }) revokedBy: string | null;
  @Column('timestamptz', { name: 'last_used_at', nullable: true }) lastUsedAt: Date | null;
}

/** MQTT credentials of one instrument (username = instrument id); the password only as a mosquitto `$7$` hash. */
@Entity('instrument_credential')
export class InstrumentCredentialEntity {
  @PrimaryColumn('text', { name: 'instrument_id' }) instrumentId: string;
  @Column('text', { name: 'password_hash' }) passwordHash: string;
  @Column('text', { name: 'created_by' }) createdBy: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
