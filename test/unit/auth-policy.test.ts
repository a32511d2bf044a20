import { describe, expect, it } from 'vitest';
import { directCampaign, splitSource } from '../../src/services/auth/campaign-resolver.js';
import { extractToken } from '../../src/http/auth.guard.js';
import {
  CAMPAIGN_LOOKUPS, campaignDecision, campaignLimitProblem, POLICY, ROLES, roleDecision, routeKey, writeDecision, type CampaignSource,
} from '../../src/common/policy.js';
import { TokenBucketLimiter } from '../../src/http/rate-limiter.js';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';

describe('the policy table', () => {
  it('is keyed by METHOD /path with valid roles and campaign sources', () => {
    for (const [key, policy] of Object.entries(POLICY)) {
      expect(key, key).toMatch(/^(GET|POST|PATCH|PUT|DELETE) \/[\w\-/:]*$/);
      if (policy.roles !== 'public') {
        expect(policy.roles.length, key).toBeGreaterThan(0);
        for (const role of policy.roles) expect(ROLES, key).toContain(role);
        expect(policy.roles, `${key}: admin may do everything`).toContain('admin');
      }
      const from = policy.campaignFrom;
      if (from !== null && from !== 'all-campaigns') {
        const { from: kind, name } = splitSource(from);
        expect(['param', 'query', 'body', ...Object.keys(CAMPAIGN_LOOKUPS)], key).toContain(kind);
        if (kind !== 'query' && kind !== 'body') expect(key, `${key}: ${from} names a route parameter it has`).toContain(`:${name}`);
      }
      if (policy.queryToken) expect(key.startsWith('GET '), `${key}: ?access_token only on reads`).toBe(true);
    }
  });

  it('gives the roles what the design says', () => {
    const allowed = (key: string) => {
      const r = POLICY[key].roles;
      return r === 'public' ? 'public' : [...r].sort().join(',');
    };
    expect(allowed('GET /health')).toBe('public');
    expect(allowed('POST /api/v1/api-keys')).toBe('admin');
    expect(allowed('POST /api/v1/instruments/:id/credentials')).toBe('admin');
    expect(allowed('GET /api/v1/me')).toBe('admin,instrument,pi,technician,viewer');
    expect(allowed('POST /api/v1/campaigns')).toBe('admin,pi');
    expect(allowed('POST /api/v1/campaigns/:id/:action')).toBe('admin,pi');
    expect(allowed('POST /api/v1/campaigns/:id/measurements/import')).toBe('admin,pi,technician');
    expect(allowed('GET /api/v1/campaigns/:id')).toBe('admin,pi,technician,viewer');
    // the instrument role talks MQTT: over REST it learns who it is and may replay its own rejected messages
    const instrumentRoutes = Object.entries(POLICY).filter(([, p]) => p.roles !== 'public' && p.roles.includes('instrument'));
    expect(instrumentRoutes.map(([k]) => k)).toEqual(['GET /api/v1/me', 'POST /api/v1/rejected-messages/:id/replay']);
    // viewers never change anything
    for (const [key, p] of Object.entries(POLICY)) {
      if (p.roles !== 'public' && p.roles.includes('viewer')) expect(key.startsWith('GET '), key).toBe(true);
    }
  });

  it('keys routes like the router does', () => {
    expect(routeKey('get', '/api/v1/campaigns/:id')).toBe('GET /api/v1/campaigns/:id');
    expect(routeKey('HEAD', '/health')).toBe('GET /health');
    expect(routeKey('POST', '/api/v1/campaigns/')).toBe('POST /api/v1/campaigns');
    expect(routeKey('GET', '/')).toBe('GET /');
  });
});

describe('decisions', () => {
  it('role: allowed roles pass, others get the reason', () => {
    const policy = POLICY['POST /api/v1/campaigns'];
    expect(roleDecision(policy, 'pi')).toEqual({ allowed: true });
    expect(roleDecision(policy, 'viewer')).toEqual({ allowed: false, reason: 'role viewer may not call this route (allowed: admin, pi)' });
    expect(roleDecision(POLICY['GET /health'], 'instrument').allowed).toBe(true);
  });

  it('campaign scope: unlimited keys and non-campaign routes pass; limited keys only their campaigns', () => {
    expect(campaignDecision('param:id', null, { kind: 'id', campaignId: B }).allowed).toBe(true);
    expect(campaignDecision(null, [A]).allowed).toBe(true);
    expect(campaignDecision('param:id', [A], { kind: 'id', campaignId: A }).allowed).toBe(true);
    expect(campaignDecision('param:id', [A], { kind: 'id', campaignId: A.toUpperCase() }).allowed).toBe(true);
    const other = campaignDecision('param:id', [A], { kind: 'id', campaignId: B });
    expect(other).toEqual({ allowed: false, reason: `this key is limited to campaign ${A}, not to campaign ${B}` });
    expect(campaignDecision('all-campaigns', [A, B])).toEqual({
      allowed: false, reason: `this key is limited to campaigns ${A}, ${B}; this route spans all campaigns (use GET /api/v1/me for yours)`,
    });
    expect(campaignDecision('query:campaignId', [A], { kind: 'missing' })).toEqual({
      allowed: false, reason: `this key is limited to campaign ${A}; name the campaign (query campaignId)`,
    });
    // the row does not exist: the handler answers 404 itself, nothing to protect
    expect(campaignDecision('experiment:id', [A], { kind: 'not-found' }).allowed).toBe(true);
  });

  it('direct campaign ids: missing, repeated, malformed or an id', () => {
    expect(directCampaign(undefined)).toEqual({ kind: 'missing' });
    expect(directCampaign('')).toEqual({ kind: 'missing' });
    expect(directCampaign([A, B])).toEqual({ kind: 'missing' });
    expect(directCampaign({ $ne: A })).toEqual({ kind: 'missing' });
    expect(directCampaign("1' OR '1'='1")).toEqual({ kind: 'not-found' });
    expect(directCampaign(A.toUpperCase())).toEqual({ kind: 'id', campaignId: A });
    expect(splitSource('experiment:id' as CampaignSource)).toEqual({ from: 'experiment', name: 'id' });
  });

  it('which roles hold campaign limits', () => {
    expect(campaignLimitProblem('technician', null)).toContain('must name the campaigns');
    expect(campaignLimitProblem('technician', [])).toContain('must name the campaigns');
    expect(campaignLimitProblem('technician', [A])).toBeNull();
    expect(campaignLimitProblem('admin', [A])).toContain('cannot be limited');
    expect(campaignLimitProblem('instrument', [A])).toContain('cannot be limited');
    expect(campaignLimitProblem('pi', [])).toContain('must not be empty');
    expect(campaignLimitProblem('pi', null)).toBeNull();
    expect(campaignLimitProblem('viewer', [A])).toBeNull();
  });
});

