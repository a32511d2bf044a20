import { Injectable } from '@nestjs/common';
import { BackgroundJobEntity } from './entities/background-job.entity.js';
import { Repository } from './database.js';

/** Background job rows: what the API shows of training and design iterations, whichever queue runs them. */
@Injectable()
export class JobRepository extends Repository {
  private get jobs() {
    return this.dataSource.getRepository(BackgroundJobEntity);
  }

  /** Insert a queued job; null when a queued job with the same dedupe key exists already. */
  async insertQueued(values: { kind: string; campaignId: string | null; dedupeKey: string | null; backend: string; maxAttempts: number; input: Record<string, unknown> }): Promise<string | null> {
    const rows = await this.dataSource.query(
      `INSERT INTO background_job (kind, campaign_id, dedupe_key, state, backend, max_attempts, input)
       VALUES ($1, $2, $3, 'queued', $4, $5, $6)
       ON CONFLICT (dedupe_key) WHERE state = 'queued' AND dedupe_key IS NOT NULL DO NOTHING
       RETURNING id`,
      [values.kind, values.campaignId, values.dedupeKey, values.backend, values.maxAttempts, values.input],
    );
    return rows.length > 0 ? rows[0].id : null;
  }

  findById(id: string): Promise<BackgroundJobEntity | null> {
    return this.jobs.findOneBy({ id });
  }

  queuedWithKey(dedupeKey: string): Promise<BackgroundJobEntity | null> {
    return this.jobs.findOneBy({ dedupeKey, state: 'queued' });
  }

  async update(id: string, values: Partial<BackgroundJobEntity>): Promise<void> {
    await this.jobs.update({ id }, values as object);
  }

  /** Jobs of a backend in these states, oldest first. */
  inStates(backend: string, states: BackgroundJobEntity['state'][]): Promise<{ id: string; kind: string; max_attempts: number }[]> {
    return this.dataSource.query(`SELECT id, kind, max_attempts FROM background_job WHERE backend = $1 AND state = ANY($2::text[]) ORDER BY created_at`, [backend, states]);
  }

  async page(filter: { campaignId?: string; state?: string }, limit: number, offset: number) {
    const [items, total] = await this.jobs.findAndCount({
      where: { ...(filter.campaignId ? { campaignId: filter.campaignId } : {}), ...(filter.state ? { state: filter.state as never } : {}) },
      order: { createdAt: 'DESC', id: 'ASC' },
      take: limit,
      skip: offset,
    });
    return { items, total, limit, offset };
  }
}
