import type { DataSource } from 'typeorm';
import { CampaignEntity } from '../../src/repositories/entities/campaign.entity.js';
import type { AppConfig } from '../../src/config/config.js';
import { withStrategyDefaults } from '../../src/core/domain/strategy.js';
import type { MeasuredAlloy } from '../../src/core/domain/measured-alloy.js';
import { AimatdesignStrategy } from '../../src/services/design/aimatdesign-strategy.js';
import type { DesignOutcome } from '../../src/services/design/strategy.js';
import * as services from './services.js';
import { api, zrCampaign } from './services.js';

/** Auth header for raw fetches when the service has API keys (the test support provides an admin key). */
export function authHeaders(): Record<string, string> {
  const key = (services as Record<string, unknown>).TEST_ADMIN_API_KEY;
  return typeof key === 'string' ? { authorization: `Bearer ${key}` } : {};
}

export const HOUR = 3_600_000;

/**
 * A running campaign with hand-checked numbers (targets: glass, yield strength >= 1800 MPa,
 * elongation >= 10 %; budget 48):
 *
 *  #  batch  glass  σy    ε     success
 *  1  1      yes    1700  12    no (σy)
 *  2  1      yes    1800  10    yes (both at the threshold; revision 2, revision 1 was 1500 MPa)
 *  3  1      no     2100  15    no (not a glass)
 *  4  1      yes    1900  12    yes
 *  5  2      yes    1800  –     no (elongation not measured)
 *  6  2      yes    2000  5     no (ε)
 *  7  2      yes    1850  15    yes
 *  8  3      proposed; 9 running (open job on xrd-1); 10 rejected
 *
 * Success 3/7 (batch 1: 2/4, batch 2: 1/3). Glass formers with both properties: 1, 2, 4, 6, 7;
 * Pareto front (max both) 6 (2000, 5), 4 (1900, 12), 7 (1850, 15). Hypervolume beyond the
 * targets (1800, 10): 4 gives 100 x 2 = 200, 7 adds 50 x 3 = 150: 350 MPa·%. Seeds: a glass
 * at 1800/1.5, one at 1650/2 and a crystal at 2500/20 (no glass: excluded).
 * Started 4 h ago; result k arrived at start + k·30 min, so 7 results in 3.5 h = 2 per hour and
 * the 41 left take 20.5 h. The surrogate model version and the agent's training curve are not
 * hand-made: the fixture runs one short AIMatDesign iteration on these measurements.
 */
