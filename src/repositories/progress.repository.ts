import { Injectable } from '@nestjs/common';
import { propertySql } from '../core/domain/success.js';
import { Repository } from './database.js';

type Row = Record<string, any>;

/**
 * The progress read model: what the PI dashboard and the progress API show of a campaign, read
 * across experiments, measurements, models and the instrument fleet (read only).
 */
@Injectable()
export class ProgressRepository extends Repository {
  experimentStates(campaignId: string): Promise<{ status: string; n: number; first_at: Date }[]> {
    return this.dataSource.query(`SELECT status, count(*)::int AS n, min(created_at) AS first_at FROM experiment WHERE campaign_id = $1 GROUP BY status`, [campaignId]);
  }

  measurementSources(campaignId: string): Promise<Row[]> {
    return this.dataSource.query(
      `SELECT source, count(*) FILTER (WHERE is_current)::int AS n, count(*) FILTER (WHERE NOT is_current)::int AS superseded
         FROM measurement WHERE campaign_id = $1 GROUP BY source`,
      [campaignId],
    );
  }

  /** One row per experiment with a current result (the latest when an experiment has several). */
  measuredExperiments<T>(campaignId: string): Promise<T[]> {
    return this.dataSource.query(
      `SELECT DISTINCT ON (e.id) e.id AS experiment_id, e.sequence, e.batch_number, e.formula, m.id AS measurement_id,
              m.is_glass, m.yield_strength_mpa, m.elongation_pct, m.extra, m.created_at
         FROM experiment e JOIN measurement m ON m.experiment_id = e.id AND m.is_current
        WHERE e.campaign_id = $1
        ORDER BY e.id, m.created_at DESC, m.id`,
      [campaignId],
    );
  }

  /**
   * The seed's best value of each property (column p0, p1, ... in the order given): the largest,
   * or the smallest where `smallest` (a minimised or at-most target); of glasses only when `glassOnly`.
   */
  seedBest(campaignId: string, properties: { property: string; smallest: boolean }[], glassOnly: boolean): Promise<Row[]> {
    return this.dataSource.query(
      `SELECT ${properties.map((p, i) => `${p.smallest ? 'min' : 'max'}(${propertySql(p.property, 'measurement')}) AS p${i}`).join(', ')} FROM measurement
        WHERE campaign_id = $1 AND is_current AND source = 'seed' ${glassOnly ? 'AND is_glass' : ''}`,
      [campaignId],
    );
  }

  /** The seed's strength-elongation front (skyline), of glasses only when `glassOnly`. */
  seedSkyline(campaignId: string, glassOnly: boolean): Promise<Row[]> {
    // sorted by strength, a row is on the front when its elongation beats every stronger row's
    return this.dataSource.query(
      `SELECT id, formula, yield_strength_mpa, elongation_pct FROM (
         SELECT id, formula, yield_strength_mpa, elongation_pct,
                max(elongation_pct) OVER (ORDER BY yield_strength_mpa DESC, elongation_pct DESC, id
                                          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS beaten
           FROM measurement
          WHERE campaign_id = $1 AND is_current AND source = 'seed' ${glassOnly ? 'AND is_glass' : ''}
            AND yield_strength_mpa IS NOT NULL AND elongation_pct IS NOT NULL) s
        WHERE beaten IS NULL OR elongation_pct > beaten`,
      [campaignId],
    );
  }

  modelVersions(campaignId: string): Promise<Row[]> {
    return this.dataSource.query(
      `SELECT id, version, kind, trigger, is_active, training_seconds, data_counts, metrics, created_at
         FROM model_version WHERE campaign_id = $1 ORDER BY created_at, version`,
      [campaignId],
    );
  }

  agentCheckpoints(campaignId: string): Promise<Row[]> {
    return this.dataSource.query(
      `SELECT id, iteration, model_version_id, env_steps, training_curve, created_at
         FROM agent_checkpoint WHERE campaign_id = $1 ORDER BY iteration, created_at`,
      [campaignId],
    );
  }

  refinementEvents(campaignId: string): Promise<Row[]> {
    return this.dataSource.query(
      `SELECT id, iteration, reason, accepted, correlation_before, correlation_after, variance, features_before, features_chosen,
              rationale, provider, model_version_id, created_at
         FROM refinement_event WHERE campaign_id = $1 ORDER BY created_at, iteration`,
      [campaignId],
    );
  }

  /** Per instrument: jobs of the campaign, finished and open, busy seconds up to `until`, first dispatch. */
  instrumentUse(campaignId: string, until: Date): Promise<Row[]> {
    return this.dataSource.query(
      `SELECT instrument_id, count(*)::int AS jobs, count(finished_at)::int AS finished, (count(*) - count(finished_at))::int AS open,
              sum(extract(epoch FROM least(coalesce(finished_at, $2), $2) - dispatched_at)) AS busy_s, min(dispatched_at) AS first_at
         FROM instrument_job WHERE campaign_id = $1 GROUP BY instrument_id`,
      [campaignId, until],
    );
  }

  jobStatesByInstrument(campaignId: string): Promise<Row[]> {
    return this.dataSource.query(`SELECT instrument_id, status, count(*)::int AS n FROM instrument_job WHERE campaign_id = $1 GROUP BY instrument_id, status`, [campaignId]);
  }

  fleet(): Promise<Row[]> {
    return this.dataSource.query(`SELECT id, state, capabilities, last_seen_at FROM instrument ORDER BY id`);
  }

  recentJobs(campaignId: string, limit: number): Promise<Row[]> {
    return this.dataSource.query(
      `SELECT j.job_id, j.experiment_id, e.sequence, e.formula, j.instrument_id, j.attempt, j.status, j.dispatched_at, j.finished_at
         FROM instrument_job j JOIN experiment e ON e.id = j.experiment_id
        WHERE j.campaign_id = $1 ORDER BY j.dispatched_at DESC LIMIT $2`,
      [campaignId, limit],
    );
  }
}
