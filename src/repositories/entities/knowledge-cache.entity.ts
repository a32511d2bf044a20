import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** LLM knowledge answers cached by (composition, prompt version, model). */
@Entity('knowledge_cache')
export class KnowledgeCacheEntity {
  @PrimaryColumn('text') key: string;
  @Column('text') formula: string;
  @Column('text', { name: 'prompt_version' }) promptVersion: string;
  @Column('text') model: string;
  @Column('jsonb') response: unknown;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
