import { Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import type { Page } from '../common/pagination.js';
import type { Composition } from '../core/chemistry/types.js';
import type { ProcessValues } from '../core/domain/process.js';
import { ExperimentEntity, InstrumentJobEntity } from './entities/experiment.entity.js';
import { Repository, type Tx } from './database.js';

type JobStatusRow = { instrument_id: string; job_id: string; experiment_id: string; campaign_id: string; status: string; dispatched_at: Date; deadline: Date };

/**
 * Experiments and their dispatch attempts (instrument jobs): one aggregate. Lock order
 * everywhere: the experiment first, then its jobs.
 */
@Injectable()
export class ExperimentRepository extends Repository {
  // ---- experiments ----

  /** One experiment row locked for a state change (null when there is none). */
  lock(tx: Tx, id: string): Promise<ExperimentEntity | null> {
    return tx.findOne(ExperimentEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** Several rows locked in id order (no deadlock with other writers). */
  lockMany(tx: Tx, ids: string[]): Promise<ExperimentEntity[]> {
    return tx.find(ExperimentEntity, { where: { id: In(ids) }, lock: { mode: 'pessimistic_write' }, order: { id: 'ASC' } });
  }

  /** The rows a result batch needs, locked in id order. */
  lockForResults(
    tx: Tx,
    ids: string[],
  ): Promise<{ id: string; campaign_id: string; status: ExperimentEntity['status']; composition: Composition; process: ProcessValues | null; current_job_id: string | null; sequence: number }[]> {
    return tx.query(`SELECT id, campaign_id, status, composition, process, current_job_id, sequence FROM experiment WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, [ids]);
  }

  async update(id: string, values: Partial<ExperimentEntity>, tx?: Tx): Promise<void> {
    await this.m(tx).update(ExperimentEntity, { id }, values);
  }

  /** Close experiments as measured in one statement, each with its reason. */
  async markMeasured(tx: Tx, ids: string[], reasons: string[]): Promise<void> {
    await tx.query(
      `UPDATE experiment e SET status = 'measured', status_reason = x.reason, current_job_id = NULL, deadline = NULL, updated_at = now(), row_version = row_version + 1
         FROM unnest($1::uuid[], $2::text[]) AS x(id, reason) WHERE e.id = x.id`,
      [ids, reasons],
    );
  }

  /** The highest experiment number and batch number of a campaign (0 before the first). */
  async lastNumbers(campaignId: string, tx?: Tx): Promise<{ sequence: number; batch: number }> {
    const [{ max_seq, max_batch }] = await this.m(tx).query(
      `SELECT coalesce(max(sequence), 0) AS max_seq, coalesce(max(batch_number), 0) AS max_batch FROM experiment WHERE campaign_id = $1`,
      [campaignId],
    );
    return { sequence: Number(max_seq), batch: Number(max_batch) };
  }

  insert(tx: Tx, rows: Partial<ExperimentEntity>[]): Promise<ExperimentEntity[]> {
    return tx.save(rows.map((r) => tx.create(ExperimentEntity, r)));
  }

  /** Experiments that count against the budget (every state but `notCounted`). */
  async countCounted(campaignId: string, notCounted: readonly string[], tx?: Tx): Promise<number> {
    const [{ used }] = await this.m(tx).query(`SELECT count(*)::int AS used FROM experiment WHERE campaign_id = $1 AND NOT (status = ANY($2))`, [campaignId, notCounted]);
    return used;
  }

  /** Experiments of a campaign per state. */
  async countByState(campaignId: string): Promise<Record<string, number>> {
    const rows: { status: string; n: string }[] = await this.dataSource.query(`SELECT status, count(*) AS n FROM experiment WHERE campaign_id = $1 GROUP BY status`, [campaignId]);
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  /** Every composition the campaign's experiments were proposed with, whatever their state. */
  async compositionsProposed(campaignId: string): Promise<Composition[]> {
    const rows: { composition: Composition }[] = await this.dataSource.query(`SELECT composition FROM experiment WHERE campaign_id = $1 ORDER BY sequence, id`, [campaignId]);
    return rows.map((r) => r.composition);
  }

  /** Compositions and process values of the campaign's experiments in these states, in proposal order (a seeded design sees them in the same order each run). */
  async compositionsIn(campaignId: string, states: readonly string[]): Promise<{ composition: Composition; process: ProcessValues | null }[]> {
    return this.dataSource.query(`SELECT composition, process FROM experiment WHERE campaign_id = $1 AND status = ANY($2) ORDER BY sequence, id`, [campaignId, states]);
  }

  findById(id: string, tx?: Tx): Promise<ExperimentEntity | null> {
    return this.m(tx).findOneBy(ExperimentEntity, { id });
  }

  /** An experiment of a campaign by its number or its id. */
  findInCampaign(campaignId: string, ref: { sequence: number } | { id: string }): Promise<ExperimentEntity | null> {
    return this.dataSource.getRepository(ExperimentEntity).findOneBy({ campaignId, ...ref });
  }

  async page(campaignId: string, filter: { status?: string[]; limit: number; offset: number }): Promise<Page<ExperimentEntity>> {
    const [items, total] = await this.dataSource.getRepository(ExperimentEntity).findAndCount({
      where: { campaignId, ...(filter.status?.length ? { status: In(filter.status) } : {}) },
      order: { sequence: 'ASC' },
      take: filter.limit,
      skip: filter.offset,
    });
    return { items, total, limit: filter.limit, offset: filter.offset };
  }

  /** Ids of queued experiments of running campaigns, oldest campaign and lowest number first. */
  async queuedForDispatch(tx: Tx): Promise<string[]> {
    const rows: { id: string }[] = await tx.query(
      `SELECT e.id FROM experiment e JOIN campaign c ON c.id = e.campaign_id
        WHERE e.status = 'queued' AND c.status = 'running' ORDER BY c.created_at, e.sequence LIMIT 1000`,
    );
    return rows.map((r) => r.id);
  }

  // ---- instrument jobs ----

  jobsOf(experimentId: string): Promise<InstrumentJobEntity[]> {
    return this.dataSource.getRepository(InstrumentJobEntity).find({ where: { experimentId }, order: { attempt: 'ASC' } });
  }

  findJob(jobId: string): Promise<InstrumentJobEntity | null> {
    return this.dataSource.getRepository(InstrumentJobEntity).findOneBy({ jobId });
  }

  findJobs(jobIds: string[]): Promise<InstrumentJobEntity[]> {
    return jobIds.length === 0 ? Promise.resolve([]) : this.dataSource.getRepository(InstrumentJobEntity).findBy({ jobId: In(jobIds) });
  }

  createJob(tx: Tx, values: Partial<InstrumentJobEntity>): Promise<InstrumentJobEntity> {
    return tx.save(tx.create(InstrumentJobEntity, values));
  }

  async updateJob(tx: Tx, jobId: string, values: Partial<InstrumentJobEntity>): Promise<void> {
    await tx.update(InstrumentJobEntity, { jobId }, values as object);
  }

  /** Move a job from one of `from` to `to` (a no-op when it has moved on meanwhile). */
  async advanceJob(tx: Tx, jobId: string, from: string[], to: string): Promise<void> {
    await tx.query(`UPDATE instrument_job SET status = $2 WHERE job_id = $1 AND status = ANY($3::text[])`, [jobId, to, from]);
  }

  /** Finish jobs with a final status, unless they are in one of `unless` already. */
  async finishJobs(tx: Tx, jobIds: string[], status: string, unless: string[]): Promise<void> {
    await tx.query(
      `UPDATE instrument_job SET status = $2, finished_at = coalesce(finished_at, now()) WHERE job_id = ANY($1::uuid[]) AND NOT (status = ANY($3::text[]))`,
      [jobIds, status, unless],
    );
  }

  /** Open jobs past their deadline, earliest first. */
  overdueJobs(tx: Tx): Promise<InstrumentJobEntity[]> {
    return tx.getRepository(InstrumentJobEntity).createQueryBuilder('j').where('j.finished_at IS NULL AND j.deadline < now()').orderBy('j.deadline').limit(500).getMany();
  }

  /** Open jobs per instrument. */
  async openJobCounts(tx?: Tx): Promise<Map<string, number>> {
    const rows: { instrument_id: string; n: string }[] = await this.m(tx).query(`SELECT instrument_id, count(*) AS n FROM instrument_job WHERE finished_at IS NULL GROUP BY instrument_id`);
    return new Map(rows.map((r) => [r.instrument_id, Number(r.n)]));
  }

  /** Instruments that rejected a job of this experiment, and those that failed it or let it time out. */
  async instrumentsThatGaveUp(tx: Tx, experimentId: string): Promise<{ rejected: Set<string>; failed: Set<string> }> {
    const rows: { instrument_id: string; status: string }[] = await tx.query(
      `SELECT DISTINCT instrument_id, status FROM instrument_job WHERE experiment_id = $1 AND status IN ('rejected','failed','timed_out')`,
      [experimentId],
    );
    return {
      rejected: new Set(rows.filter((r) => r.status === 'rejected').map((r) => r.instrument_id)),
      failed: new Set(rows.filter((r) => r.status !== 'rejected').map((r) => r.instrument_id)),
    };
  }

  /** Add `ms` to every open job's deadline and to its experiment's; returns the experiments moved. */
  async extendOpenDeadlines(tx: Tx, ms: number): Promise<number> {
    const jobs = await tx.query(`UPDATE instrument_job SET deadline = deadline + make_interval(secs => $1::float8 / 1000) WHERE finished_at IS NULL RETURNING experiment_id`, [ms]);
    const ids = [...new Set((jobs[0] as { experiment_id: string }[]).map((r) => r.experiment_id))];
    if (ids.length > 0) await tx.query(`UPDATE experiment SET deadline = deadline + make_interval(secs => $1::float8 / 1000) WHERE id = ANY($2::uuid[]) AND deadline IS NOT NULL`, [ms, ids]);
    return ids.length;
  }

  /** Cut the deadlines of an instrument's open jobs to `latest` (an offline spell's grace). */
  async cutDeadlines(instrumentId: string, latest: Date): Promise<void> {
    await this.dataSource.query(`UPDATE instrument_job SET deadline = least(deadline, $2) WHERE instrument_id = $1 AND finished_at IS NULL`, [instrumentId, latest]);
  }

  /** Give an instrument's open jobs their experiments' deadlines back; returns how many moved. */
  async restoreDeadlines(instrumentId: string): Promise<number> {
    const restored: unknown[] = await this.dataSource.query(
      `UPDATE instrument_job j SET deadline = e.deadline FROM experiment e
        WHERE e.current_job_id = j.job_id::text AND j.instrument_id = $1 AND j.finished_at IS NULL
          AND e.deadline IS NOT NULL AND e.deadline > j.deadline
        RETURNING j.job_id`,
      [instrumentId],
    );
    return Array.isArray(restored[0]) ? (restored[0] as unknown[]).length : restored.length;
  }

  /** Every open job, oldest dispatch first. */
  openJobs(): Promise<JobStatusRow[]> {
    return this.dataSource.query(
      `SELECT instrument_id, job_id, experiment_id, campaign_id, status, dispatched_at, deadline FROM instrument_job WHERE finished_at IS NULL ORDER BY dispatched_at`,
    );
  }

  /** An instrument's latest jobs, newest first. */
  jobsOfInstrument(instrumentId: string, limit: number): Promise<{ jobId: string; experimentId: string; campaignId: string; attempt: number; status: string; dispatchedAt: Date; deadline: Date; lastEvent: unknown; finishedAt: Date | null }[]> {
    return this.dataSource.query(
      `SELECT job_id AS "jobId", experiment_id AS "experimentId", campaign_id AS "campaignId", attempt, status, dispatched_at AS "dispatchedAt",
              deadline, last_event AS "lastEvent", finished_at AS "finishedAt"
         FROM instrument_job WHERE instrument_id = $1 ORDER BY dispatched_at DESC LIMIT $2`,
      [instrumentId, limit],
    );
  }
}
