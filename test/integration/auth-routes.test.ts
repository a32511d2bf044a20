import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CampaignResolver } from '../../src/services/auth/campaign-resolver.js';
import { CAMPAIGN_LOOKUPS, POLICY, UNGUARDED_PUBLIC_PREFIXES, type CampaignLookup, type Role } from '../../src/common/policy.js';
import { listRoutes } from '../../src/http/routes.js';
import { api, keyHeaders, startTestApp, TEST_ADMIN_API_KEY, zrCampaign, type TestApp } from '../support/services.js';

/**
 * Every route of the running app is in the policy table, and every route answers each role as the
 * table says: allowed (anything but 401/403), denied (403), and 401 without a key.
 */
describe('authorisation of every route', () => {
  let t: TestApp;
  let routes: string[];
  let campaignA: string;
  let campaignB: string;
  const rows: Record<'experimentA' | 'experimentB' | 'measurementA' | 'measurementB', string> = {} as never;
  const keys = {} as Record<Role | 'piLimitedToB', Record<string, string>>;

  beforeAll(async () => {
    t = await startTestApp();
    routes = listRoutes(t.app);
    campaignA = (await api(t.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign({ name: 'A' }))).body.id;
    campaignB = (await api(t.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign({ name: 'B' }))).body.id;
    const csv = 'name,composition,phase,yieldStrengthMPa,elongationPct\nVit105,Zr52.5Cu17.9Ni14.6Al10Ti5,amorphous,1800,1.5\n';
    for (const [c, m] of [[campaignA, 'measurementA'], [campaignB, 'measurementB']] as const) {
      expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${c}/measurements/import`, csv)).status).toBe(201);
      rows[m] = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${c}/measurements`)).body.items[0].id;
    }
    for (const [c, e] of [[campaignA, 'experimentA'], [campaignB, 'experimentB']] as const) {
      const [row] = (await t.infra.dataSource.query(
        `INSERT INTO experiment (campaign_id, sequence, batch_number, status, composition, formula, elements)
         VALUES ($1, 1, 1, 'proposed', '{"Zr":60,"Cu":30,"Al":10}', 'Zr60Cu30Al10', '{Zr,Cu,Al}') RETURNING id`,
        [c],
      )) as { id: string }[];
      rows[e] = row.id;
    }
    keys.admin = { authorization: `Bearer ${TEST_ADMIN_API_KEY}` };
    keys.pi = await keyHeaders(t.baseUrl, 'pi.unlimited', 'pi');
    keys.technician = await keyHeaders(t.baseUrl, 'tech.a', 'technician', [campaignA]);
    keys.instrument = await keyHeaders(t.baseUrl, 'rig-1', 'instrument');
    keys.viewer = await keyHeaders(t.baseUrl, 'viewer', 'viewer');
    keys.piLimitedToB = await keyHeaders(t.baseUrl, 'pi.b', 'pi', [campaignB]);
  });
  afterAll(async () => {
    await t?.close();
  });

  const guarded = () => routes.filter((r) => !UNGUARDED_PUBLIC_PREFIXES.some((p) => r.split(' ')[1] === p || r.split(' ')[1].startsWith(`${p}/`) || r.split(' ')[1].startsWith(`${p}-`)));

  it('has every registered route in the policy table', () => {
    expect(routes.length).toBeGreaterThan(10);
    const missing = guarded().filter((r) => !(r in POLICY));
    expect(missing, `routes missing from src/auth/policy.ts (they are denied to everyone): ${missing.join(', ')}`).toEqual([]);
    // Entries may run ahead of the routes while those are being built; say so rather than fail.
    const ahead = Object.keys(POLICY).filter((k) => !routes.includes(k));
    if (ahead.length > 0) console.warn(`policy entries without a route (yet): ${ahead.join(', ')}`);
  });

  /** A concrete URL for a route pattern: ids of campaign A's rows, or ids that do not exist. */
  function urlFor(route: string): { method: string; url: string } {
    const [method, pattern] = route.split(' ');
    const lookup = POLICY[route]?.campaignFrom;
    const url = pattern.replace(/:(\w+)/g, (_, name: string) => {
      if (name === 'action') return 'no-such-action';
      if (name === 'file') return 'no-such-file.svg';
      if (name !== 'id') return 'x';
      if (lookup === 'param:id') return campaignA;
      if (lookup === 'experiment:id') return rows.experimentA;
      if (lookup === 'measurement:id') return rows.measurementA;
      if (pattern.startsWith('/api/v1/api-keys')) return 'nosuchkey000';
      if (pattern.startsWith('/api/v1/instruments')) return 'authz-rig';
      return '00000000-0000-4000-8000-000000000000';
    });
    return { method, url };
  }

  async function call(route: string, headers: Record<string, string>): Promise<{ status: number; wwwAuthenticate: string | null }> {
    const { method, url } = urlFor(route);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 15_000);
    try {
      const res = await fetch(`${t.baseUrl}${url}`, {
        method,
        headers: { ...headers, ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) },
        body: method === 'GET' ? undefined : '{}',
        signal: controller.signal,
      });
      const status = res.status;
      await res.body?.cancel(); // a live feed never ends by itself
      return { status, wwwAuthenticate: res.headers.get('www-authenticate') };
    } finally {
      clearTimeout(timer);
    }
  }

  /** What the design says, written out independently of the guard's code. */
  function expectedAllowed(route: string, role: Role): boolean {
    const policy = POLICY[route];
    if (policy.roles === 'public') return true;
    if (!policy.roles.includes(role)) return false;
    if (role !== 'technician') return true; // only the technician key of this test is campaign-limited (to A)
    const from = policy.campaignFrom;
    return !(from === 'all-campaigns' || from?.startsWith('query:') || from?.startsWith('body:'));
  }

  it('answers each role as the table says (allowed: not 401/403; denied: 403) and 401 without a key', async () => {
    const wrong: string[] = [];
    let calls = 0;
    const roles: Role[] = ['viewer', 'instrument', 'technician', 'pi', 'admin']; // admin last: its calls change things
    for (const route of guarded().filter((r) => r in POLICY).sort((a, b) => (a.startsWith('DELETE') ? 1 : 0) - (b.startsWith('DELETE') ? 1 : 0))) {
      const policy = POLICY[route];
      const anonymous = await call(route, {});
      if (policy.roles === 'public') {
        if (anonymous.status === 401 || anonymous.status === 403) wrong.push(`${route} (public) -> ${anonymous.status}`);
        continue;
      }
      if (anonymous.status !== 401 || !anonymous.wwwAuthenticate?.startsWith('Bearer')) wrong.push(`${route} without a key -> ${anonymous.status}`);
      for (const role of roles) {
        const { status } = await call(route, keys[role]);
        calls++;
        const allowed = expectedAllowed(route, role);
        if (allowed ? status === 401 || status === 403 : status !== 403) wrong.push(`${route} as ${role} -> ${status} (expected ${allowed ? 'allowed' : '403'})`);
      }
    }
    expect(wrong).toEqual([]);
    expect(calls).toBe(guarded().filter((r) => POLICY[r].roles !== 'public').length * roles.length);
    console.info(`authorisation: ${guarded().length} routes, ${calls} calls with keys, each also without one`);
  }, 180_000);

  it('resolves the campaign of a row for every lookup the policy can name', async () => {
    const resolver = t.app.get(CampaignResolver);
    const missingId = '00000000-0000-4000-8000-000000000000';
    for (const lookup of Object.keys(CAMPAIGN_LOOKUPS) as CampaignLookup[]) {
      // every table and column exists (a typo would throw here), an unknown id is not found
      expect(await resolver.resolve(`${lookup}:id`, { params: { id: missingId } }), lookup).toEqual({ kind: 'not-found' });
    }
    expect(await resolver.resolve('experiment:id', { params: { id: rows.experimentB } })).toEqual({ kind: 'id', campaignId: campaignB });
    expect(await resolver.resolve('measurement:id', { params: { id: rows.measurementA } })).toEqual({ kind: 'id', campaignId: campaignA });
    expect(await resolver.resolve('experiment:id', { params: { id: "x' OR '1'='1" } })).toEqual({ kind: 'not-found' });
    expect(await resolver.resolve('body:campaignId', { body: { campaignId: campaignA } })).toEqual({ kind: 'id', campaignId: campaignA });
    expect(await resolver.resolve('body:campaignId', { body: [campaignA] })).toEqual({ kind: 'missing' });
  });

  it('limits campaign-limited keys to their campaigns through experiment and measurement ids', async (ctx) => {
    const needed = ['GET /api/v1/experiments/:id', 'GET /api/v1/measurements/:id/history', 'POST /api/v1/measurements/:id/corrections'];
    if (!needed.every((r) => routes.includes(r))) ctx.skip(); // those routes are not wired into the app yet
    const tech = keys.technician;
    const get = (path: string) => api(t.baseUrl, 'GET', path, undefined, tech);
    expect((await get(`/api/v1/experiments/${rows.experimentA}`)).status).toBe(200);
    expect((await get(`/api/v1/experiments/${rows.experimentB}`)).status).toBe(403);
    expect((await get(`/api/v1/measurements/${rows.measurementA}/history`)).status).toBe(200);
    expect((await get(`/api/v1/measurements/${rows.measurementB}/history`)).status).toBe(403);
    expect((await api(t.baseUrl, 'POST', `/api/v1/measurements/${rows.measurementB}/corrections`, { yieldStrengthMPa: 1 }, tech)).status).toBe(403);
    expect((await api(t.baseUrl, 'POST', `/api/v1/experiments/${rows.experimentA}/approve`, {}, tech)).status).toBe(403);
  });

  it('limits campaign-limited keys to their campaigns', async () => {
    const tech = keys.technician;
    const get = (path: string, headers = tech) => api(t.baseUrl, 'GET', path, undefined, headers);
    expect((await get(`/api/v1/campaigns/${campaignA}`)).status).toBe(200);
    const foreign = await get(`/api/v1/campaigns/${campaignB}`);
    expect(foreign.status).toBe(403);
    expect(foreign.body.message).toBe(`this key is limited to campaign ${campaignA}, not to campaign ${campaignB}`);
    expect((await get(`/api/v1/campaigns/${campaignB}/measurements`)).status).toBe(403);
    expect((await get(`/api/v1/campaigns/${campaignA}/measurements`)).status).toBe(200);
    // lists: only with the campaign named
    expect((await get(`/api/v1/rejected-messages?campaignId=${campaignA}`)).status).toBe(200);
    expect((await get(`/api/v1/rejected-messages?campaignId=${campaignB}`)).status).toBe(403);
    const unnamed = await get('/api/v1/rejected-messages');
    expect(unnamed.status).toBe(403);
    expect(unnamed.body.message).toContain('name the campaign (query campaignId)');
    const all = await get('/api/v1/campaigns');
    expect(all.status).toBe(403);
    expect(all.body.message).toContain('use GET /api/v1/me');
    // ... and /me says which campaigns those are
    const me = await get('/api/v1/me');
    expect(me.body).toMatchObject({ name: 'tech.a', role: 'technician', campaignIds: [campaignA], campaigns: [{ id: campaignA, name: 'A', status: 'draft' }] });
    // the same role rules hold inside its campaigns: a technician does not steer
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${campaignA}/abort`, {}, tech)).status).toBe(403);

    // a PI limited to campaign B steers B only; an unlimited PI sees everything
    expect((await api(t.baseUrl, 'PATCH', `/api/v1/campaigns/${campaignB}`, { budget: 50 }, keys.piLimitedToB)).status).toBe(200);
    expect((await api(t.baseUrl, 'PATCH', `/api/v1/campaigns/${campaignA}`, { budget: 50 }, keys.piLimitedToB)).status).toBe(403);
    expect((await api(t.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign(), keys.piLimitedToB)).status).toBe(403);
    expect((await get(`/api/v1/campaigns/${campaignB}`, keys.pi)).status).toBe(200);
    expect((await get('/api/v1/campaigns', keys.pi)).body.total).toBeGreaterThanOrEqual(2);
  });

  it('takes ?access_token= only on the routes that allow it (live feed, plots, exports)', async () => {
    const viewerKey = keys.viewer.authorization.slice('Bearer '.length);
    const controller = new AbortController();
    const feed = await fetch(`${t.baseUrl}/api/v1/campaigns/${campaignA}/events?access_token=${viewerKey}`, { signal: controller.signal });
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toContain('text/event-stream');
    controller.abort();
    expect((await api(t.baseUrl, 'GET', `/api/v1/campaigns/${campaignA}/events?access_token=nope`, undefined, { authorization: '' })).status).toBe(401);
    expect((await api(t.baseUrl, 'GET', `/api/v1/campaigns/${campaignA}?access_token=${viewerKey}`, undefined, { authorization: '' })).status).toBe(401);
    expect((await api(t.baseUrl, 'GET', `/api/v1/campaigns/${campaignA}`, undefined, keys.viewer)).status).toBe(200);
  });

  it('records the key name as the actor, whatever X-Actor says', async () => {
    const res = await api(t.baseUrl, 'PATCH', `/api/v1/campaigns/${campaignB}`, { budget: 60 }, { ...keys.piLimitedToB, 'x-actor': 'somebody-else' });
    expect(res.status).toBe(200);
    const audit = await api(t.baseUrl, 'GET', `/api/v1/campaigns/${campaignB}/audit`);
    expect(audit.body.items.at(-1)).toMatchObject({ action: 'update', actor: 'pi.b' });
  });

  it('documents the keys in Swagger: bearer and X-API-Key schemes, /health public, roles per operation', async () => {
    const doc = (await api(t.baseUrl, 'GET', '/docs-json', undefined, { authorization: '' })).body;
    expect(doc.components.securitySchemes).toMatchObject({
      bearer: { type: 'http', scheme: 'bearer' },
      'api-key': { type: 'apiKey', in: 'header', name: 'X-API-Key' },
    });
    expect(doc.security).toEqual([{ bearer: [] }, { 'api-key': [] }]);
    expect(doc.paths['/health'].get.security).toEqual([]);
    expect(doc.paths['/api/v1/campaigns'].post.description).toContain('**Access:** admin, pi.');
  });
});