export async function seedKnownCampaign(baseUrl: string, db: DataSource, config: AppConfig, overrides: Record<string, unknown> = {}) {
  const { body: c } = await api(baseUrl, 'POST', '/api/v1/campaigns', zrCampaign({ name: 'Known progress', ...overrides }), { 'x-actor': 'pi.jane' });
  const csv = [
    'name,composition,phase,yieldStrengthMPa,elongationPct',
    'Vit105,Zr52.5Cu17.9Ni14.6Al10Ti5,amorphous,1800,1.5',
    'LM1,Zr65Cu17.5Ni10Al7.5,amorphous,1650,2',
    'crystal,Zr50Cu50,crystalline,2500,20',
  ].join('\n');
  const imported = await api(baseUrl, 'POST', `/api/v1/campaigns/${c.id}/measurements/import`, csv);
  if (imported.status !== 201) throw new Error(`seed import failed: ${JSON.stringify(imported.body)}`);
  // running, started 4 h ago; set in SQL (no lifecycle event) so the design loop does not propose into the fixture
  const t0 = new Date(Math.floor(Date.now() / 1000) * 1000 - 4 * HOUR);
  const at = (ms: number) => new Date(t0.getTime() + ms).toISOString();
  await db.query(`UPDATE campaign SET status = 'running', started_at = $2 WHERE id = $1`, [c.id, at(0)]);

  const rows: Array<[number, number, string, boolean | null, number | null, number | null]> = [
    [1, 1, 'measured', true, 1700, 12],
    [2, 1, 'measured', true, 1800, 10],
    [3, 1, 'measured', false, 2100, 15],
    [4, 1, 'measured', true, 1900, 12],
    [5, 2, 'measured', true, 1800, null],
    [6, 2, 'measured', true, 2000, 5],
    [7, 2, 'measured', true, 1850, 15],
    [8, 3, 'proposed', null, null, null],
    [9, 3, 'running', null, null, null],
    [10, 3, 'rejected', null, null, null],
  ];
  const ids: Record<number, string> = {};
  for (const [seq, batch, status] of rows) {
    const zr = 60 - seq;
    const composition = { Zr: zr, Cu: 30, Al: 10 + seq };
    const [{ id }] = await db.query(
      `INSERT INTO experiment (campaign_id, sequence, batch_number, status, composition, formula, elements, prediction, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id`,
      [c.id, seq, batch, status, JSON.stringify(composition), `Zr${zr}Cu30Al${10 + seq}`, ['Al', 'Cu', 'Zr'],
        JSON.stringify({ pGlass: 0.9, yieldStrengthMPa: 1850, yieldStrengthStd: 50, elongationPct: 11, elongationStd: 2 }), at(0)],
    );
    ids[seq] = id;
  }
  await db.query(`INSERT INTO instrument (id, state, capabilities, last_seen_at) VALUES ('xrd-1', 'busy', $1, now()) ON CONFLICT (id) DO NOTHING`, [
    JSON.stringify({ stages: ['synthesis', 'xrd', 'tensile'], elements: ['Zr', 'Cu', 'Al'], maxConcurrentJobs: 1 }),
  ]);
  const [{ job_id: job1 }] = await db.query(
    `INSERT INTO instrument_job (experiment_id, campaign_id, instrument_id, attempt, status, stages, dispatched_at, deadline, finished_at)
     VALUES ($1, $2, 'xrd-1', 1, 'completed', $3, $4, $5, $6) RETURNING job_id`,
    [ids[1], c.id, ['synthesis', 'xrd', 'tensile'], at(0), at(4 * HOUR), at(HOUR)],
  );
  await db.query(
    `INSERT INTO instrument_job (experiment_id, campaign_id, instrument_id, attempt, status, stages, dispatched_at, deadline)
     VALUES ($1, $2, 'xrd-1', 1, 'running', $3, $4, $5)`,
    [ids[9], c.id, ['synthesis', 'xrd', 'tensile'], new Date(Date.now() - HOUR / 2).toISOString(), at(8 * HOUR)],
  );
  const insertMeasurement = async (seq: number, glass: boolean | null, ys: number | null, el: number | null, extra: Record<string, unknown> = {}) => {
    const [{ id }] = await db.query(
      `INSERT INTO measurement (campaign_id, experiment_id, source, instrument_id, job_id, external_id, composition, formula, elements, phase,
                                is_glass, yield_strength_mpa, elongation_pct, entered_by, revision, supersedes_id, is_current, created_at, measured_at)
       SELECT campaign_id, id, $2, $3, $4, $5, composition, formula, elements, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14
         FROM experiment WHERE id = $1 RETURNING id`,
      [ids[seq], extra.source ?? 'instrument', 'instrumentId' in extra ? extra.instrumentId : 'xrd-1', extra.jobId ?? null, extra.externalId ?? null,
        glass === null ? null : glass ? 'amorphous' : 'crystalline', glass, ys, el, extra.enteredBy ?? null, extra.revision ?? 1,
        extra.supersedesId ?? null, extra.isCurrent ?? true, extra.createdAt ?? at(seq * HOUR / 2)],
    );
    return id as string;
  };
  const values = Object.fromEntries(rows.map((r) => [r[0], r]));
  for (const seq of [1, 2, 3, 4, 5, 6, 7]) {
    const [, , , glass, ys, el] = values[seq];
    if (seq === 1) {
      await insertMeasurement(seq, glass, ys, el, { jobId: job1, externalId: `m-${c.id.slice(0, 8)}-1` });
    } else if (seq === 2) {
      const first = await insertMeasurement(seq, true, 1500, 10, { isCurrent: false, source: 'technician', instrumentId: null, enteredBy: 'tech.ann', createdAt: at(HOUR / 2) });
      await insertMeasurement(seq, glass, ys, el, { revision: 2, supersedesId: first, source: 'technician', instrumentId: null, enteredBy: 'tech.bob' });
    } else {
      await insertMeasurement(seq, glass, ys, el);
    }
  }
  // Model versions and the agent's training curve come from running the real strategy on this
  // campaign's data (a short training run), stored the way the design loop stores them.
  const design = await runStrategyOnce(db, await db.getRepository(CampaignEntity).findOneByOrFail({ id: c.id }), config);
  const modelIds: string[] = [];
  for (const [i, mv] of design.modelVersions.entries()) {
    const [{ id }] = await db.query(
      `INSERT INTO model_version (campaign_id, version, kind, features, hyperparameters, metrics, data_counts, seed, trigger, is_active, artifact, training_seconds, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 7, $8, $9, $10, $11, $12) RETURNING id`,
      [c.id, i + 1, mv.kind, mv.features, JSON.stringify(mv.hyperparameters), JSON.stringify(mv.metrics), JSON.stringify(mv.dataCounts), mv.trigger,
        i === design.modelVersions.length - 1, JSON.stringify(mv.artifact), mv.trainingSeconds, at(0)],
    );
    modelIds.push(id);
  }
  const modelId = modelIds.at(-1)!;
  await db.query(
    `INSERT INTO agent_checkpoint (campaign_id, model_version_id, iteration, config, training_curve, weights, env_steps, created_at)
     VALUES ($1, $2, 1, $3, $4, $5, $6, $7)`,
    [c.id, modelId, JSON.stringify(design.agent!.config), JSON.stringify(design.agent!.trainingCurve), JSON.stringify(design.agent!.weights), design.agent!.envSteps, at(HOUR / 4)],
  );
  await db.query(
    `INSERT INTO refinement_event (campaign_id, iteration, reason, correlation_before, correlation_after, variance, features_before, features_chosen,
                                   rationale, provider, metrics_before, metrics_after, accepted, model_version_id, created_at)
     VALUES ($1, 2, 'low Q/reward correlation', 0.35, 0.72, 0.1, $2, $3, 'delta and VEC explain ductility', 'rules', '{}', '{}', true, $4, $5)`,
    [c.id, ['vec'], ['vec', 'delta'], modelId, at(2 * HOUR)],
  );
  return { campaign: c, ids, t0, design };
}

