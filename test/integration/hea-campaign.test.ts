import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSuccess } from '../../src/core/domain/success.js';
import { usesOnlyElements } from '../../src/core/domain/composition-grid.js';
import { createLabOracle, HEA_DESIGN_SPACE, LAB_SPACES, publishedAlloys } from '../../simulators/scenarios.js';
import type { VirtualInstrument } from '../../simulators/virtual-instrument.js';
import { startRig, until } from '../support/closed-loop.js';
import { api, startTestApp, type TestApp } from '../support/services.js';

/**
 * Issue 16, a second alloy family: a high-entropy-alloy campaign (CoCrFeNi with Al, Ti, Mo, Nb,
 * crystalline allowed, yield strength and elongation) runs to its budget through the real service
 * over MQTT against the data-grounded lab, seeded with the published HEA rows without any glass
 * label: AIMatDesign designs from the first batch on (no random fall-back) with the HEA rules.
 */
describe('a high-entropy-alloy campaign', () => {
  let t: TestApp;
  let rig: VirtualInstrument;

  beforeAll(async () => {
    t = await startTestApp({ queue: 'in-process' });
    rig = await startRig(t, 'hea-rig', { oracle: createLabOracle('data', 2, LAB_SPACES.hea), elements: [...HEA_DESIGN_SPACE.elements] });
  });
  afterAll(async () => {
    await rig?.stop();
    await t?.close();
  });

  it('runs to its budget with the HEA knowledge, designing from seed data without glass labels', async () => {
    const objectives = {
      requireGlass: false,
      targets: [
        { property: 'yieldStrengthMPa', direction: 'atLeast', threshold: 1500, weight: 1 },
        { property: 'elongationPct', direction: 'atLeast', threshold: 15, weight: 1 },
      ],
    };
    const { family: _stated, ...space } = HEA_DESIGN_SPACE; // the family is chosen from the elements
    const created = await api(t.baseUrl, 'POST', '/api/v1/campaigns', {
      name: 'HEA strong and ductile',
      designSpace: { ...space, elements: space.elements.map((symbol) => ({ symbol, ...space.bounds[symbol] })), bounds: undefined },
      objectives, budget: 8, batchSize: 4, seed: 9,
      strategy: { episodesPerIteration: 2, refreshEpisodes: 1, stepsPerEpisode: 16 },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    const seed = publishedAlloys()
      .filter((a) => usesOnlyElements(a.composition, HEA_DESIGN_SPACE.elements) && (a.yieldStrengthMPa !== null || a.elongationPct !== null))
      .map((a) => ({ composition: a.composition, yieldStrengthMPa: a.yieldStrengthMPa, elongationPct: a.elongationPct })); // no phase, no glass label
    expect(seed.length).toBeGreaterThanOrEqual(25);
    const imported = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/measurements/import`, seed);
    expect(imported.body.kept).toBe(seed.length);
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/start`)).status).toBe(200);

    const done = await until('campaign completed', async () => {
      const c = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}`)).body;
      return c.status === 'completed' ? c : null;
    }, 180_000);
    expect(done.completionReason).toContain('budget of 8 experiments reached');

    const experiments = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/experiments?limit=100`)).body.items;
    expect(experiments).toHaveLength(8);
    for (const e of experiments) {
      // Designed by AIMatDesign (a random batch has no prediction), scored by the HEA rules.
      expect(e.prediction).not.toBeNull();
      expect(e.prediction.knowledgeExplanation).toMatch(/multiPrincipal|solidSolution|hmixWindow|vecPhase/);
      expect(e.prediction.knowledgeExplanation).not.toMatch(/etmLtmBalance|nearKnownGlass/);
      expect(Object.keys(e.composition).every((el) => HEA_DESIGN_SPACE.elements.includes(el))).toBe(true);
    }
    // Crystalline samples report their mechanics; success needs no glass.
    const measured = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/measurements?source=instrument&limit=100`)).body.items;
    expect(measured).toHaveLength(8);
    expect(measured.some((m: { phase: string }) => m.phase === 'crystalline')).toBe(true);
    for (const m of measured) {
      expect(m.yieldStrengthMPa).toBeGreaterThan(0);
      expect(m.elongationPct).not.toBeNull();
    }
    const byExperiment = new Map(measured.map((m: { experimentId: string }) => [m.experimentId, m]));
    for (const e of experiments) expect(e.meetsObjectives ?? null).toBe(e.meetsObjectives === undefined ? null : isSuccess(byExperiment.get(e.id) as never, objectives as never));
    const progress = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/progress`)).body;
    expect(progress.bestSoFar[0].best).toBe(Math.max(...measured.map((m: { yieldStrengthMPa: number }) => m.yieldStrengthMPa)));
    const jobs = (await api(t.baseUrl, 'GET', `/api/v1/jobs?campaignId=${id}&limit=50`)).body;
    expect(JSON.stringify(jobs)).not.toContain('needs more data');
  }, 240_000);
});
