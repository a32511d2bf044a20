import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn, VersionColumn } from 'typeorm';
import type { Composition } from '../../core/chemistry/types.js';
import type { ProcessValues } from '../../core/domain/process.js';

export const EXPERIMENT_STATUSES = [
  'proposed', 'approved', 'queued', 'dispatched', 'accepted', 'running', 'measured',
  'rejected', 'failed', 'timed_out', 'cancelled', 'abandoned',
] as const;
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number];

export interface Prediction {
  pGlass: number;
  yieldStrengthMPa: number;
  yieldStrengthStd: number;
  elongationPct: number;
  elongationStd: number;
  /** P(glass) x P(every target met) under the surrogates' predictive distribution. */
  successProbability?: number;
  /** Other objective properties the surrogates predict (Dmax, Tg, ..., free names): mean and sd. */
  properties?: Record<string, { mean: number; std: number }>;
  knowledgeScore?: number;
  knowledgeExplanation?: string;
}

/** One proposed composition and its life from proposal to result. */
@Entity('experiment')
@Index(['campaignId', 'status'])
export class ExperimentEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'campaign_id' }) campaignId: string;
  /** 1-based experiment number within the campaign. */
  @Column('int') sequence: number;
  @Column('int', { name: 'batch_number' }) batchNumber: number;
  @Column('text') status: ExperimentStatus;
  @Column('jsonb') composition: Composition;
  /** Process values to make it with (the campaign's process variables), null when the campaign has none. */
  @Column('jsonb', { nullable: true }) process: ProcessValues | null;
  @Column('text') formula: string;
  @Column('text', { array: true }) elements: string[];
  @Column('jsonb', { nullable: true }) prediction: Prediction | null;
  @Column('uuid', { name: 'model_version_id', nullable: true }) modelVersionId: string | null;
  @Column('text', { name: 'current_job_id', nullable: true }) currentJobId: string | null;
  @Column('text', { name: 'instrument_id', nullable: true }) instrumentId: string | null;
  @Column('int', { default: 0 }) attempts: number;
  @Column('timestamptz', { nullable: true }) deadline: Date | null;
  @Column('text', { name: 'status_reason', nullable: true }) statusReason: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @VersionColumn({ name: 'row_version' }) rowVersion: number;
}

/** One dispatch attempt of an experiment to an instrument; a re-dispatch gets a new job id. */
@Entity('instrument_job')
export class InstrumentJobEntity {
  @PrimaryGeneratedColumn('uuid', { name: 'job_id' }) jobId: string;
  @Column('uuid', { name: 'experiment_id' }) experimentId: string;
  @Column('uuid', { name: 'campaign_id' }) campaignId: string;
  @Column('text', { name: 'instrument_id' }) instrumentId: string;
  @Column('int') attempt: number;
  @Column('text') status: string;
  @Column('text', { array: true }) stages: string[];
  @Column('timestamptz', { name: 'dispatched_at' }) dispatchedAt: Date;
  @Column('timestamptz') deadline: Date;
  @Column('timestamptz', { name: 'last_event_at', nullable: true }) lastEventAt: Date | null;
  @Column('jsonb', { name: 'last_event', nullable: true }) lastEvent: Record<string, unknown> | null;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt: Date | null;
}
