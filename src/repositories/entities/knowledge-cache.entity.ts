import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** LLM knowledge answers (scores, feature choices) cached by (what was asked, prompt version, model). */
@Entity('knowledge_cache')
export class KnowledgeCacheEntity {
  @PrimaryColumn('text') key: string;
  /** What was asked: the composition's formula for a score, the whole question for a feature choice. */
  @Column('text') formula: string;
  @Column('text', { name: 'prompt_version' }) promptVersion: string;
  @Column('text') model: string;
  @Column('jsonb') response: unknown;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
