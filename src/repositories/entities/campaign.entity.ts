import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn, VersionColumn } from 'typeorm';
import type { DesignSpace } from '../../core/domain/design-space.js';
import type { Objectives } from '../../core/domain/objectives.js';

export const CAMPAIGN_STATUSES = ['draft', 'running', 'paused', 'completed', 'aborted'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** The objectives' one definition lives in the core (src/core/domain/objectives.ts). */
export type { ObjectiveTarget, Objectives } from '../../core/domain/objectives.js';

@Entity('campaign')
export class CampaignEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('text', { default: '' }) description: string;
  @Column('text') status: CampaignStatus;
  @Column('jsonb', { name: 'design_space' }) designSpace: DesignSpace;
  @Column('jsonb') objectives: Objectives;
  @Column('int') budget: number;
  @Column('int', { name: 'batch_size' }) batchSize: number;
  @Column('int') seed: number;
  @Column('jsonb') strategy: Record<string, unknown>;
  @Column('boolean', { name: 'approval_required', default: false }) approvalRequired: boolean;
  @Column('text', { name: 'created_by', nullable: true }) createdBy: string | null;
  @Column('text', { name: 'completion_reason', nullable: true }) completionReason: string | null;
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt: Date | null;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
  @VersionColumn({ name: 'row_version' }) rowVersion: number;
}
