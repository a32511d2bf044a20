import { Injectable } from '@nestjs/common';
import { Repository, type Tx } from './database.js';

type Row = Record<string, any>;

const MEASUREMENT_COLUMNS = [
  'id', 'campaign_id', 'experiment_id', 'source', 'instrument_id', 'job_id', 'external_id', 'idempotency_key', 'name', 'composition', 'process', 'formula',
  'elements', 'phase', 'is_glass', 'yield_strength_mpa', 'elongation_pct', 'extra', 'composition_deviation', 'flags', 'measured_at', 'entered_by',
  'revision', 'supersedes_id', 'is_current', 'created_at',
].map((c) => `m.${c}`).join(', ');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Tables an imported campaign document fills, and nothing else. */
const IMPORT_TABLES = new Set(['model_version', 'experiment', 'instrument_job', 'agent_checkpoint', 'refinement_event', 'measurement']);

/**
 * A whole campaign as rows, for its exports (read in a snapshot) and for importing a campaign
 * document (written in one transaction, with the ids it brings mapped to new ones by the caller).
 */
@Injectable()
export class CampaignArchiveRepository extends Repository {
  /**
   * Measurement rows in (created_at, id) order, chunk by chunk, through a server-side cursor in a
   * read-only snapshot (one sort, however many rows share a timestamp).
   */
  async *measurementRows(campaignId: string, allRevisions: boolean, withRaw: boolean, chunk: number): AsyncGenerator<Row[]> {
    if (!UUID.test(campaignId)) throw new Error(`campaign id ${campaignId} is not a UUID`);
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    let open = false;
    try {
      await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      open = true;
      await runner.query('SET LOCAL cursor_tuple_fraction = 1'); // all rows are wanted: plan for the total, not the first row
      await runner.query(
        `DECLARE export_measurements NO SCROLL CURSOR FOR
           SELECT ${MEASUREMENT_COLUMNS}${withRaw ? ', m.raw' : ''}, e.sequence AS experiment_sequence
             FROM measurement m LEFT JOIN experiment e ON e.id = m.experiment_id
            WHERE m.campaign_id = '${campaignId}' ${allRevisions ? '' : 'AND m.is_current'}
            ORDER BY m.created_at, m.id`,
      );
      for (;;) {
        const rows: Row[] = await runner.query(`FETCH ${chunk} FROM export_measurements`);
        if (rows.length > 0) yield rows;
        if (rows.length < chunk) break;
      }
      await runner.query('COMMIT');
      open = false;
    } finally {
      // an error, or a consumer that stops early (client gone), lands here with the transaction open
      if (open) await runner.query('ROLLBACK').catch(() => undefined);
      await runner.release();
    }
  }

  /** Experiments in number order, each with its current result's columns prefixed m_ (the latest when several). */
  experimentsWithResults(campaignId: string): Promise<Row[]> {
    return this.dataSource.query(
      `SELECT e.*, m.id AS m_id, m.source AS m_source, m.instrument_id AS m_instrument_id, m.job_id AS m_job_id, m.entered_by AS m_entered_by,
              m.revision AS m_revision, m.phase AS m_phase, m.is_glass AS m_is_glass, m.yield_strength_mpa AS m_yield_strength_mpa,
              m.elongation_pct AS m_elongation_pct, m.extra AS m_extra, m.process AS m_process, m.measured_at AS m_measured_at, m.created_at AS m_created_at
         FROM experiment e
         LEFT JOIN LATERAL (SELECT * FROM measurement x WHERE x.experiment_id = e.id AND x.is_current ORDER BY x.created_at DESC, x.id LIMIT 1) m ON true
        WHERE e.campaign_id = $1 ORDER BY e.sequence`,
      [campaignId],
    );
  }

  /** Everything of a campaign but its measurements (artifacts and agent weights only when asked). */
  async documentRows(campaignId: string, artifacts: boolean): Promise<{ experiments: Row[]; jobs: Row[]; models: Row[]; checkpoints: Row[]; refinement: Row[] }> {
    const q = (sql: string) => this.dataSource.query(sql, [campaignId]) as Promise<Row[]>;
    const [experiments, jobs, models, checkpoints, refinement] = await Promise.all([
      q(`SELECT * FROM experiment WHERE campaign_id = $1 ORDER BY sequence`),
      q(`SELECT * FROM instrument_job WHERE campaign_id = $1 ORDER BY dispatched_at, job_id`),
      q(`SELECT id, version, kind, features, hyperparameters, metrics, data_counts, seed, trigger, is_active, training_seconds, created_at
              ${artifacts ? ', artifact' : ''} FROM model_version WHERE campaign_id = $1 ORDER BY created_at, version`),
      q(`SELECT id, model_version_id, iteration, config, training_curve, env_steps, created_at ${artifacts ? ', weights' : ''}
           FROM agent_checkpoint WHERE campaign_id = $1 ORDER BY iteration, created_at`),
      q(`SELECT * FROM refinement_event WHERE campaign_id = $1 ORDER BY created_at, iteration`),
    ]);
    return { experiments, jobs, models, checkpoints, refinement };
  }

  /** An imported campaign's state, settings and times as the document says. */
  async setImportedState(tx: Tx, campaignId: string, values: { status: string; strategy: string | null; startedAt: unknown; finishedAt: unknown; completionReason: unknown; createdBy: unknown }): Promise<void> {
    await tx.query(
      `UPDATE campaign SET status = $2, strategy = $3, started_at = $4, finished_at = $5, completion_reason = $6, created_by = $7 WHERE id = $1`,
      [campaignId, values.status, values.strategy, values.startedAt, values.finishedAt, values.completionReason, values.createdBy],
    );
  }

  /** Which (instrument, measurement id) pairs are stored already (revision 1), as `instrument\0id`. */
  async takenExternalIds(tx: Tx, pairs: { instrumentId: string; externalId: string }[]): Promise<Set<string>> {
    const taken = new Set<string>();
    if (pairs.length === 0) return taken;
    const rows: Row[] = await tx.query(
      `SELECT instrument_id, external_id FROM measurement WHERE revision = 1 AND (instrument_id, external_id) IN
         (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [pairs.map((x) => x.instrumentId), pairs.map((x) => x.externalId)],
    );
    for (const r of rows) taken.add(`${r.instrument_id}\u0000${r.external_id}`);
    return taken;
  }

  /** Insert rows (column name -> value; every row with the same columns) into one of the campaign's tables. */
  async insertRows(tx: Tx, table: string, rows: Row[]): Promise<void> {
    if (!IMPORT_TABLES.has(table)) throw new Error(`not a campaign table: ${table}`);
    if (rows.length === 0) return;
    const columns = Object.keys(rows[0]);
    const perChunk = Math.max(1, Math.floor(30000 / columns.length));
    for (let i = 0; i < rows.length; i += perChunk) {
      const chunk = rows.slice(i, i + perChunk);
      const params: unknown[] = [];
      const tuples = chunk.map((r) => `(${columns.map((c) => (params.push(r[c]), `$${params.length}`)).join(',')})`);
      await tx.query(`INSERT INTO ${table} (${columns.join(',')}) VALUES ${tuples.join(',')}`, params);
    }
  }
}
