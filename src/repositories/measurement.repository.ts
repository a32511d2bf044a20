import { Injectable } from '@nestjs/common';
import type { FindOptionsWhere } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import type { Page } from '../common/pagination.js';
import type { Prediction } from './entities/experiment.entity.js';
import { MeasurementEntity } from './entities/measurement.entity.js';
import { Repository, type Tx } from './database.js';

export type NewMeasurement = QueryDeepPartialEntity<MeasurementEntity>;

/** Measurements: stored once (idempotent inserts), corrected as new revisions. */
@Injectable()
export class MeasurementRepository extends Repository {
  /**
   * Insert rows; a row whose unique key (instrument measurement id, idempotency key) is stored
   * already is skipped. Returns the stored rows' `returning` columns.
   */
  async insertNew<R = { id: string }>(tx: Tx, values: NewMeasurement | NewMeasurement[], returning: string | string[] = ['id']): Promise<R[]> {
    const result = await tx.createQueryBuilder().insert().into(MeasurementEntity).values(values).orIgnore().returning(returning).execute();
    return result.raw as R[];
  }

  findOne(where: Partial<Pick<MeasurementEntity, 'id' | 'instrumentId' | 'externalId' | 'revision' | 'campaignId' | 'idempotencyKey'>>, tx?: Tx): Promise<MeasurementEntity | null> {
    return this.m(tx).findOneBy(MeasurementEntity, where as FindOptionsWhere<MeasurementEntity>);
  }

  lock(tx: Tx, id: string): Promise<MeasurementEntity | null> {
    return tx.findOne(MeasurementEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  async supersede(tx: Tx, id: string): Promise<void> {
    await tx.update(MeasurementEntity, { id }, { isCurrent: false });
  }

  save(tx: Tx, values: Partial<MeasurementEntity>): Promise<MeasurementEntity> {
    return tx.save(tx.create(MeasurementEntity, values));
  }

  /** Every revision of a measurement, first to latest. */
  async history(measurementId: string): Promise<MeasurementEntity[]> {
    // Walk back to the first revision, then forward to the latest.
    const rows: { id: string }[] = await this.dataSource.query(
      `WITH RECURSIVE back AS (
         SELECT * FROM measurement WHERE id = $1
         UNION ALL SELECT m.* FROM measurement m JOIN back b ON m.id = b.supersedes_id),
       root AS (SELECT id FROM back WHERE supersedes_id IS NULL),
       fwd AS (
         SELECT * FROM measurement WHERE id = (SELECT id FROM root)
         UNION ALL SELECT m.* FROM measurement m JOIN fwd f ON m.supersedes_id = f.id)
       SELECT id FROM fwd ORDER BY revision`,
      [measurementId],
    );
    return this.dataSource.getRepository(MeasurementEntity).find({ where: rows.map((r) => ({ id: r.id })), order: { revision: 'ASC' } });
  }

  /**
   * Current measurements of a campaign, oldest first; rows stored together (one import) in the
   * order of their content, not of their random ids: the same seed and data give the same design
   * iteration (and ask the knowledge provider the same questions).
   */
  current(campaignId: string): Promise<MeasurementEntity[]> {
    return this.dataSource.getRepository(MeasurementEntity).find({
      where: { campaignId, isCurrent: true },
      order: { createdAt: 'ASC', formula: 'ASC', yieldStrengthMPa: 'ASC', elongationPct: 'ASC', id: 'ASC' },
    });
  }

  countCurrent(campaignId: string, tx?: Tx): Promise<number> {
    return this.m(tx).count(MeasurementEntity, { where: { campaignId, isCurrent: true } });
  }

  async page(campaignId: string, query: { limit: number; offset: number; source?: string; element?: string; glass?: string }): Promise<Page<MeasurementEntity>> {
    const { limit, offset } = query;
    const qb = this.dataSource
      .getRepository(MeasurementEntity)
      .createQueryBuilder('m')
      .where('m.campaign_id = :id AND m.is_current', { id: campaignId })
      .orderBy('m.created_at', 'ASC')
      .addOrderBy('m.id')
      .take(limit)
      .skip(offset);
    if (query.source) qb.andWhere('m.source = :source', { source: query.source });
    if (query.element) qb.andWhere('m.composition ? :element', { element: query.element });
    if (query.glass) qb.andWhere('m.is_glass = :glass', { glass: query.glass === 'true' });
    const [items, total] = await qb.getManyAndCount();
    return { items, total, limit, offset };
  }

  /** Current measurements per campaign: total, glass, and per source. */
  async countsByCampaign(ids: string[]): Promise<Map<string, Record<string, number>>> {
    const result = new Map<string, Record<string, number>>();
    if (ids.length === 0) return result;
    const rows: { campaign_id: string; source: string; n: string; glass: string }[] = await this.dataSource.query(
      `SELECT campaign_id, source, count(*) AS n, count(*) FILTER (WHERE is_glass) AS glass
         FROM measurement WHERE campaign_id = ANY($1) AND is_current GROUP BY campaign_id, source`,
      [ids],
    );
    for (const r of rows) {
      const c = result.get(r.campaign_id) ?? { total: 0, glass: 0 };
      c[r.source] = Number(r.n);
      c.total += Number(r.n);
      c.glass += Number(r.glass);
      result.set(r.campaign_id, c);
    }
    return result;
  }

  /** Whether an instrument's measurement id is stored. */
  async hasExternalId(instrumentId: string, externalId: string): Promise<boolean> {
    const rows = (await this.dataSource.query(`SELECT 1 FROM measurement WHERE instrument_id = $1 AND external_id = $2 LIMIT 1`, [instrumentId, externalId])) as unknown[];
    return rows.length > 0;
  }

  /** The instrument measurement id of a job's first stored result (undefined when none). */
  async firstExternalIdOfJob(jobId: string, instrumentId: string): Promise<string | null | undefined> {
    const [stored] = (await this.dataSource.query(
      `SELECT external_id FROM measurement WHERE job_id = $1 AND instrument_id = $2 AND revision = 1 ORDER BY created_at LIMIT 1`,
      [jobId, instrumentId],
    )) as { external_id: string | null }[];
    return stored?.external_id;
  }

  /** The first revision stored under an instrument's measurement id, as measured. */
  async firstByExternalId(instrumentId: string, externalId: string) {
    const [first] = (await this.dataSource.query(
      `SELECT id, job_id, composition, phase, yield_strength_mpa, elongation_pct FROM measurement
        WHERE instrument_id = $1 AND external_id = $2 AND revision = 1 LIMIT 1`,
      [instrumentId, externalId],
    )) as { id: string; job_id: string | null; composition: Record<string, number>; phase: string; yield_strength_mpa: string | null; elongation_pct: string | null }[];
    return first;
  }

  /** Results stored since `since` with the prediction their experiment was proposed with. */
  resultsWithPredictions(campaignId: string, since: Date): Promise<Array<{ prediction: Prediction; yield_strength_mpa: number | null; elongation_pct: number | null }>> {
    return this.dataSource.query(
      `SELECT e.prediction, m.yield_strength_mpa, m.elongation_pct
         FROM experiment e JOIN measurement m ON m.experiment_id = e.id AND m.is_current
        WHERE e.campaign_id = $1 AND e.prediction IS NOT NULL AND m.created_at > $2`,
      [campaignId, since],
    );
  }
}