describe('write decisions (what a request writes)', () => {
  const A = '11111111-1111-4111-8111-111111111111';
  const B = '22222222-2222-4222-8222-222222222222';
  it('keeps a campaign-limited key to its campaigns and off lab-wide state', () => {
    const tech = { role: 'technician' as const, name: 't', campaignIds: [A] };
    expect(writeDecision(tech, { campaignId: A }).allowed).toBe(true);
    expect(writeDecision(tech, { campaignId: B }).allowed).toBe(false);
    expect(writeDecision(tech, { campaignId: null }).allowed).toBe(false);
    expect(writeDecision({ role: 'pi', name: 'p', campaignIds: null }, { campaignId: B }).allowed).toBe(true);
  });
  it("needs the instrument's own key to write as that instrument", () => {
    expect(writeDecision({ role: 'instrument', name: 'rig-1', campaignIds: null }, { campaignId: A, asInstrument: 'rig-1' }).allowed).toBe(true);
    expect(writeDecision({ role: 'instrument', name: 'rig-2', campaignIds: null }, { campaignId: A, asInstrument: 'rig-1' }).allowed).toBe(false);
    for (const role of ['admin', 'pi', 'technician'] as const) {
      expect(writeDecision({ role, name: 'rig-1', campaignIds: null }, { campaignId: null, asInstrument: 'rig-1' }).allowed).toBe(false);
    }
  });
});

describe('token extraction', () => {
  const req = (headers: Record<string, string>, query: Record<string, unknown> = {}) => ({ headers, query }) as never;
  it('reads Bearer, then X-API-Key, and ?access_token only where the route allows it', () => {
    expect(extractToken(req({ authorization: 'Bearer abc' }), false)).toBe('abc');
    expect(extractToken(req({ authorization: 'bearer   abc ' }), false)).toBe('abc');
    expect(extractToken(req({ authorization: 'Basic dXNlcjpwdw==' }), false)).toBeNull();
    expect(extractToken(req({ 'x-api-key': ' k ' }), false)).toBe('k');
    expect(extractToken(req({ authorization: 'Bearer a', 'x-api-key': 'b' }), false)).toBe('a');
    expect(extractToken(req({}, { access_token: 'q' }), false)).toBeNull();
    expect(extractToken(req({}, { access_token: 'q' }), true)).toBe('q');
    expect(extractToken(req({}, { access_token: ['q', 'r'] }), true)).toBeNull();
    expect(extractToken(req({ authorization: '' }), false)).toBeNull();
  });
});

describe('per-key token bucket', () => {
  it('allows a burst of perMinute, then refills at perMinute per minute, with Retry-After', () => {
    let now = 0;
    const limiter = new TokenBucketLimiter(3, () => now);
    expect([1, 2, 3].map(() => limiter.take('k').allowed)).toEqual([true, true, true]);
    expect(limiter.take('k')).toEqual({ allowed: false, retryAfterSeconds: 20 });
    expect(limiter.take('other').allowed).toBe(true); // buckets are per key
    now += 19_000;
    expect(limiter.take('k')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 1_000;
    expect(limiter.take('k').allowed).toBe(true);
    expect(limiter.take('k').allowed).toBe(false);
    now += 10 * 60_000; // never more than the burst
    expect([1, 2, 3, 4].map(() => limiter.take('k').allowed)).toEqual([true, true, true, false]);
  });

  it('0 switches it off; old buckets are pruned', () => {
    const off = new TokenBucketLimiter(0);
    expect(Array.from({ length: 1000 }, () => off.take('k').allowed).every(Boolean)).toBe(true);
    let now = 0;
    const small = new TokenBucketLimiter(60, () => now, 4);
    for (let i = 0; i < 10; i++) small.take(`k${i}`);
    now += 60_000;
    for (let i = 10; i < 20; i++) expect(small.take(`k${i}`).allowed).toBe(true);
    expect((small as unknown as { buckets: Map<string, unknown> }).buckets.size).toBeLessThanOrEqual(4);
  });
});
