import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSuccess } from '../../src/core/domain/success.js';
import { normaliseObjectives } from '../../src/core/domain/objectives.js';
import type { ProcessVariable } from '../../src/core/domain/process.js';
import { inSpace, publishedAlloys, ZR9_DESIGN_SPACE } from '../../simulators/scenarios.js';
import { until, zr9DesignSpaceDto } from '../support/closed-loop.js';
import { api, startTestApp, type TestApp } from '../support/services.js';

/**
 * Issue 16's further properties and process values entered by technicians: over REST one by one,
 * as bulk CSV and as corrections, checked against what the campaign takes (400 with the reason and
 * nothing stored otherwise), stored as the MQTT path stores them (the measurement's extra and
 * process) and read back the way a campaign reads them: measurements, success, the progress report,
 * the exports; then the campaign's first model predicts every objective property it has data for
 * (POST /predict) and names the one without a model.
 */
const PROCESS: ProcessVariable[] = [
  { name: 'castingDiameterMm', kind: 'continuous', min: 1, max: 5, step: 1, unit: 'mm' },
  { name: 'coolingMethod', kind: 'categorical', values: ['copper-mould', 'suction', 'water-quench'] },
];
const OBJECTIVES = {
  requireGlass: true,
  targets: [
    { property: 'dmaxMm', direction: 'atLeast', threshold: 5, weight: 1 },
    { property: 'hardnessHV', direction: 'atLeast', threshold: 500, weight: 1 }, // a free name
    { property: 'fractureToughnessMPam', direction: 'atLeast', threshold: 20, weight: 1 }, // a free name measured too rarely for a model
  ],
};
const COMPOSITIONS = [
  { Zr: 60, Cu: 25, Al: 10, Ni: 5 },
  { Zr: 62, Cu: 24, Ni: 8, Al: 6 },
  { Zr: 55, Cu: 30, Al: 10, Ni: 5 },
  { Zr: 65, Cu: 17.5, Ni: 10, Al: 7.5 },
  { Zr: 50, Cu: 35, Al: 10, Ag: 5 },
  { Zr: 58, Cu: 22, Ni: 10, Al: 10 },
];
const DEFAULT_PROCESS = { castingDiameterMm: 3, coolingMethod: 'copper-mould' };

