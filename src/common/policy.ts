/**
 * THE access policy: one entry per route (`METHOD /path` as the router knows it), naming the roles
 * that may call it and where the request's campaign comes from (for campaign-limited keys).
 * The guard consults nothing else. A route missing here is denied (fail closed), and a test
 * compares this table with the routes the running app has, so a new route cannot ship unlisted.
 *
 * Roles:
 * - admin: everything, including API keys and instrument credentials.
 * - pi: creates and steers campaigns (lifecycle, proposals), reads everything of its campaigns.
 * - technician: enters measurements and corrections, reads the campaigns it is assigned to
 *   (technician keys are always limited to campaigns).
 * - instrument: a lab instrument; it talks MQTT, so over REST only `GET /api/v1/me` and the replay of
 *   its own rejected messages with a fixed payload (an instrument key acts for the instrument whose
 *   id is the key's name; see writeDecision).
 * - viewer: read-only.
 * A key may be limited to a list of campaigns: then every campaign-scoped route checks the
 * request's campaign against that list, and routes spanning all campaigns are refused.
 */

export const ROLES = ['admin', 'pi', 'technician', 'instrument', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Tables whose rows name their campaign: `<lookup>:<route param>` resolves the campaign of the
 * row whose id is in that route parameter. Add a line here to make a new kind of row resolvable.
 */
export const CAMPAIGN_LOOKUPS = {
  experiment: { table: 'experiment', column: 'id' },
  measurement: { table: 'measurement', column: 'id' },
  job: { table: 'instrument_job', column: 'job_id' },
  'rejected-message': { table: 'rejected_message', column: 'id' },
  'model-version': { table: 'model_version', column: 'id' },
  'refinement-event': { table: 'refinement_event', column: 'id' },
  'background-job': { table: 'background_job', column: 'id' },
} as const satisfies Record<string, { table: string; column: string }>;
export type CampaignLookup = keyof typeof CAMPAIGN_LOOKUPS;

/**
 * Where the campaign of a request is:
 * - `param:<name>`, `query:<name>`, `body:<name>`: the campaign id itself, in a route parameter,
 *   the query string or the JSON body;
 * - `<lookup>:<param>`: a route parameter holding the id of a row (see CAMPAIGN_LOOKUPS);
 * - `'all-campaigns'`: the route spans every campaign (a campaign-limited key is refused);
 * - `null`: the route is not about campaign data (campaign limits do not apply).
 */
export type CampaignSource = `${'param' | 'query' | 'body' | CampaignLookup}:${string}`;
export type CampaignScope = CampaignSource | 'all-campaigns' | null;

export interface RoutePolicy {
  roles: readonly Role[] | 'public';
  campaignFrom: CampaignScope;
  /**
   * Also accept the key as `?access_token=` (an EventSource or an `<img src>` cannot send headers).
   * Only for read routes: a URL ends up in logs and browser history.
   */
  queryToken?: boolean;
}

const ALL: readonly Role[] = ROLES;
const ADMIN: readonly Role[] = ['admin'];
/** Create and steer campaigns, decide on proposals. */
const STEER: readonly Role[] = ['admin', 'pi'];
/** Enter measurements and corrections. */
const ENTER: readonly Role[] = ['admin', 'pi', 'technician'];
/** Read campaign data. */
const READ: readonly Role[] = ['admin', 'pi', 'technician', 'viewer'];

const PUBLIC: RoutePolicy = { roles: 'public', campaignFrom: null };
const p = (roles: readonly Role[], campaignFrom: CampaignScope, extra: Partial<RoutePolicy> = {}): RoutePolicy => ({ roles, campaignFrom, ...extra });

export const POLICY: Readonly<Record<string, RoutePolicy>> = {
  // public
  'GET /health': PUBLIC,
  /** The dashboard's page shell only; its API calls carry a key like any other client. */
  'GET /dashboard': PUBLIC,

  // identity and keys
  'GET /api/v1/me': p(ALL, null),
  'POST /api/v1/api-keys': p(ADMIN, null),
  'GET /api/v1/api-keys': p(ADMIN, null),
  'PATCH /api/v1/api-keys/:id': p(ADMIN, null),
  'DELETE /api/v1/api-keys/:id': p(ADMIN, null),

  // instrument MQTT credentials
  'GET /api/v1/instruments/:id/credentials': p(ADMIN, null),
  'POST /api/v1/instruments/:id/credentials': p(ADMIN, null),
  'DELETE /api/v1/instruments/:id/credentials': p(ADMIN, null),

  // campaigns
  'POST /api/v1/campaigns': p(STEER, 'all-campaigns'),
  'GET /api/v1/campaigns': p(READ, 'all-campaigns'),
  'GET /api/v1/campaigns/:id': p(READ, 'param:id'),
  'PATCH /api/v1/campaigns/:id': p(STEER, 'param:id'),
  'POST /api/v1/campaigns/:id/:action': p(STEER, 'param:id'),
  'POST /api/v1/campaigns/:id/measurements/import': p(ENTER, 'param:id'),
  'GET /api/v1/campaigns/:id/measurements': p(READ, 'param:id'),
  'GET /api/v1/campaigns/:id/audit': p(READ, 'param:id'),
  'POST /api/v1/campaigns/import': p(STEER, 'all-campaigns'),

  // experiments: proposals are steered by PIs, results entered by technicians
  'GET /api/v1/campaigns/:id/experiments': p(READ, 'param:id'),
  'GET /api/v1/experiments/:id': p(READ, 'experiment:id'),
  'PATCH /api/v1/experiments/:id': p(STEER, 'experiment:id'),
  'POST /api/v1/experiments/:id/approve': p(STEER, 'experiment:id'),
  'POST /api/v1/experiments/:id/reject': p(STEER, 'experiment:id'),
  'POST /api/v1/experiments/:id/cancel': p(STEER, 'experiment:id'),
  'POST /api/v1/campaigns/:id/experiments': p(STEER, 'param:id'),
  'POST /api/v1/campaigns/:id/experiments/approve': p(STEER, 'param:id'),
  'POST /api/v1/campaigns/:id/experiments/reject': p(STEER, 'param:id'),
  'POST /api/v1/campaigns/:id/predict': p(STEER, 'param:id'),

  // measurements and corrections
  'POST /api/v1/experiments/:id/measurements': p(ENTER, 'experiment:id'),
  'POST /api/v1/campaigns/:id/results': p(ENTER, 'param:id'),
  'POST /api/v1/measurements/:id/corrections': p(ENTER, 'measurement:id'),
  'GET /api/v1/measurements/:id/history': p(READ, 'measurement:id'),

  // rejected messages (a replay with a fixed payload is data entry)
  'GET /api/v1/rejected-messages': p(READ, 'query:campaignId'),
  // the guard checks the stored message's campaign; what the replay writes is checked by writeDecision
  'POST /api/v1/rejected-messages/:id/replay': p([...ENTER, 'instrument'], 'rejected-message:id'),
  'POST /api/v1/rejected-messages/:id/dismiss': p(ENTER, 'rejected-message:id'),

  // instruments (the registry is lab-wide, not campaign data) and background jobs
  'GET /api/v1/instruments': p(READ, null),
  'GET /api/v1/instruments/:id': p(READ, null),
  'GET /api/v1/jobs': p(READ, 'query:campaignId'),
  'GET /api/v1/jobs/:id': p(READ, 'background-job:id'),

  // progress, live feed, plots and exports (EventSource, <img> and download links cannot send headers)
  'GET /api/v1/campaigns/:id/progress': p(READ, 'param:id'),
  'GET /api/v1/campaigns/:id/events': p(READ, 'param:id', { queryToken: true }),
  'GET /api/v1/campaigns/:id/plots/:file': p(READ, 'param:id', { queryToken: true }),
  'GET /api/v1/campaigns/:id/export/:file': p(READ, 'param:id', { queryToken: true }),
};

/**
 * Paths served outside Nest's router (Swagger UI and its assets, the OpenAPI document): the guard
 * never sees them; they are public by design and listed so the route test knows them.
 */
export const UNGUARDED_PUBLIC_PREFIXES = ['/docs'] as const;

/** `GET /api/v1/campaigns/:id` from a method and the router's path pattern (HEAD is GET's). */
export function routeKey(method: string, path: string): string {
  const m = method.toUpperCase();
  return `${m === 'HEAD' ? 'GET' : m} ${path.length > 1 ? path.replace(/\/+$/, '') : path}`;
}

export type CampaignResolution =
  | { kind: 'id'; campaignId: string }
  /** The request does not name its campaign (e.g. a list without ?campaignId=). */
  | { kind: 'missing' }
  /** The row named does not exist (or its id is malformed): the handler answers 404/400 itself. */
  | { kind: 'not-found' };

export type Decision = { allowed: true } | { allowed: false; reason: string };

/** Does this role pass the route's role list? */
export function roleDecision(policy: RoutePolicy, role: Role): Decision {
  if (policy.roles === 'public' || policy.roles.includes(role)) return { allowed: true };
  return { allowed: false, reason: `role ${role} may not call this route (allowed: ${policy.roles.join(', ')})` };
}

/** Does a key limited to `campaignIds` (null: all campaigns) pass the route's campaign scope? */
export function campaignDecision(scope: CampaignScope, campaignIds: readonly string[] | null, resolution?: CampaignResolution): Decision {
  if (campaignIds === null || scope === null) return { allowed: true };
  const limited = `this key is limited to campaign${campaignIds.length === 1 ? '' : 's'} ${campaignIds.join(', ') || '(none)'}`;
  if (scope === 'all-campaigns') return { allowed: false, reason: `${limited}; this route spans all campaigns (use GET /api/v1/me for yours)` };
  if (!resolution || resolution.kind === 'missing') {
    return { allowed: false, reason: `${limited}; name the campaign (${scope.replace(':', ' ')})` };
  }
  if (resolution.kind === 'not-found') return { allowed: true };
  if (campaignIds.includes(resolution.campaignId.toLowerCase())) return { allowed: true };
  return { allowed: false, reason: `${limited}, not to campaign ${resolution.campaignId}` };
}

/**
 * What a request writes, once its handler knows it (the guard only sees what the request names):
 * - `campaignId`: the campaign the data lands in (null: lab-wide data such as an instrument's state);
 * - `asInstrument`: the data is new instrument data attributed to this instrument (a status, event or
 *   result the caller wrote, not one the instrument sent).
 */
export interface WriteTarget {
  campaignId: string | null;
  asInstrument?: string;
}

/** The parts of a key that decide what it may write. */
export interface WriterKey {
  role: Role;
  name: string;
  campaignIds: readonly string[] | null;
}

/**
 * May this key write that? Authorise what a request writes, not only what it names: a key limited
 * to campaigns writes only into them (and no lab-wide state); words put in an instrument's mouth
 * need that instrument's own key (role instrument, named after the instrument id), so no other role
 * can post instrument results or status over REST around the broker's credentials.
 */
export function writeDecision(key: WriterKey, target: WriteTarget): Decision {
  if (target.asInstrument !== undefined && !(key.role === 'instrument' && key.name === target.asInstrument)) {
    return {
      allowed: false,
      reason: `only instrument ${target.asInstrument}'s own key (role instrument, named ${target.asInstrument}) may write data as that instrument`,
    };
  }
  if (key.campaignIds === null) return { allowed: true };
  if (target.campaignId === null) return { allowed: false, reason: `this key is limited to campaigns and may not write lab-wide instrument state` };
  return campaignDecision('param:campaign', key.campaignIds, { kind: 'id', campaignId: target.campaignId });
}

/** Which roles may hold a campaign list, and which must. */
export function campaignLimitProblem(role: Role, campaignIds: readonly string[] | null | undefined): string | null {
  const limited = campaignIds !== null && campaignIds !== undefined;
  if (role === 'technician' && (!limited || campaignIds.length === 0)) return 'a technician key must name the campaigns it is assigned to (campaignIds)';
  if ((role === 'admin' || role === 'instrument') && limited) return `a ${role} key cannot be limited to campaigns`;
  if (limited && campaignIds.length === 0) return 'campaignIds must not be empty (leave it out for all campaigns)';
  return null;
}
