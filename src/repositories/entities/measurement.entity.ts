import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Composition } from '../../core/chemistry/types.js';
import type { ProcessValues } from '../../core/domain/process.js';

export const MEASUREMENT_SOURCES = ['seed', 'instrument', 'technician'] as const;
export type MeasurementSource = (typeof MEASUREMENT_SOURCES)[number];
export const PHASES = ['amorphous', 'partially_crystalline', 'crystalline'] as const;
export type Phase = (typeof PHASES)[number];

/**
 * A measured alloy. Corrections are new revisions (supersedes_id points at the one replaced,
 * is_current marks the latest), so the history stays.
 */
@Entity('measurement')
export class MeasurementEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'campaign_id' }) campaignId: string;
  @Column('uuid', { name: 'experiment_id', nullable: true }) experimentId: string | null;
  @Column('text') source: MeasurementSource;
  @Column('text', { name: 'instrument_id', nullable: true }) instrumentId: string | null;
  @Column('text', { name: 'job_id', nullable: true }) jobId: string | null;
  /** The instrument's measurementId (unique per instrument). */
  @Column('text', { name: 'external_id', nullable: true }) externalId: string | null;
  @Column('text', { name: 'idempotency_key', nullable: true }) idempotencyKey: string | null;
  @Column('text', { nullable: true }) name: string | null;
  @Column('jsonb') composition: Composition;
  /** The process the alloy was made with, as reported (protocol 1.2) or entered; null when not known (read as the campaign's defaults). */
  @Column('jsonb', { nullable: true }) process: ProcessValues | null;
  @Column('text') formula: string;
  @Column('text', { array: true }) elements: string[];
  @Column('text', { nullable: true }) phase: Phase | null;
  @Column('boolean', { name: 'is_glass', nullable: true }) isGlass: boolean | null;
  @Column('double precision', { name: 'yield_strength_mpa', nullable: true }) yieldStrengthMPa: number | null;
  @Column('double precision', { name: 'elongation_pct', nullable: true }) elongationPct: number | null;
  /** Other measured properties kept when present (Dmax mm, Tg/Tx/Tl K, modulus GPa, class). */
  @Column('jsonb', { default: {} }) extra: Record<string, unknown>;
  /** Vendor data stored verbatim. */
  @Column('jsonb', { nullable: true }) raw: unknown;
  /** Largest |as-made - dispatched| in at.% over elements, when dispatched. */
  @Column('double precision', { name: 'composition_deviation', nullable: true }) compositionDeviation: number | null;
  @Column('text', { array: true, default: () => "'{}'" }) flags: string[];
  @Column('timestamptz', { name: 'measured_at', nullable: true }) measuredAt: Date | null;
  @Column('text', { name: 'entered_by', nullable: true }) enteredBy: string | null;
  @Column('int', { default: 1 }) revision: number;
  @Column('uuid', { name: 'supersedes_id', nullable: true }) supersedesId: string | null;
  @Column('boolean', { name: 'is_current', default: true }) isCurrent: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