/** Short training settings for the fixture: 20 episodes of 32 steps (10 vector steps of 64 environments). */
export const FIXTURE_STRATEGY = { episodesPerIteration: 20, refreshEpisodes: 20, stepsPerEpisode: 32, amrEnabled: false, trustRegion: false };

/** One AIMatDesign iteration on the campaign's current measurements, as the design loop runs it (inline). */
async function runStrategyOnce(db: DataSource, c: CampaignEntity, config: AppConfig): Promise<DesignOutcome> {
  const rows: Array<{ composition: Record<string, number>; is_glass: boolean | null; yield_strength_mpa: number | null; elongation_pct: number | null }> = await db.query(
    `SELECT composition, is_glass, yield_strength_mpa, elongation_pct FROM measurement WHERE campaign_id = $1 AND is_current ORDER BY created_at, id`,
    [c.id],
  );
  const measured: MeasuredAlloy[] = rows.map((r) => ({
    composition: r.composition, isGlass: r.is_glass, yieldStrengthMPa: r.yield_strength_mpa === null ? null : Number(r.yield_strength_mpa),
    elongationPct: r.elongation_pct === null ? null : Number(r.elongation_pct),
  }));
  return new AimatdesignStrategy(config, null).propose({
    campaignId: c.id, space: c.designSpace, objectives: c.objectives, strategy: withStrategyDefaults(FIXTURE_STRATEGY),
    measured, pending: [], count: 2, seed: 7, iteration: 1, previous: { featureNames: null, agentCheckpoint: null, trustRegion: null },
    progress: async () => undefined, log: () => undefined,
  });
}
