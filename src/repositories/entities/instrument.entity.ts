import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ProcessSupport } from '../../core/domain/process.js';

export const INSTRUMENT_STATES = ['online', 'busy', 'error', 'offline'] as const;
export type InstrumentState = (typeof INSTRUMENT_STATES)[number];

export interface InstrumentCapabilities {
  stages: string[];
  elements: string[];
  maxConcurrentJobs: number;
  /** What it can make, per process variable (protocol 1.3); left out: it does not say. */
  process?: ProcessSupport;
}

/** Registry entry fed by the instrument's retained status messages and last will. */
@Entity('instrument')
export class InstrumentEntity {
  @PrimaryColumn('text') id: string;
  @Column('text') state: InstrumentState;
  @Column('jsonb') capabilities: InstrumentCapabilities;
  @Column('timestamptz', { name: 'status_at', nullable: true }) statusAt: Date | null;
  @Column('timestamptz', { name: 'last_seen_at' }) lastSeenAt: Date;
  @Column('jsonb', { name: 'last_status', nullable: true }) lastStatus: unknown;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
