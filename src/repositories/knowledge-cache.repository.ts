import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { CachedAnswer, KnowledgeCache, KnowledgeCacheKey } from '../core/knowledge/llm-provider.js';
import { KnowledgeCacheEntity } from './entities/knowledge-cache.entity.js';
import { createDataSource } from './data-source.js';
import { Repository } from './database.js';

/** LLM answers cached in PostgreSQL by (what was asked, prompt version, model): paid for once. */
@Injectable()
export class PgKnowledgeCache extends Repository implements KnowledgeCache {
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

/** A knowledge cache on a small pool of its own (a design thread's), closed with `close`. */
export async function openKnowledgeCache(databaseUrl: string): Promise<{ cache: PgKnowledgeCache; close(): Promise<void> }> {
  const dataSource = createDataSource(databaseUrl, 2);
  await dataSource.initialize();
  return { cache: new PgKnowledgeCache(dataSource), close: () => dataSource.destroy() };
}
