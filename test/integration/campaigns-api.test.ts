import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, keyHeaders, SHARED_DATA, startTestApp, TEST_ADMIN_API_KEY, zrCampaign, type TestApp } from '../support/services.js';

describe('campaigns API on real PostgreSQL, Mosquitto and Redis', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ queue: 'redis' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('reports every dependency in /health and serves the OpenAPI document', async () => {
    const health = await api(t.baseUrl, 'GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'ok',
      database: { ok: true, mode: 'server' },
      broker: { ok: true, mode: 'server' },
      queue: { ok: true, mode: 'redis' },
    });
    const doc = await api(t.baseUrl, 'GET', '/docs-json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/campaigns', '/api/v1/campaigns/{id}', '/api/v1/campaigns/{id}/{action}', '/api/v1/campaigns/{id}/measurements/import']),
    );
    expect(doc.body.components.schemas.CreateCampaignDto.required).toEqual(
      expect.arrayContaining(['name', 'designSpace', 'objectives', 'budget', 'batchSize']),
    );
    const ui = await fetch(`${t.baseUrl}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
  });

  it('creates a draft with defaults filled in, and refuses invalid campaigns with reasons', async () => {
    const created = await api(t.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign(), { 'x-actor': 'pi.jane' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'draft', seed: 7, budget: 48, allowedActions: ['start', 'abort'] });
    expect(created.body.strategy).toMatchObject({ method: 'aimatdesign', actionStep: 0.05, tepShare: 0.05 });

    const badBounds = zrCampaign({
      designSpace: { ...zrCampaign().designSpace, elements: [{ symbol: 'Zr', min: 60, max: 70 }, { symbol: 'Cu', min: 50, max: 60 }], maxElements: 2 },
    });
    const refused = await api(t.baseUrl, 'POST', '/api/v1/campaigns', badBounds);
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain('lower bounds sum to 110');

    const unknownElement = zrCampaign({
      designSpace: { ...zrCampaign().designSpace, elements: [...zrCampaign().designSpace.elements, { symbol: 'Xx', min: 0, max: 5 }] },
    });
    expect((await api(t.baseUrl, 'POST', '/api/v1/campaigns', unknownElement)).body.message).toContain('Xx is not a known element');

    const missing = await api(t.baseUrl, 'POST', '/api/v1/campaigns', { name: 'x' });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(missing.body.message)).toContain('budget');

    const batchTooBig = await api(t.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign({ budget: 4, batchSize: 8 }));
    expect(batchTooBig.status).toBe(400);
    expect(batchTooBig.body.message).toContain('batchSize 8 exceeds the budget');
  });

  it('lists with pagination and filters', async () => {
    for (const name of ['alpha-1', 'alpha-2', 'beta-1']) {
      expect((await api(t.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign({ name }))).status).toBe(201);
    }
    const page = await api(t.baseUrl, 'GET', '/api/v1/campaigns?limit=2&offset=0');
    expect(page.body.items).toHaveLength(2);
    expect(page.body.total).toBeGreaterThanOrEqual(4);
    const filtered = await api(t.baseUrl, 'GET', '/api/v1/campaigns?q=alpha');
    expect(filtered.body.items.map((c: { name: string }) => c.name).sort()).toEqual(['alpha-1', 'alpha-2']);
    const drafts = await api(t.baseUrl, 'GET', '/api/v1/campaigns?status=running');
    expect(drafts.body.total).toBe(0);
    expect((await api(t.baseUrl, 'GET', '/api/v1/campaigns?limit=0')).status).toBe(400);
    expect((await api(t.baseUrl, 'GET', '/api/v1/campaigns?status=bogus')).status).toBe(400);
  });

  it('goes through its lifecycle; illegal transitions are refused with 409 and the reason', async () => {
    const { body: c } = await api(t.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign({ name: 'lifecycle' }));
    const path = `/api/v1/campaigns/${c.id}`;

    const noSeed = await api(t.baseUrl, 'POST', `${path}/start`);
    expect(noSeed.status).toBe(409);
    expect(noSeed.body.message).toContain('without seed data');

    expect((await api(t.baseUrl, 'POST', `${path}/pause`)).body).toMatchObject({
      statusCode: 409,
      message: 'cannot pause a campaign that is draft; pause is allowed only from running',
      allowedActions: ['start', 'abort'],
    });

    const patched = await api(t.baseUrl, 'PATCH', path, { budget: 64, strategy: { episodesPerIteration: 50 } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ budget: 64, strategy: { episodesPerIteration: 50, actionStep: 0.05 } });
    // The design engine's additions are off in campaigns unless asked for; a share outside [0, 1] is refused.
    expect(patched.body.strategy).toMatchObject({ safetyLayer: false, startCurriculum: 0 });
    const opted = await api(t.baseUrl, 'PATCH', path, { strategy: { safetyLayer: true, startCurriculum: 0.5 } });
    expect(opted.body.strategy).toMatchObject({ safetyLayer: true, startCurriculum: 0.5, episodesPerIteration: 50 });
    const badShare = await api(t.baseUrl, 'PATCH', path, { strategy: { startCurriculum: 2 } });
    expect(badShare.status).toBe(400);
    expect(JSON.stringify(badShare.body.message)).toContain('startCurriculum');

    const csv = 'name,composition,phase,yieldStrengthMPa,elongationPct\nVit105,Zr52.5Cu17.9Ni14.6Al10Ti5,amorphous,1800,1.5\n';
    expect((await api(t.baseUrl, 'POST', `${path}/measurements/import`, csv)).status).toBe(201);

    // The audit trail names the key that acted (its name), not a header the caller chose.
    const janeKey = await keyHeaders(t.baseUrl, 'pi.jane', 'pi');
    expect((await api(t.baseUrl, 'POST', `${path}/start`, {}, { ...janeKey, 'x-actor': 'someone.else' })).body.status).toBe('running');
    expect((await api(t.baseUrl, 'POST', `${path}/start`)).status).toBe(409);
    // running: budget, batch size and objectives can be steered; the design space cannot
    expect((await api(t.baseUrl, 'PATCH', path, { budget: 10 })).body.budget).toBe(10);
    const locked = await api(t.baseUrl, 'PATCH', path, { seed: 3 });
    expect(locked.status).toBe(409);
    expect(locked.body.message).toContain('only budget, batchSize, objectives, name, description can change now, not seed');
    expect((await api(t.baseUrl, 'POST', `${path}/pause`)).body.status).toBe('paused');
    expect((await api(t.baseUrl, 'POST', `${path}/pause`)).status).toBe(409);
    expect((await api(t.baseUrl, 'POST', `${path}/resume`)).body.status).toBe('running');
    const done = await api(t.baseUrl, 'POST', `${path}/complete`, { reason: 'goal met' });
    expect(done.body).toMatchObject({ status: 'completed', completionReason: 'goal met', allowedActions: [] });
    expect(done.body.finishedAt).not.toBeNull();
    const final = await api(t.baseUrl, 'POST', `${path}/abort`);
    expect(final.status).toBe(409);
    expect(final.body.message).toBe('cannot abort a campaign that is completed: completed is final');
    expect((await api(t.baseUrl, 'POST', `${path}/explode`)).status).toBe(400);

    const audit = await api(t.baseUrl, 'GET', `${path}/audit`);
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(['create', 'update', 'update', 'import', 'start', 'update', 'pause', 'resume', 'complete']);
    expect(audit.body.items[4]).toMatchObject({ fromState: 'draft', toState: 'running', actor: 'pi.jane' });
    expect(audit.body.items[5]).toMatchObject({ action: 'update', details: { fields: ['budget'], before: { budget: 64 }, after: { budget: 10 } } });
  });

  it('answers 404 for unknown campaigns and 400 for malformed ids', async () => {
    expect((await api(t.baseUrl, 'GET', '/api/v1/campaigns/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await api(t.baseUrl, 'GET', '/api/v1/campaigns/not-a-uuid')).status).toBe(400);
    expect((await api(t.baseUrl, 'POST', '/api/v1/campaigns/00000000-0000-4000-8000-000000000000/start')).status).toBe(404);
  });

  it('imports the published AIMatDesign CSV as it is', async () => {
    const { body: c } = await api(t.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign({ name: 'shared-csv' }));
    const csv = readFileSync(`${SHARED_DATA}ALL_data_grouped_processed.csv`, 'utf8');
    const rows = csv.trim().split('\n').length - 1;
    const result = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${c.id}/measurements/import`, csv, { 'idempotency-key': 'shared-v1' });
    expect(result.status).toBe(201);
    expect(result.body.kept + result.body.rejected).toBe(rows);
    expect(result.body.kept).toBeGreaterThan(1200);
    expect(result.body.outsideDesignSpace).toBeGreaterThan(0);
    for (const p of result.body.problems) expect(p.reason.length).toBeGreaterThan(5);

    // the same upload again with the same key stores nothing twice
    const again = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${c.id}/measurements/import`, csv, { 'idempotency-key': 'shared-v1' });
    expect(again.body).toMatchObject({ kept: 0, duplicates: result.body.kept });
    const stored = await api(t.baseUrl, 'GET', `/api/v1/campaigns/${c.id}`);
    expect(stored.body.counts.total).toBe(result.body.kept);

    // compositions are queryable: Zr-containing glass formers
    const zr = await api(t.baseUrl, 'GET', `/api/v1/campaigns/${c.id}/measurements?element=Zr&glass=true&limit=5`);
    expect(zr.body.total).toBeGreaterThan(50);
    for (const m of zr.body.items) {
      expect(m.composition.Zr).toBeGreaterThan(0);
      expect(m.isGlass).toBe(true);
    }
    const vit = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${c.id}/measurements?limit=500`)).body.items.find(
      (m: { yieldStrengthMPa: number | null; extra: Record<string, unknown> }) => m.yieldStrengthMPa !== null && m.extra.tgK !== undefined,
    );
    expect(vit).toBeDefined();
  });

  it('imports the classification CSV layout too', async () => {
    const { body: c } = await api(t.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign({ name: 'cls-csv' }));
    const csv = readFileSync(`${SHARED_DATA}ALL_data_cls.csv`, 'utf8');
    const rows = csv.trim().split('\n').length - 1;
    const result = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${c.id}/measurements/import`, csv);
    expect(result.status).toBe(201);
    expect(result.body.kept + result.body.rejected).toBe(rows);
    expect(result.body.kept).toBeGreaterThan(6000);
  });

  it('rejects malformed uploads with 400 and row-level reasons, keeps good rows, and records the bad ones', async () => {
    const { body: c } = await api(t.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign({ name: 'malformed' }));
    const path = `/api/v1/campaigns/${c.id}/measurements/import`;

    const notCsv = await api(t.baseUrl, 'POST', path, 'this is not,a seed file\n1,2\n');
    expect(notCsv.status).toBe(400);
    expect(notCsv.body.message).toContain('no composition found');

    const ragged = await api(t.baseUrl, 'POST', path, 'composition,phase\nZr65Cu35,amorphous,extra\n');
    expect(ragged.status).toBe(400);
    expect(ragged.body.message).toContain('invalid CSV');

    const mixed = [
      'composition,phase,yieldStrengthMPa,elongationPct',
      'Zr65Cu17.5Ni10Al7.5,amorphous,1650,2',
      'Zr65Xx35,amorphous,1500,1',
      '(Zr0.5Cu0.5)90Al10,amorphous,1900,',
      'Zr60Cu40,glassy,1500,1',
      'Zr60Cu40,amorphous,-5,1',
      'Zr60Cu40,amorphous,abc,1',
      'Zr55Cu45,,,',
    ].join('\n');
    const strict = await api(t.baseUrl, 'POST', `${path}?strict=true`, mixed);
    expect(strict.status).toBe(400);
    expect(strict.body.problems.map((p: { row: number }) => p.row)).toEqual([2, 4, 5, 6, 7]);
    expect((await api(t.baseUrl, 'GET', `/api/v1/campaigns/${c.id}`)).body.counts.total).toBe(0);

    const lenient = await api(t.baseUrl, 'POST', path, mixed);
    expect(lenient.status).toBe(201);
    expect(lenient.body).toMatchObject({ kept: 2, rejected: 5 });
    const reasons = Object.fromEntries(lenient.body.problems.map((p: { row: number; reason: string }) => [p.row, p.reason]));
    expect(reasons[2]).toMatch(/Xx/);
    expect(reasons[4]).toMatch(/phase "glassy"/);
    expect(reasons[5]).toMatch(/outside the physical range/);
    expect(reasons[6]).toMatch(/not a number/);
    expect(reasons[7]).toMatch(/no measured property/);

    const stored = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${c.id}/measurements`)).body.items;
    expect(stored.map((m: { composition: Record<string, number> }) => m.composition)).toEqual(
      expect.arrayContaining([{ Zr: 65, Cu: 17.5, Ni: 10, Al: 7.5 }, { Zr: 45, Cu: 45, Al: 10 }]),
    );
    expect(stored).toHaveLength(2);

    const rejected = await api(t.baseUrl, 'GET', `/api/v1/rejected-messages?channel=import&campaignId=${c.id}&limit=100`);
    expect(rejected.body.total).toBe(10); // 5 from the refused strict upload + 5 from the lenient one
    expect(rejected.body.items.every((r: { payload: string; reason: string }) => r.payload.startsWith('{') && r.reason.startsWith('row '))).toBe(true);

    const json = await api(t.baseUrl, 'POST', path, [{ composition: { Zr: 60, Cu: 30, Al: 10 }, phase: 'amorphous', yieldStrengthMPa: 1700 }]);
    expect(json.body).toMatchObject({ format: 'json', kept: 1 });
    expect((await api(t.baseUrl, 'POST', path, [{ composition: { Zr: 60, Cu: 'lots' }, phase: 'amorphous' }])).status).toBe(400);
    expect((await api(t.baseUrl, 'POST', path, '')).status).toBe(400);

    const form = new FormData();
    form.append('file', new Blob(['formula,cls_label\nZr50Cu50,1\n'], { type: 'text/csv' }), 'seed.csv');
    const multipart = await fetch(`${t.baseUrl}${path}`, { method: 'POST', body: form, headers: { authorization: `Bearer ${TEST_ADMIN_API_KEY}` } });
    expect(multipart.status).toBe(201);
    expect(await multipart.json()).toMatchObject({ format: 'csv', kept: 1 });
  });
});
