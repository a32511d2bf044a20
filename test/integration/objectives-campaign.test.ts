import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSuccess } from '../../src/core/domain/success.js';
import { createDataOracle } from '../../simulators/data-oracle.js';
import { inSpace, publishedAlloys, ZR9_DESIGN_SPACE } from '../../simulators/scenarios.js';
import type { VirtualInstrument } from '../../simulators/virtual-instrument.js';
import { startRig, until, zr9DesignSpaceDto } from '../support/closed-loop.js';
import { api, startTestApp, type TestApp } from '../support/services.js';

/**
 * Issue 16, objectives for any measured property: a Zr campaign maximising Dmax and minimising
 * the liquidus Tl (plus yield strength in the pre-issue-16 request form) runs through the real
 * service (AIMatDesign, in-process jobs, Mosquitto) against the data-grounded virtual lab, which
 * reports Dmax, Tg, Tx, Tl and modulus from the published measurements.
 */
describe('a campaign on Dmax and a minimised property', () => {
  let t: TestApp;
  let rig: VirtualInstrument;

  beforeAll(async () => {
    t = await startTestApp({ queue: 'in-process' });
    rig = await startRig(t, 'dsc-rig', { oracle: createDataOracle(4, publishedAlloys()), elements: [...ZR9_DESIGN_SPACE.elements] });
  });
  afterAll(async () => {
    await rig?.stop();
    await t?.close();
  });

  it('runs to its budget; regressors, predictions, success, progress and exports follow the objectives', async () => {
    const objectives = {
      requireGlass: true,
      targets: [
        { property: 'dmaxMm', direction: 'maximise', weight: 2 },
        { property: 'tlK', direction: 'minimise', threshold: 1250, weight: 1 },
        { property: 'yieldStrengthMPa', threshold: 1400, weight: 1 }, // the old form: at least
      ],
    };
    const bad = await api(t.baseUrl, 'POST', '/api/v1/campaigns', {
      name: 'bad', designSpace: zr9DesignSpaceDto(), budget: 8, batchSize: 4, seed: 3,
      objectives: { requireGlass: true, targets: [{ property: 'tlK', direction: 'atMost' }] },
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('direction atMost needs a finite threshold');

    const created = await api(t.baseUrl, 'POST', '/api/v1/campaigns', {
      name: 'Dmax up, Tl down', designSpace: zr9DesignSpaceDto(), objectives, budget: 8, batchSize: 4, seed: 3,
      strategy: { episodesPerIteration: 2, refreshEpisodes: 1, stepsPerEpisode: 16 },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body.objectives.targets[2]).toEqual({ property: 'yieldStrengthMPa', direction: 'atLeast', threshold: 1400, weight: 1 });

    // Seed: the published Zr alloys of the space (with their Dmax, Tg, Tx, Tl where measured).
    const seed: Array<Record<string, unknown>> = publishedAlloys()
      .filter((a) => inSpace(a, ZR9_DESIGN_SPACE) && a.isGlass !== null)
      .map((a) => ({ composition: a.composition, phase: a.isGlass ? 'amorphous' : 'crystalline', yieldStrengthMPa: a.yieldStrengthMPa, elongationPct: a.elongationPct, ...a.extra }));
    expect(seed.filter((s) => 'dmaxMm' in s).length).toBeGreaterThan(10);
    const imported = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/measurements/import`, seed);
    expect(imported.status).toBe(201);
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/start`)).status).toBe(200);

    const done = await until('campaign completed', async () => {
      const c = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}`)).body;
      return c.status === 'completed' ? c : null;
    }, 180_000).catch(async (error) => {
      const states = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/progress`)).body.experiments;
      const jobs = (await api(t.baseUrl, 'GET', `/api/v1/jobs?campaignId=${id}`)).body;
      throw new Error(`${error.message}: experiments ${JSON.stringify(states)}, jobs ${JSON.stringify(jobs).slice(0, 1500)}`);
    });
    expect(done.completionReason).toContain('budget of 8 experiments reached');

    // One regressor per objective property with data, its rows counted with the model version.
    const models = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/progress`)).body.modelQuality;
    expect(models[0].dataCounts.dmaxMm).toBeGreaterThan(10);
    expect(models[0].dataCounts.tlK).toBeGreaterThan(10);

    const experiments = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/experiments?limit=100`)).body.items;
    expect(experiments).toHaveLength(8);
    for (const e of experiments) {
      expect(e.prediction.properties.dmaxMm.mean).toBeGreaterThan(0);
      expect(e.prediction.properties.tlK.mean).toBeGreaterThan(500);
      expect(e.prediction.successProbability).toBeGreaterThanOrEqual(0);
      expect(e.prediction.successProbability).toBeLessThanOrEqual(1);
    }
    // The lab reported the further properties; an amorphous sample has its Dmax and Tl.
    const measured = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/measurements?source=instrument&limit=100`)).body.items;
    expect(measured).toHaveLength(8);
    for (const m of measured.filter((m: { phase: string }) => m.phase === 'amorphous')) {
      expect(m.extra.dmaxMm).toBeGreaterThan(0);
      expect(m.extra.tlK).toBeGreaterThan(500);
    }
    // Success as the one rule says, from what was stored.
    const stored = normalised(objectives);
    const byExperiment = new Map(measured.map((m: { experimentId: string }) => [m.experimentId, m]));
    for (const e of experiments) {
      const m = byExperiment.get(e.id) as { isGlass: boolean; yieldStrengthMPa: number | null; elongationPct: number | null; extra: Record<string, number> };
      expect(e.meetsObjectives ?? isSuccess(m, stored)).toBe(isSuccess(m, stored));
    }

    const progress = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/progress`)).body;
    const glassValues = (p: string) => measured.filter((m: { isGlass: boolean }) => m.isGlass).map((m: { extra: Record<string, number> }) => m.extra[p]).filter((v: number | undefined) => v !== undefined);
    const dmax = progress.bestSoFar.find((b: { property: string }) => b.property === 'dmaxMm');
    const tl = progress.bestSoFar.find((b: { property: string }) => b.property === 'tlK');
    expect(dmax.direction).toBe('maximise');
    expect(tl).toMatchObject({ direction: 'minimise', threshold: 1250 });
    expect(dmax.best).toBe(glassValues('dmaxMm').length ? Math.max(...glassValues('dmaxMm')) : null);
    expect(tl.best).toBe(glassValues('tlK').length ? Math.min(...glassValues('tlK')) : null);
    expect(dmax.seedBest).toBe(Math.max(...seed.filter((s) => s.phase === 'amorphous' && typeof s.dmaxMm === 'number').map((s) => s.dmaxMm as number)));
    expect(progress.objectiveFront.properties).toEqual(['dmaxMm', 'tlK', 'yieldStrengthMPa']);
    expect(progress.objectiveFront.reference.slice(1)).toEqual([1250, 1400]);
    expect(progress.objectiveFront.hypervolume).toBeGreaterThanOrEqual(0);
    for (const p of progress.objectiveFront.front) expect(progress.objectiveFront.points).toContainEqual(p);

    // The experiments CSV has a measured column per further objective property.
    const csv = (await api(t.baseUrl, "GET", `/api/v1/campaigns/${id}/export/experiments.csv`)).body as string;
    const [header, ...lines] = csv.trim().split('\n');
    expect(header.split(',').slice(-2)).toEqual(['dmaxMm', 'tlK']);
    expect(lines).toHaveLength(8);
  }, 300_000);
});

function normalised(o: { requireGlass: boolean; targets: Array<Record<string, unknown>> }) {
  return { requireGlass: o.requireGlass, targets: o.targets.map((t) => ({ direction: 'atLeast', ...t })) as never[] };
}
