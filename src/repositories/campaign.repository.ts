import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { CampaignEntity } from './entities/campaign.entity.js';
import { Repository, type Tx } from './database.js';

/** Campaigns: settings, state and the lifecycle times. */
@Injectable()
export class CampaignRepository extends Repository {
  findById(id: string, tx?: Tx): Promise<CampaignEntity | null> {
    return this.m(tx).findOneBy(CampaignEntity, { id });
  }

  /** The campaign row locked for a change (null when there is none). */
  lock(tx: Tx, id: string): Promise<CampaignEntity | null> {
    return tx.findOne(CampaignEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** Insert or update (a new row when it has no id). */
  save(tx: Tx, campaign: Partial<CampaignEntity>): Promise<CampaignEntity> {
    return tx.save(tx.create(CampaignEntity, campaign));
  }

  async update(tx: Tx, id: string, values: Partial<CampaignEntity>): Promise<void> {
    await tx.update(CampaignEntity, { id }, values as never);
  }

  async page(query: { limit: number; offset: number; status?: string; q?: string }): Promise<[CampaignEntity[], number]> {
    const qb = this.dataSource.getRepository(CampaignEntity).createQueryBuilder('c').orderBy('c.created_at', 'DESC').addOrderBy('c.id').take(query.limit).skip(query.offset);
    if (query.status) qb.andWhere('c.status = :status', { status: query.status });
    if (query.q) qb.andWhere('c.name ILIKE :q', { q: `%${query.q.replace(/[%_\\]/g, (m) => `\\${m}`)}%` });
    return qb.getManyAndCount();
  }

  withStatus(status: CampaignEntity['status']): Promise<CampaignEntity[]> {
    return this.dataSource.getRepository(CampaignEntity).findBy({ status });
  }

  /** Id, name and state of the named campaigns, newest first (those that exist). */
  summaries(ids: string[]): Promise<Pick<CampaignEntity, 'id' | 'name' | 'status'>[]> {
    return this.dataSource.getRepository(CampaignEntity).find({ where: { id: In(ids) }, select: { id: true, name: true, status: true }, order: { createdAt: 'DESC' } });
  }

  /** Which of these ids name a campaign. */
  async existing(ids: string[]): Promise<Set<string>> {
    const found = await this.dataSource.getRepository(CampaignEntity).find({ where: { id: In(ids) }, select: { id: true } });
    return new Set(found.map((c) => c.id));
  }

  /**
   * The campaign a row of another table belongs to (the authorisation lookups: experiment,
   * measurement, job, ... by id). `table` and `column` come from code, never from a request.
   */
  async campaignOf(table: string, column: string, id: string): Promise<string | null | undefined> {
    const rows = (await this.dataSource.query(`SELECT campaign_id FROM ${table} WHERE ${column} = $1 LIMIT 1`, [id])) as { campaign_id: string | null }[];
    return rows[0]?.campaign_id;
  }

  /** Delete a campaign and, by cascade, everything of it. */
  async delete(id: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM campaign WHERE id = $1`, [id]);
  }
}
