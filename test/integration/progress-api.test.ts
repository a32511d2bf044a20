import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CampaignEvents } from '../../src/services/campaigns/campaign-events.js';
import { LiveFeed } from '../../src/services/progress/live-feed.service.js';
import { authHeaders, HOUR, seedKnownCampaign } from '../support/progress-fixture.js';
import { api, startTestApp, type TestApp } from '../support/services.js';
import type { DesignOutcome } from '../../src/services/design/strategy.js';

describe('progress API, live feed, exports and plots on real PostgreSQL', () => {
  let t: TestApp;
  let id: string;
  let t0: Date;
  let design: DesignOutcome;
  beforeAll(async () => {
    // A real agent checkpoint makes the export with artifacts ~30 MB: over the default 10 MB body limit
    // (MAX_BODY_BYTES), within the import route's own (IMPORT_MAX_BODY_BYTES, 256 MB); the defaults are kept.
    t = await startTestApp();
    const seeded = await seedKnownCampaign(t.baseUrl, t.infra.dataSource, t.config);
    design = seeded.design;
    id = seeded.campaign.id;
    t0 = seeded.t0;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('computes the hand-checked analytics', async () => {
    const { status, body: p } = await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/progress`);
    expect(status).toBe(200);
    expect(p.experiments).toMatchObject({ total: 10, counted: 9, pendingApproval: 1 });
    expect(p.experiments.byState).toMatchObject({ measured: 7, proposed: 1, running: 1, rejected: 1, queued: 0 });
    expect(p.measurements).toEqual({ bySource: { seed: 3, instrument: 6, technician: 1 }, superseded: 1 });
    expect(p.budget).toEqual({ budget: 48, measured: 7, fraction: 7 / 48 });

    expect(p.success.overall).toEqual({ measured: 7, successes: 3, rate: 3 / 7 });
    expect(p.success.perBatch).toEqual([
      { batchNumber: 1, measured: 4, successes: 2, rate: 0.5 },
      { batchNumber: 2, measured: 3, successes: 1, rate: 1 / 3 },
    ]);

    expect(p.pareto.reference).toEqual({ yieldStrengthMPa: 1800, elongationPct: 10 });
    expect(p.pareto.points.map((x: { sequence: number }) => x.sequence).sort()).toEqual([1, 2, 4, 6, 7]);
    expect(p.pareto.front.map((x: { sequence: number; yieldStrengthMPa: number; elongationPct: number }) => [x.sequence, x.yieldStrengthMPa, x.elongationPct])).toEqual([
      [6, 2000, 5],
      [4, 1900, 12],
      [7, 1850, 15],
    ]);
    expect(p.pareto.hypervolume).toBe(350);
    expect(p.pareto.seedFront.map((x: { formula: string }) => x.formula)).toHaveLength(2);
    expect(p.pareto.seedHypervolume).toBe(0);

    const [ys, el] = p.bestSoFar;
    expect(ys).toMatchObject({ property: 'yieldStrengthMPa', threshold: 1800, best: 2000, bestSequence: 6, seedBest: 1800 });
    expect(ys.history.map((h: { best: number }) => h.best)).toEqual([1700, 1800, 1800, 1900, 1900, 2000, 2000]);
    expect(ys.history[2]).toEqual({ sequence: 3, value: null, best: 1800, improved: false }); // not a glass
    expect(el).toMatchObject({ property: 'elongationPct', threshold: 10, best: 15, bestSequence: 7, seedBest: 2 });

    // what the strategy wrote is what the report reads: CV metrics and the training curve
    const written = design.modelVersions[0].metrics as Record<string, number>;
    expect(p.modelQuality).toHaveLength(1);
    expect(p.modelQuality[0]).toMatchObject({ version: 1, isActive: true, kind: 'surrogates' });
    expect(p.modelQuality[0].quality).toEqual({
      classifierRocAuc: written.classifierRocAuc, classifierAccuracy: written.classifierAccuracy, yieldR2: written.yieldR2, elongationR2: written.elongationR2,
    });
    expect(p.modelQuality[0].metrics.yieldRmse).toBe(written.yieldRmse);
    expect(p.modelQuality[0].metrics.cvError).toBe(written.cvError);
    const curve = p.training[0].points;
    expect(curve).toHaveLength(10); // one point per tenth of the 640 steps
    expect(curve.map((x: { envSteps: number }) => x.envSteps)).toEqual([64, 128, 192, 256, 320, 384, 448, 512, 576, 640]);
    for (const [i, point] of curve.entries()) {
      expect(point.episode).toBeGreaterThanOrEqual(i > 0 ? curve[i - 1].episode : 0);
      expect(Number.isFinite(point.meanReward)).toBe(true);
      expect(point.srLegal).toBeGreaterThan(0);
      expect(point.srLegal).toBeLessThanOrEqual(1);
      expect(point.sr80).toHaveLength(2); // one per target
    }
    expect(curve.at(-1).episode).toBeGreaterThan(0);
    // Q is recorded once learning has started (after 80 steps), with its correlation to the reward
    expect(curve[0].meanQ).toBeNull();
    expect(curve.slice(2).every((x: { meanQ: number | null }) => Number.isFinite(x.meanQ))).toBe(true);
    expect(curve.slice(2).some((x: { qRewardCorrelation: number | null }) => x.qRewardCorrelation !== null)).toBe(true);
    expect(p.training[0].rates).toMatchObject({ srLegal: expect.any(Number), srCls: expect.any(Number), srDone: expect.any(Number) });
    expect(p.training[0].rates.sr80).toHaveLength(2);
    expect(p.training[0].envSteps).toBe(640);
    expect(p.refinement).toEqual([expect.objectContaining({ iteration: 2, accepted: true, correlationBefore: 0.35, featuresChosen: ['vec', 'delta'] })]);

    // xrd-1: 1 h for job 1 + 0.5 h (still running) for job 9 over the 4 h since the start
    const xrd = p.instruments.fleet.find((i: { id: string }) => i.id === 'xrd-1');
    expect(xrd).toMatchObject({ jobs: 2, finished: 1, open: 1, byStatus: { completed: 1, running: 1 }, state: 'busy' });
    expect(xrd.busyHours).toBeCloseTo(1.5, 1);
    expect(xrd.utilisation).toBeCloseTo(1.5 / 4, 1);
    expect(xrd.throughputPerHour).toBeCloseTo(0.25, 1);
    expect(p.instruments.recentJobs.map((j: { sequence: number }) => j.sequence)).toEqual([9, 1]);

    // 7 results in 3.5 h: 2 per hour, 41 left: 20.5 h
    expect(p.pace).toMatchObject({ budget: 48, measured: 7, remaining: 41, windowStart: t0.toISOString() });
    expect(p.pace.perHour).toBeCloseTo(2, 9);
    expect(p.pace.etaSeconds).toBeCloseTo(20.5 * 3600, 3);
  });

  it('answers 404 for an unknown campaign', async () => {
    expect((await api(t.baseUrl, 'GET', '/api/v1/campaigns/00000000-0000-4000-8000-000000000000/progress')).status).toBe(404);
  });

  it('streams the campaign\'s events as server-sent events, with heartbeats', async () => {
    t.app.get(LiveFeed).heartbeatMs = 150;
    const controller = new AbortController();
    const res = await fetch(`${t.baseUrl}/api/v1/campaigns/${id}/events`, { headers: authHeaders(), signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (pattern: RegExp) => {
      const deadline = Date.now() + 5000;
      while (!pattern.test(text)) {
        if (Date.now() > deadline) throw new Error(`no ${pattern} in ${text}`);
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += decoder.decode(value, { stream: true });
      }
    };
    await readUntil(/live feed/);
    const events = t.app.get(CampaignEvents);
    const at = new Date().toISOString();
    events.emit({ type: 'measurements.added', campaignId: '00000000-0000-4000-8000-000000000000', count: 99, source: 'other', at });
    events.emit({ type: 'measurements.added', campaignId: id, count: 1, source: 'instrument', at });
    // a type the feed does not know yet is forwarded all the same
    events.emit({ type: 'something.new', campaignId: id, detail: 42, at } as never);
    // fleet-wide events (no campaign) go to every campaign's feed
    events.emit({ type: 'instrument.state', campaignId: null, instrumentId: 'xrd-1', state: 'online', at } as never);
    await readUntil(/instrument\.state/);
    await readUntil(/: heartbeat/);
    const data = text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
    expect(data).toEqual([
      { type: 'measurements.added', campaignId: id, count: 1, source: 'instrument', at },
      { type: 'something.new', campaignId: id, detail: 42, at },
      { type: 'instrument.state', campaignId: null, instrumentId: 'xrd-1', state: 'online', at },
    ]);
    expect(text).toMatch(/id: 1\ndata: /);
    controller.abort();
    await reader.cancel().catch(() => undefined);
    const deadline = Date.now() + 2000;
    while (t.app.get(LiveFeed).connections > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(t.app.get(LiveFeed).connections).toBe(0);
    expect((await fetch(`${t.baseUrl}/api/v1/campaigns/00000000-0000-4000-8000-000000000000/events`, { headers: authHeaders() })).status).toBe(404);
  });

  it('exports measurements and experiments as CSV and JSON with provenance', async () => {
    const csvRes = await fetch(`${t.baseUrl}/api/v1/campaigns/${id}/export/measurements.csv`, { headers: authHeaders() });
    expect(csvRes.headers.get('content-type')).toContain('text/csv');
    const lines = (await csvRes.text()).trim().split('\n');
    expect(lines[0]).toBe(
      'id,experimentId,experimentSequence,source,instrumentId,jobId,externalId,name,formula,composition,process,phase,isGlass,yieldStrengthMPa,' +
        'elongationPct,meetsObjectives,extra,compositionDeviation,flags,measuredAt,enteredBy,revision,supersedesId,isCurrent,createdAt',
    );
    expect(lines).toHaveLength(1 + 3 + 7); // current revisions: 3 seeds + 7 results
    const all = await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/export/measurements.json?revisions=all`);
    expect(all.body).toHaveLength(11);
    const exp2 = all.body.filter((m: { experimentSequence: number }) => m.experimentSequence === 2);
    expect(exp2.map((m: Record<string, unknown>) => [m.revision, m.isCurrent, m.enteredBy, m.yieldStrengthMPa, m.meetsObjectives])).toEqual([
      [1, false, 'tech.ann', 1500, false],
      [2, true, 'tech.bob', 1800, true],
    ]);
    expect(exp2[1].supersedesId).toBe(exp2[0].id);
    const exp1 = all.body.find((m: { experimentSequence: number }) => m.experimentSequence === 1);
    expect(exp1).toMatchObject({ source: 'instrument', instrumentId: 'xrd-1', revision: 1 });
    expect(exp1.jobId).toMatch(/^[0-9a-f-]{36}$/);
    expect(exp1.createdAt).toBe(new Date(t0.getTime() + HOUR / 2).toISOString());

    const experiments = await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/export/experiments.json`);
    expect(experiments.body.map((e: { sequence: number; status: string; meetsObjectives: boolean | null }) => [e.sequence, e.status, e.meetsObjectives])).toEqual([
      [1, 'measured', false], [2, 'measured', true], [3, 'measured', false], [4, 'measured', true], [5, 'measured', false],
      [6, 'measured', false], [7, 'measured', true], [8, 'proposed', null], [9, 'running', null], [10, 'rejected', null],
    ]);
    expect(experiments.body[1].measurement).toMatchObject({ source: 'technician', enteredBy: 'tech.bob', revision: 2, yieldStrengthMPa: 1800 });
    const experimentsCsv = await (await fetch(`${t.baseUrl}/api/v1/campaigns/${id}/export/experiments.csv`, { headers: authHeaders() })).text();
    expect(experimentsCsv.trim().split('\n')).toHaveLength(11);
    // the process column (empty: a campaign without process variables) follows the composition
    expect(experimentsCsv).toContain('Zr59Cu30Al11,"{""Al"":11,""Cu"":30,""Zr"":59}",,0.9,1850,11');
    expect((await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/export/secrets.txt`)).status).toBe(400);
  });

  it('round-trips the whole campaign through one JSON document', async () => {
    const doc = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/export/campaign.json`)).body;
    expect(doc).toMatchObject({ format: 'aimatdesign-campaign', version: 1, artifactsIncluded: false, sourceCampaignId: id });
    expect(doc.campaign).toMatchObject({ name: 'Known progress', status: 'running', budget: 48 });
    expect(doc.measurements).toHaveLength(11);
    expect(doc.modelVersions[0].artifact).toBeUndefined();
    expect(doc.agentCheckpoints[0].weights).toBeUndefined();
    expect(doc.agentCheckpoints[0].trainingCurve.points).toHaveLength(10);
    const withArtifacts = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/export/campaign.json?artifacts=true`)).body;
    expect(withArtifacts.modelVersions[0].artifact.kind).toBe('surrogate-bundle');

    const imported = await api(t.baseUrl, 'POST', '/api/v1/campaigns/import', withArtifacts, { 'x-actor': 'pi.elsewhere' });
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({
      status: 'paused', // it was running: resume it here
      counts: { experiments: 10, measurements: 11, modelVersions: 1, agentCheckpoints: 1, refinementEvents: 1, instrumentJobs: 2 },
    });
    const newId = imported.body.campaignId;
    expect(newId).not.toBe(id);

    // the same analytics on the copy
    const [a, b] = await Promise.all([id, newId].map(async (x) => (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${x}/progress`)).body));
    for (const key of ['measurements', 'budget', 'success', 'bestSoFar'] as const) expect(b[key]).toEqual(a[key]);
    // an import hands no work to an instrument: the running experiment #9 comes back queued (its open job closed)
    expect(b.experiments).toEqual({ ...a.experiments, byState: { ...a.experiments.byState, running: a.experiments.byState.running - 1, queued: a.experiments.byState.queued + 1 } });
    expect(b.pareto.hypervolume).toBe(350);
    expect(b.pareto.front.map((p: { formula: string }) => p.formula)).toEqual(a.pareto.front.map((p: { formula: string }) => p.formula));
    expect(b.refinement[0].featuresChosen).toEqual(['vec', 'delta']);

    // and the same document again, up to ids and the export time
    const again = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${newId}/export/campaign.json?artifacts=true`)).body;
    const normalise = (d: any) => {
      const ids = new Map<string, string>();
      const rename = (v: unknown): unknown =>
        typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v)
          ? (ids.get(v) ?? (ids.set(v, `id${ids.size}`), ids.get(v)))
          : Array.isArray(v) ? v.map(rename) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rename(x)])) : v;
      const { exportedAt: _e, sourceCampaignId: _s, campaign, ...rest } = d;
      const { status: _st, createdAt: _c, ...settings } = campaign;
      const key = (m: any) => `${m.createdAt} ${m.experimentSequence} ${m.revision} ${m.name}`;
      const measurements = [...d.measurements].sort((a: any, b: any) => key(a).localeCompare(key(b)));
      return rename({ ...rest, campaign: settings, measurements: measurements.map(({ campaignId: _x, externalId: _y, extra: _z, ...m }: any) => m) });
    };
    const expected = structuredClone(withArtifacts);
    for (const e of expected.experiments.filter((x: { status: string }) => ['dispatched', 'accepted', 'running'].includes(x.status))) {
      const copy = again.experiments.find((x: { sequence: number }) => x.sequence === e.sequence);
      expect(copy).toMatchObject({ status: 'queued', currentJobId: null, instrumentId: null, deadline: null });
      Object.assign(e, { status: 'queued', currentJobId: null, instrumentId: null, deadline: null, statusReason: copy.statusReason });
    }
    for (const j of expected.instrumentJobs.filter((x: { finishedAt: string | null }) => x.finishedAt === null)) {
      const copy = again.instrumentJobs.find((x: { dispatchedAt: string; attempt: number }) => x.dispatchedAt === j.dispatchedAt && x.attempt === j.attempt);
      expect(copy.status).toBe('cancelled');
      Object.assign(j, { status: 'cancelled', finishedAt: copy.finishedAt });
    }
    expect(normalise(again)).toEqual(normalise(expected));
    // the instrument's measurement id is unique per instrument: the copy keeps it in extra
    const copied = again.measurements.find((m: { experimentSequence: number }) => m.experimentSequence === 1);
    expect(copied.externalId).toBeNull();
    expect(copied.extra.importedExternalId).toBe(doc.measurements.find((m: { experimentSequence: number }) => m.experimentSequence === 1).externalId);

    const resumed = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${newId}/resume`, {});
    expect(resumed.body.status).toBe('running');
    const audit = await api(t.baseUrl, 'GET', `/api/v1/campaigns/${newId}/audit`);
    expect(audit.body.items.map((e: { action: string }) => e.action).slice(0, 3)).toEqual(['create', 'import-campaign', 'resume']);
    // the importer is the actor (X-Actor, or the API key's name where keys are on)
    expect(audit.body.items[1]).toMatchObject({ actor: expect.stringMatching(/pi\.elsewhere|admin/), details: { sourceCampaignId: id } });

    expect((await api(t.baseUrl, 'POST', '/api/v1/campaigns/import', { format: 'something' })).status).toBe(400);
    const bad = await api(t.baseUrl, 'POST', '/api/v1/campaigns/import', { ...doc, campaign: { ...doc.campaign, budget: -1 } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('budget');
  });

  it('renders every chart as SVG and as PNG', async () => {
    for (const kind of ['best-so-far', 'pareto', 'success-rate', 'model-quality', 'training']) {
      const res = await fetch(`${t.baseUrl}/api/v1/campaigns/${id}/plots/${kind}.svg`, { headers: authHeaders() });
      expect(res.status, kind).toBe(200);
      expect(res.headers.get('content-type')).toContain('image/svg+xml');
      const svg = await res.text();
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.trim().endsWith('</svg>')).toBe(true);
    }
    // the training and model-quality charts draw the strategy's real curves
    const training = await (await fetch(`${t.baseUrl}/api/v1/campaigns/${id}/plots/training.svg`, { headers: authHeaders() })).text();
    expect(Number(/(\d+) recorded values/.exec(training)?.[1])).toBeGreaterThanOrEqual(30);
    const quality = await (await fetch(`${t.baseUrl}/api/v1/campaigns/${id}/plots/model-quality.svg`, { headers: authHeaders() })).text();
    for (const metric of ['classifierRocAuc', 'yieldR2', 'elongationR2']) expect(quality).toContain(metric);
    const pareto = await (await fetch(`${t.baseUrl}/api/v1/campaigns/${id}/plots/pareto.svg`, { headers: authHeaders() })).text();
    expect(pareto).toContain('350.0 MPa'); // the hypervolume in the subtitle
    const png = await fetch(`${t.baseUrl}/api/v1/campaigns/${id}/plots/success-rate.png`, { headers: authHeaders() });
    expect(png.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await png.arrayBuffer());
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(bytes.length).toBeGreaterThan(5000);
    expect((await fetch(`${t.baseUrl}/api/v1/campaigns/${id}/plots/pie.svg`, { headers: authHeaders() })).status).toBe(400);
    expect((await fetch(`${t.baseUrl}/api/v1/campaigns/${id}/plots/pareto.gif`, { headers: authHeaders() })).status).toBe(400);
  });
});
