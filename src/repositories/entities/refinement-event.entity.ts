import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One Automatic Model Refinement trigger, accepted or not. */
@Entity('refinement_event')
export class RefinementEventEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'campaign_id' }) campaignId: string;
  @Column('int') iteration: number;
  @Column('text') reason: string;
  @Column('double precision', { name: 'correlation_before', nullable: true }) correlationBefore: number | null;
  @Column('double precision', { name: 'correlation_after', nullable: true }) correlationAfter: number | null;
  @Column('double precision', { nullable: true }) variance: number | null;
  @Column('text', { name: 'features_before', array: true }) featuresBefore: string[];
  @Column('text', { name: 'features_chosen', array: true }) featuresChosen: string[];
  @Column('text') rationale: string;
  @Column('text') provider: string;
  @Column('jsonb', { name: 'metrics_before' }) metricsBefore: Record<string, unknown>;
  @Column('jsonb', { name: 'metrics_after', nullable: true }) metricsAfter: Record<string, unknown> | null;
  @Column('boolean') accepted: boolean;
  @Column('uuid', { name: 'model_version_id', nullable: true }) modelVersionId: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
