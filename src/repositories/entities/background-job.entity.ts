import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const JOB_STATES = ['queued', 'running', 'completed', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** A background job (train surrogates, train agent, propose, refine) as the API shows it. */
@Entity('background_job')
export class BackgroundJobEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text') kind: string;
  @Column('uuid', { name: 'campaign_id', nullable: true }) campaignId: string | null;
  /** Jobs with the same key while one is queued are coalesced into it. */
  @Column('text', { name: 'dedupe_key', nullable: true }) dedupeKey: string | null;
  @Column('text') state: JobState;
  @Column('text') backend: string;
  @Column('double precision', { default: 0 }) progress: number;
  @Column('text', { name: 'progress_message', nullable: true }) progressMessage: string | null;
  @Column('int', { default: 0 }) attempts: number;
  @Column('int', { name: 'max_attempts', default: 3 }) maxAttempts: number;
  @Column('jsonb', { default: {} }) input: Record<string, unknown>;
  @Column('jsonb', { nullable: true }) result: unknown;
  @Column('text', { nullable: true }) error: string | null;
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt: Date | null;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
