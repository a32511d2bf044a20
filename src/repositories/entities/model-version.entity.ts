import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One training run of the surrogates: what it used, how well it did, and the models themselves. */
@Entity('model_version')
export class ModelVersionEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'campaign_id', nullable: true }) campaignId: string | null;
  @Column('int') version: number;
  @Column('text') kind: string;
  @Column('text', { array: true }) features: string[];
  @Column('jsonb') hyperparameters: Record<string, unknown>;
  @Column('jsonb') metrics: Record<string, unknown>;
  @Column('jsonb', { name: 'data_counts' }) dataCounts: Record<string, number>;
  @Column('int') seed: number;
  @Column('text') trigger: string;
  @Column('boolean', { name: 'is_active', default: false }) isActive: boolean;
  @Column('double precision', { name: 'training_seconds', nullable: true }) trainingSeconds: number | null;
  /** Serialised models (JSON), loadable bit-identically. */
  @Column('jsonb') artifact: unknown;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}

/** A trained TD3 agent for a campaign, with the curve of its training. */
@Entity('agent_checkpoint')
export class AgentCheckpointEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'campaign_id' }) campaignId: string;
  @Column('uuid', { name: 'model_version_id', nullable: true }) modelVersionId: string | null;
  @Column('int') iteration: number;
  @Column('jsonb') config: Record<string, unknown>;
  @Column('jsonb', { name: 'training_curve' }) trainingCurve: unknown;
  @Column('jsonb') weights: unknown;
  @Column('int', { name: 'env_steps' }) envSteps: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
