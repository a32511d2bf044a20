import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualInstrument } from '../../simulators/virtual-instrument.js';
import { demoCampaign, oracle, seedRows, until } from '../support/closed-loop.js';
import { api, startTestApp, uniqueName, type TestApp } from '../support/services.js';

type Experiment = { id: string; sequence: number; batchNumber: number; status: string; prediction: Record<string, number> | null; modelVersionId: string | null; formula: string };

/**
 * A PI steering a running AIMatDesign campaign with an approval gate, on the real servers (REST,
 * PostgreSQL, Redis, Mosquitto and a virtual instrument): nothing gated is dispatched before it is
 * approved; batch decisions; predictions on request; their own composition; live settings.
 */
describe('PI controls on a running campaign', () => {
  let t: TestApp;
  let rig: VirtualInstrument;
  let id: string;
  const experiments = async (): Promise<Experiment[]> => (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/experiments?limit=200`)).body.items;
  const jobs = async (): Promise<Array<{ experiment_id: string }>> =>
    t.infra.dataSource.query(`SELECT experiment_id FROM instrument_job WHERE campaign_id = $1`, [id]);
  const own = { Zr: 60, Cu: 25, Al: 10, Ni: 5 };

  beforeAll(async () => {
    t = await startTestApp();
    const instrumentId = uniqueName('pi-rig');
    rig = new VirtualInstrument({
      url: t.infra.broker.url, instrumentId, oracle, seed: 1, prefix: t.config.mqtt.topicPrefix, speed: 2_000_000, maxConcurrentJobs: 8, clientId: uniqueName('pi-rig'),
    });
    await rig.start();
    await until('instrument registered', async () => (await api(t.baseUrl, 'GET', `/api/v1/instruments/${instrumentId}`)).body.state === 'online');
    const { body: c } = await api(t.baseUrl, 'POST', '/api/v1/campaigns', demoCampaign({
      name: 'gated', approvalRequired: true, budget: 6, batchSize: 2,
      strategy: { method: 'aimatdesign', episodesPerIteration: 8, refreshEpisodes: 8, stepsPerEpisode: 16 },
    }));
    id = c.id;
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/measurements/import`, seedRows(20))).status).toBe(201);
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/start`)).status).toBe(200);
    await until('first batch proposed', async () => (await experiments()).length === 2, 120_000);
  }, 150_000);
  afterAll(async () => {
    await rig?.stop();
    await t?.close();
  });

  it('never dispatches gated proposals before they are approved', async () => {
    await new Promise((r) => setTimeout(r, 1500)); // an instrument with 8 free slots is online all along
    const batch = await experiments();
    expect(batch.map((e) => e.status)).toEqual(['proposed', 'proposed']);
    expect(batch.every((e) => e.prediction && e.modelVersionId)).toBe(true);
    expect(await jobs()).toEqual([]);
  });

  it('predicts compositions with the current models, with 95 % intervals; bad ones are named', async () => {
    const res = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/predict`, { compositions: [own, { Zr: 65, Cu: 20, Al: 10, Ag: 5 }] });
    expect(res.status).toBe(200);
    const [{ id: active }] = await t.infra.dataSource.query(`SELECT id FROM model_version WHERE campaign_id = $1 AND is_active`, [id]);
    expect(res.body.model.id).toBe(active);
    expect(res.body.items).toHaveLength(2);
    for (const { prediction: p } of res.body.items) {
      expect(p.pGlass).toBeGreaterThanOrEqual(0);
      expect(p.pGlass).toBeLessThanOrEqual(1);
      expect(p.yieldStrengthInterval95[0]).toBeCloseTo(p.yieldStrengthMPa - 1.96 * p.yieldStrengthStd, 0);
      expect(p.yieldStrengthInterval95[1]).toBeGreaterThan(p.yieldStrengthInterval95[0]);
      expect(p.elongationInterval95[1]).toBeGreaterThanOrEqual(p.elongationInterval95[0]);
      expect(p.successProbability).toBeGreaterThanOrEqual(0);
    }
    expect(res.body.items[0].composition).toEqual(own);

    const outside = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/predict`, { compositions: [own, { Zr: 90, Cu: 10 }] });
    expect(outside.status).toBe(400);
    expect(outside.body.message).toMatch(/^compositions\[1\]: composition outside the design space/);
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/predict`, { compositions: [] })).status).toBe(400);
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/predict`, { compositions: [{ Zr: 'a lot' }] })).status).toBe(400);
  });

  it('re-predicts an edited proposal', async () => {
    const [, second] = await experiments();
    const edited = await api(t.baseUrl, 'PATCH', `/api/v1/experiments/${second.id}`, { composition: own });
    expect(edited.status).toBe(200);
    const predicted = (await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/predict`, { compositions: [own] })).body.items[0].prediction;
    expect(edited.body.prediction).toMatchObject({ pGlass: predicted.pGlass, yieldStrengthMPa: predicted.yieldStrengthMPa, elongationStd: predicted.elongationStd });
    expect(edited.body.prediction.yieldStrengthInterval95).toBeUndefined(); // stored like any proposal's prediction
  });

  it('changes budget, batch size and objectives while running (audited; the next iteration uses them), not the design space', async () => {
    const space = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}`)).body.designSpace;
    const fixed = await api(t.baseUrl, 'PATCH', `/api/v1/campaigns/${id}`, { designSpace: space });
    expect(fixed.status).toBe(409);
    expect(fixed.body.message).toContain('only budget, batchSize, objectives');
    const low = await api(t.baseUrl, 'PATCH', `/api/v1/campaigns/${id}`, { budget: 1, batchSize: 1 });
    expect(low.status).toBe(400);
    expect(low.body.message).toContain('below the 2 experiments');

    const objectives = { requireGlass: true, targets: [{ property: 'yieldStrengthMPa', threshold: 1700, weight: 1 }, { property: 'elongationPct', threshold: 3, weight: 1 }] };
    const changed = await api(t.baseUrl, 'PATCH', `/api/v1/campaigns/${id}`, { batchSize: 4, objectives }, { 'x-actor': 'pi.jane' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ status: 'running', batchSize: 4, budget: 6 });
    // the change triggers an iteration: it fills the batch of 4 (free slots 8 - 2 waiting, budget 6 - 2)
    const all = await until('second batch of 4', async () => {
      const items = await experiments();
      return items.length === 6 ? items : null;
    }, 120_000);
    expect(all.filter((e) => e.batchNumber === 2)).toHaveLength(4);
    const audit = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/audit?limit=500`)).body.items;
    const update = audit.find((a: { action: string; details: { fields?: string[] } }) => a.action === 'update' && a.details.fields?.includes('batchSize'));
    expect(update).toMatchObject({ actor: expect.stringMatching(/pi\.jane|admin/), details: { before: { batchSize: 2 }, after: { batchSize: 4, objectives: { targets: [{ threshold: 1700 }, { threshold: 3 }] } } } });
  }, 150_000);

  it('approves and rejects proposals in batches, all or none', async () => {
    const all = await experiments();
    const [first, second] = all;
    const mixed = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/experiments/approve`, { experimentIds: [first.id, randomUUID()] });
    expect(mixed.status).toBe(409);
    expect(mixed.body.message).toContain('not an experiment of campaign');
    expect((await experiments())[0].status).toBe('proposed');
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/experiments/approve`, { experimentIds: ['not-a-uuid'] })).status).toBe(400);

    const approved = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/experiments/approve`, { experimentIds: [first.id], reason: 'looks promising' }, { 'x-actor': 'pi.jane' });
    expect(approved.status).toBe(200);
    expect(approved.body.items.map((e: Experiment) => e.status)).toEqual(['queued']);
    const rest = all.slice(1).map((e) => e.id);
    const noReason = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/experiments/reject`, { experimentIds: rest });
    expect(noReason.status).toBe(400);
    const rejected = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/experiments/reject`, { experimentIds: rest, reason: 'too close to each other' });
    expect(rejected.status).toBe(200);
    expect(rejected.body.items.map((e: Experiment) => e.status)).toEqual(rest.map(() => 'rejected'));
    // only the approved one reaches the lab
    await until('approved experiment dispatched', async () => (await jobs()).length > 0);
    expect((await jobs()).map((j) => j.experiment_id)).toEqual([first.id]);
    expect(second.id).not.toBe(first.id);
  });

  it('adds a PI composition as an experiment: validated, predicted, queued past the gate, counted in the budget', async () => {
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/pause`, { reason: 'PI review' })).status).toBe(200);
    const bad = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/experiments`, { composition: { Zr: 90, Cu: 10 } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('outside the design space');
    const before = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/progress`)).body.experiments.counted;

    const added = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/experiments`, { composition: { Zr: 59.8, Cu: 25.2, Al: 10, Ni: 5 } }, { 'x-actor': 'pi.jane' });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ status: 'queued', composition: { Zr: 60, Cu: 25, Al: 10, Ni: 5 }, modelVersionId: added.body.model.id });
    expect(added.body.prediction).toMatchObject({ pGlass: expect.any(Number), yieldStrengthMPa: expect.any(Number), successProbability: expect.any(Number) });
    const counted = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/progress`)).body.experiments.counted;
    expect(counted).toBe(before + 1);

    // with the budget allocated, a PI experiment is refused until the budget is raised
    expect((await api(t.baseUrl, 'PATCH', `/api/v1/campaigns/${id}`, { budget: counted, batchSize: 1 })).status).toBe(200);
    const full = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/experiments`, { composition: own });
    expect(full.status).toBe(409);
    expect(full.body.message).toContain(`budget of ${counted} experiments is allocated`);
    expect((await api(t.baseUrl, 'PATCH', `/api/v1/campaigns/${id}`, { budget: counted + 1 })).status).toBe(200);
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/experiments`, { composition: own })).status).toBe(201);
    // room for a few more design iterations (one proposal each) for the AMR checks below
    expect((await api(t.baseUrl, 'PATCH', `/api/v1/campaigns/${id}`, { budget: counted + 5 })).status).toBe(200);

    // dispatched like a proposal once the campaign runs
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/resume`, {})).status).toBe(200);
    await until('PI experiment dispatched', async () => (await jobs()).some((j) => j.experiment_id === added.body.id));
  });

  it('records AMR\'s checks in every iteration, the lab check against the returned results included', async () => {
    // each result triggers an iteration (one proposal each, budget left for four): find one that compared results
    const checkpoints = async () =>
      t.infra.dataSource.query(`SELECT iteration, config, training_curve FROM agent_checkpoint WHERE campaign_id = $1 ORDER BY created_at`, [id]);
    const rows = await until('an iteration with returned results to compare', async () => {
      const all = await checkpoints();
      return all.some((k: { training_curve: { amrChecks: Array<{ kind: string; results?: number }> } }) => k.training_curve.amrChecks.some((c) => c.kind === 'lab' && c.results! > 0)) ? all : null;
    }, 150_000);
    const training = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/progress`)).body.training;
    expect(training.length).toBe(rows.length);
    for (const k of training) {
      // 8 x 16 = 128 steps per iteration (two vector steps of 64): the schedule is scaled to the run, so every iteration checks
      const rollouts = k.amrChecks.filter((c: { kind: string }) => c.kind === 'rollouts');
      expect(rollouts.length, `iteration ${k.iteration}`).toBeGreaterThanOrEqual(1);
      for (const c of rollouts) expect(c).toMatchObject({ envSteps: expect.any(Number), pairs: expect.any(Number), relativeStd: expect.any(Number) });
    }
    expect(training[0].amrChecks.some((c: { kind: string }) => c.kind === 'lab')).toBe(false); // nothing to compare before the first iteration
    expect(training.slice(1).every((k: { amrChecks: Array<{ kind: string }> }) => k.amrChecks[0].kind === 'lab')).toBe(true);
    // the figures of the first check with results: every result since the previous iteration started
    const i = training.findIndex((k: { amrChecks: Array<{ kind: string; results?: number }> }) => k.amrChecks[0]?.kind === 'lab' && k.amrChecks[0].results! > 0);
    const lab = training[i].amrChecks[0];
    const [{ n }] = await t.infra.dataSource.query(
      `SELECT count(*)::int AS n FROM experiment e JOIN measurement m ON m.experiment_id = e.id AND m.is_current
        WHERE e.campaign_id = $1 AND e.prediction IS NOT NULL AND m.created_at > $2 AND m.created_at < $3`,
      [id, rows[i - 1].config.iterationStartedAt, rows[i].config.iterationStartedAt],
    );
    expect(lab).toMatchObject({ kind: 'lab', results: n, threshold: 0.5 });
    expect(lab.outsideShare).toBe(lab.outside / lab.results);
    expect(lab.fired).toBe(lab.outsideShare > 0.5 ? 'lab-disagreement' : null);
  }, 180_000);
});
