import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { KnowledgeCache, KnowledgeCacheKey } from '../core/knowledge/llm-provider.js';
import type { KnowledgeScore } from '../core/knowledge/types.js';
import { KnowledgeCacheEntity } from '../knowledge/knowledge-cache.entity.js';

/** LLM answers cached in PostgreSQL by (composition, prompt version, model): paid for once. */
export class PgKnowledgeCache implements KnowledgeCache {
  constructor(private readonly dataSource: DataSource) {}

  private key(k: KnowledgeCacheKey): string {
    return createHash('sha256').update(`${k.composition}|${k.promptVersion}|${k.model}`).digest('hex');
  }

  async get(k: KnowledgeCacheKey): Promise<KnowledgeScore | null> {
    const row = await this.dataSource.getRepository(KnowledgeCacheEntity).findOneBy({ key: this.key(k) });
    return (row?.response as KnowledgeScore | undefined) ?? null;
  }

  async set(k: KnowledgeCacheKey, value: KnowledgeScore): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(KnowledgeCacheEntity)
      .values({ key: this.key(k), formula: k.composition, promptVersion: k.promptVersion, model: k.model, response: value as object })
      .orIgnore()
      .execute();
  }
}