describe('technicians enter further properties and process values', () => {
  let t: TestApp;
  let id: string;
  let experiments: { id: string; sequence: number }[];
  const measurements = async () => (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/measurements?source=technician&limit=100`)).body.items as Record<string, any>[];
  const experiment = async (i: number) => (await api(t.baseUrl, 'GET', `/api/v1/experiments/${experiments[i].id}`)).body;

  beforeAll(async () => {
    t = await startTestApp({ queue: 'in-process' });
    const created = await api(t.baseUrl, 'POST', '/api/v1/campaigns', {
      name: 'technician properties', designSpace: { ...zr9DesignSpaceDto(), process: PROCESS }, objectives: OBJECTIVES, budget: 8, batchSize: 2, seed: 4,
      strategy: { episodesPerIteration: 2, refreshEpisodes: 1, stepsPerEpisode: 16 },
    });
    expect(created.status).toBe(201);
    id = created.body.id;
    experiments = [];
    for (const composition of COMPOSITIONS) {
      const own = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/experiments`, { composition });
      expect(own.status).toBe(201);
      expect(own.body.process).toEqual(DEFAULT_PROCESS);
      experiments.push(own.body);
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses what the campaign does not take, with the reason, and stores nothing', async () => {
    const base = { phase: 'amorphous', yieldStrengthMPa: 1700, elongationPct: 3 };
    const cases: [unknown, RegExp][] = [
      [{ ...base, properties: { vickers: 600 } }, /property vickers is not a property of this campaign \(it takes dmaxMm, tgK, txK, tlK, deltaTxK, modulusGPa, hardnessHV, fractureToughnessMPam\)/],
      [{ ...base, properties: { dmaxMm: 'thick' } }, /property dmaxMm must be a finite number or null, got "thick"/],
      [{ ...base, properties: { tgK: -5 } }, /property tgK -5 is outside 0-5000 K/],
      [{ ...base, properties: { yieldStrengthMPa: 1700 } }, /property yieldStrengthMPa has its own field/],
      [{ ...base, properties: [1, 2] }, /properties must be an object/],
      [{ ...base, process: { coolingMethod: 'furnace' } }, /process value coolingMethod: "furnace" is not one of "copper-mould", "suction", "water-quench"/],
      [{ ...base, process: { annealMinutes: 30 } }, /process value annealMinutes names no process variable of the campaign \(castingDiameterMm, coolingMethod\)/],
    ];
    for (const [body, reason] of cases) {
      const res = await api(t.baseUrl, 'POST', `/api/v1/experiments/${experiments[0].id}/measurements`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(res.body).replace(/\\"/g, '"')).toMatch(reason);
    }
    // A non-finite number (1e999 reads as Infinity) as the raw JSON a client may send.
    const infinite = await api(t.baseUrl, 'POST', `/api/v1/experiments/${experiments[0].id}/measurements`, '{"phase": "amorphous", "yieldStrengthMPa": 1700, "elongationPct": 3, "properties": {"hardnessHV": 1e999}}', {
      'content-type': 'application/json',
    });
    expect(infinite.status).toBe(400);
    expect(JSON.stringify(infinite.body)).toContain('property hardnessHV must be a finite number or null, got Infinity');
    // A CSV with a column the campaign does not take: 400 naming what it takes, no row stored.
    const csv = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/results`, `experiment,phase,yieldStrengthMPa,elongationPct,dmaxMm,vickers\n${experiments[0].sequence},amorphous,1700,3,8,600\n`);
    expect(csv.status).toBe(400);
    expect(JSON.stringify(csv.body)).toContain('column \\"vickers\\" is not a result field');
    expect(JSON.stringify(csv.body)).toContain('or one of its process variables (castingDiameterMm, coolingMethod)');

    expect(await measurements()).toEqual([]);
    expect((await experiment(0)).status).toBe('queued');
  });

  it('stores them as the MQTT path does; success, progress, exports and corrections read them', async () => {
    // REST, one by one: properties in extra, the process used merged onto the dispatched one.
    const first = await api(t.baseUrl, 'POST', `/api/v1/experiments/${experiments[0].id}/measurements`, {
      phase: 'amorphous', yieldStrengthMPa: 1700, elongationPct: 3,
      properties: { dmaxMm: 8.5, hardnessHV: 612, fractureToughnessMPam: 40, tgK: 671, txK: 752, tlK: null },
      process: { coolingMethod: 'suction' },
    });
    expect(first.status).toBe(201);
    expect(first.body.experimentClosed).toBe(true);
    expect(first.body.measurement.extra).toEqual({ dmaxMm: 8.5, hardnessHV: 612, fractureToughnessMPam: 40, tgK: 671, txK: 752 });
    expect(first.body.measurement.process).toEqual({ castingDiameterMm: 3, coolingMethod: 'suction' });
    expect(first.body.flags).toContain('process_deviation');
    const second = await api(t.baseUrl, 'POST', `/api/v1/experiments/${experiments[1].id}/measurements`, {
      phase: 'amorphous', yieldStrengthMPa: 1650, elongationPct: 2, properties: { dmaxMm: 2, hardnessHV: 700, fractureToughnessMPam: 30 }, notes: 'rod cracked',
    });
    expect(second.status).toBe(201);
    expect(second.body.measurement.extra).toEqual({ dmaxMm: 2, hardnessHV: 700, fractureToughnessMPam: 30, notes: 'rod cracked' });
    expect(second.body.measurement.process).toEqual(DEFAULT_PROCESS);
    expect(second.body.flags).not.toContain('process_deviation');

    // Bulk CSV: property and process columns by name; a bad value rejects its row only, with the reason.
    const [, , e3, e4, e5, e6] = experiments.map((e) => e.sequence);
    const bulk = await api(
      t.baseUrl, 'POST', `/api/v1/campaigns/${id}/results`,
      'experiment,phase,yieldStrengthMPa,elongationPct,dmaxMm,hardnessHV,fractureToughnessMPam,castingDiameterMm,coolingMethod\n' +
        `${e3},amorphous,1720,2.5,6,550,35,2,water-quench\n` +
        `${e4},amorphous,1690,3.5,7,450,,,\n` +
        `${e5},amorphous,1710,2.8,9,Infinity,,,\n` +
        `${e6},amorphous,1680,3.1,5.5,530,,2.5,\n` +
        `${e5},amorphous,1710,2.8,9,520,,,suction\n`,
    );
    expect(bulk.status).toBe(201);
    expect(bulk.body).toMatchObject({ stored: 3, rejected: 2 });
    expect(bulk.body.rows[2]).toMatchObject({ row: 3, outcome: 'rejected' });
    expect(bulk.body.rows[2].reason).toContain('property hardnessHV must be a finite number or null, got Infinity');
    expect(bulk.body.rows[3].reason).toContain('process value castingDiameterMm: 2.5 mm is not on the 1 mm grid from 1');
    // The row for experiment 6 was rejected: enter it over REST.
    expect((await experiment(5)).status).toBe('queued');
    expect((await api(t.baseUrl, 'POST', `/api/v1/experiments/${experiments[5].id}/measurements`, { phase: 'amorphous', yieldStrengthMPa: 1680, elongationPct: 3.1, properties: { dmaxMm: 5.5, hardnessHV: 530 } })).status).toBe(201);

    const stored = new Map((await measurements()).map((m) => [m.experimentId, m]));
    expect(stored.size).toBe(6);
    expect(stored.get(experiments[2].id)).toMatchObject({ extra: { dmaxMm: 6, hardnessHV: 550, fractureToughnessMPam: 35 }, process: { castingDiameterMm: 2, coolingMethod: 'water-quench' } });
    expect(stored.get(experiments[3].id)).toMatchObject({ extra: { dmaxMm: 7, hardnessHV: 450 }, process: DEFAULT_PROCESS });
    expect(stored.get(experiments[4].id)).toMatchObject({ extra: { dmaxMm: 9, hardnessHV: 520 }, process: { ...DEFAULT_PROCESS, coolingMethod: 'suction' } });

    // Success, by the one rule on what was stored: experiments 1 and 3 meet all three objectives.
    const objectives = normaliseObjectives(OBJECTIVES);
    const success = (e: { id: string }) => isSuccess(stored.get(e.id) as never, objectives);
    expect(experiments.map(success)).toEqual([true, false, true, false, false, false]);
    const exported: Record<string, any>[] = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/export/experiments.json`)).body;
    expect(exported.map((e) => e.meetsObjectives)).toEqual([true, false, true, false, false, false]);
    let progress = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/progress`)).body;
    expect(progress.success.overall).toEqual({ measured: 6, successes: 2, rate: 2 / 6 });
    expect(progress.measurements.bySource.technician).toBe(6);
    const best = (p: string) => progress.bestSoFar.find((b: { property: string }) => b.property === p);
    expect(best('dmaxMm').best).toBe(9);
    expect(best('hardnessHV')).toMatchObject({ best: 700, threshold: 500, direction: 'atLeast' });
    expect(best('fractureToughnessMPam').best).toBe(40);
    expect(progress.objectiveFront.properties).toEqual(['dmaxMm', 'hardnessHV', 'fractureToughnessMPam']);
    // Only the three alloys with every objective property measured are points of the front.
    expect(progress.objectiveFront.points.map((p: { sequence: number }) => p.sequence).sort()).toEqual([experiments[0].sequence, experiments[1].sequence, experiments[2].sequence].sort());
    const csv = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/export/experiments.csv`)).body as string;
    const [header, ...lines] = csv.trim().split('\n');
    expect(header.split(',').slice(-3)).toEqual(['dmaxMm', 'hardnessHV', 'fractureToughnessMPam']);
    expect(lines[0].split(',').slice(-3)).toEqual(['8.5', '612', '40']);

    // A correction with properties replaces the measured ones (and keeps the notes): experiment 2 now succeeds.
    const badCorrection = await api(t.baseUrl, 'POST', `/api/v1/measurements/${second.body.measurement.id}/corrections`, {
      phase: 'amorphous', yieldStrengthMPa: 1650, elongationPct: 2, reason: 'x', properties: { dmaxMm: 5.5, vickers: 1 },
    });
    expect(badCorrection.status).toBe(400);
    expect(JSON.stringify(badCorrection.body)).toContain('property vickers is not a property of this campaign');
    const corrected = await api(t.baseUrl, 'POST', `/api/v1/measurements/${second.body.measurement.id}/corrections`, {
      phase: 'amorphous', yieldStrengthMPa: 1650, elongationPct: 2, reason: 'Dmax was read off the wrong rod',
      properties: { dmaxMm: 5.5, hardnessHV: 700, fractureToughnessMPam: 30 }, process: { castingDiameterMm: 4 },
    });
    expect(corrected.status).toBe(201);
    expect(corrected.body.extra).toMatchObject({ dmaxMm: 5.5, hardnessHV: 700, fractureToughnessMPam: 30, notes: 'rod cracked', correctionReason: 'Dmax was read off the wrong rod' });
    expect(corrected.body.process).toEqual({ ...DEFAULT_PROCESS, castingDiameterMm: 4 });
    progress = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/progress`)).body;
    expect(progress.success.overall).toEqual({ measured: 6, successes: 3, rate: 3 / 6 });
  });

  it("the campaign's model predicts every objective property with data and names the one without (POST /predict)", async () => {
    // Every experiment measured (the test before): starting proposes a batch though no instrument is online.
    expect((await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/progress`)).body.experiments.byState.measured).toBe(6);
    const seed = publishedAlloys()
      .filter((a) => inSpace(a, ZR9_DESIGN_SPACE) && a.isGlass !== null)
      .map((a) => ({ composition: a.composition, phase: a.isGlass ? 'amorphous' : 'crystalline', yieldStrengthMPa: a.yieldStrengthMPa, elongationPct: a.elongationPct, ...a.extra }));
    // Seed data with a free-named objective property: a column of its name is kept like Dmax; a value that is no number rejects its row.
    const hardnessSeed = await api(
      t.baseUrl, 'POST', `/api/v1/campaigns/${id}/measurements/import`,
      'composition,phase,yieldStrengthMPa,elongationPct,hardnessHV\nZr60Cu30Al10,amorphous,1700,2,580\nZr55Cu35Al10,amorphous,1650,2,hard\n',
    );
    expect(hardnessSeed.status).toBe(201);
    expect(hardnessSeed.body).toMatchObject({ kept: 1, rejected: 1, problems: [{ row: 2, reason: 'hardnessHV "hard" is not a finite number' }] });
    const seeded = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/measurements?source=seed`)).body.items as Record<string, any>[];
    expect(seeded.map((m) => [m.formula, m.extra])).toEqual([['Zr60Cu30Al10', { hardnessHV: 580 }]]);
    expect((await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/progress`)).body.bestSoFar.find((b: { property: string }) => b.property === 'hardnessHV').seedBest).toBe(580);
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/measurements/import`, seed)).status).toBe(201);
    const before = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/predict`, { compositions: [COMPOSITIONS[0]] });
    expect(before.status).toBe(409);
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/start`)).status).toBe(200);

    const compositions = [{ Zr: 61, Cu: 24, Ni: 8, Al: 7 }, { Zr: 57, Cu: 28, Al: 10, Ni: 5 }];
    const predicted = await until('a trained model', async () => {
      const res = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/predict`, { compositions });
      return res.status === 200 ? res.body : null;
    }, 240_000);
    const model = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/progress`)).body.modelQuality.find((m: { id: string }) => m.id === predicted.model.id);
    // Hardness is measured on the six technician entries and one seed alloy: it has a model now.
    expect(model.dataCounts.hardnessHV).toBe(7);
    expect(model.dataCounts.dmaxMm).toBeGreaterThan(10);
    expect(model.dataCounts.fractureToughnessMPam).toBeUndefined();
    expect(predicted.properties).toEqual({
      modelled: ['dmaxMm', 'hardnessHV'],
      withoutModel: [{ property: 'fractureToughnessMPam', reason: `fewer than 5 measured values when model version ${predicted.model.version} was trained` }],
    });
    for (const item of predicted.items) {
      const p = item.prediction;
      expect(Object.keys(p.properties).sort()).toEqual(['dmaxMm', 'hardnessHV']);
      expect(p.properties.dmaxMm.mean).toBeGreaterThan(0);
      expect(p.properties.hardnessHV.mean).toBeGreaterThan(300);
      expect(p.properties.hardnessHV.mean).toBeLessThan(900);
      for (const [q, v] of Object.entries(p.properties as Record<string, { mean: number; std: number }>)) {
        expect(v.std).toBeGreaterThanOrEqual(0);
        expect(p.propertyIntervals95[q][0]).toBeCloseTo(v.mean - 1.959964 * v.std, 3);
        expect(p.propertyIntervals95[q][1]).toBeCloseTo(v.mean + 1.959964 * v.std, 3);
      }
      expect(p.successProbability).toBeGreaterThanOrEqual(0);
      expect(p.successProbability).toBeLessThanOrEqual(p.pGlass);
    }
    // A PI's own experiment is predicted by the same model: the stored prediction carries the properties (without intervals).
    await api(t.baseUrl, 'PATCH', `/api/v1/campaigns/${id}`, { budget: 20 });
    const own = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/experiments`, { composition: compositions[0] });
    expect(own.status).toBe(201);
    expect(own.body.model.id).toBe(predicted.model.id);
    expect(own.body.prediction.properties).toEqual(predicted.items[0].prediction.properties);
    expect(own.body.prediction.successProbability).toBeCloseTo(predicted.items[0].prediction.successProbability, 9);
    expect(own.body.prediction.propertyIntervals95).toBeUndefined();
  }, 300_000);
});
