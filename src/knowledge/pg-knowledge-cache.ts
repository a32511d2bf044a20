import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { CachedAnswer, KnowledgeCache, KnowledgeCacheKey } from '../core/knowledge/llm-provider.js';
import { KnowledgeCacheEntity } from './knowledge-cache.entity.js';

/** LLM answers cached in PostgreSQL by (what was asked, prompt version, model): paid for once. */
export class PgKnowledgeCache implements KnowledgeCache {
  constructor(private readonly dataSource: DataSource) {}

  private key(k: KnowledgeCacheKey): string {
    return createHash('sha256').update(`${k.subject}|${k.promptVersion}|${k.model}`).digest('hex');
  }

  async get(k: KnowledgeCacheKey): Promise<CachedAnswer | null> {
    const row = await this.dataSource.getRepository(KnowledgeCacheEntity).findOneBy({ key: this.key(k) });
    return (row?.response as CachedAnswer | undefined) ?? null;
  }

  async set(k: KnowledgeCacheKey, value: CachedAnswer): Promise<void> {
    await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(KnowledgeCacheEntity)
      .values({ key: this.key(k), formula: k.subject, promptVersion: k.promptVersion, model: k.model, response: value as object })
      .orIgnore()
      .execute();
  }
}
