import { Inject, Injectable } from '@nestjs/common';
import { CampaignRepository } from '../../repositories/campaign.repository.js';
import { CAMPAIGN_LOOKUPS, type CampaignLookup, type CampaignResolution, type CampaignSource } from '../../common/policy.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface RequestParts {
  params?: Record<string, unknown>;
  query?: Record<string, unknown>;
  body?: unknown;
}

/** The place a policy entry names, split: `param:id` -> ['param', 'id'], `experiment:id` -> ['experiment', 'id']. */
export function splitSource(source: CampaignSource): { from: 'param' | 'query' | 'body' | CampaignLookup; name: string } {
  const i = source.indexOf(':');
  return { from: source.slice(0, i) as 'param' | 'query' | 'body' | CampaignLookup, name: source.slice(i + 1) };
}

/** A campaign id straight from the request: missing, malformed (handled as not found: the handler answers 400/404) or an id. */
export function directCampaign(value: unknown): CampaignResolution {
  if (value === undefined || value === null || value === '') return { kind: 'missing' };
  if (typeof value !== 'string') return { kind: 'missing' }; // repeated parameters, objects: no single campaign
  return UUID.test(value) ? { kind: 'id', campaignId: value.toLowerCase() } : { kind: 'not-found' };
}

/** Finds the campaign a request is about, as its policy entry says (only asked for campaign-limited keys). */
@Injectable()
export class CampaignResolver {
  constructor(@Inject(CampaignRepository) private readonly campaigns: CampaignRepository) {}

  async resolve(source: CampaignSource, req: RequestParts): Promise<CampaignResolution> {
    const { from, name } = splitSource(source);
    if (from === 'param') return directCampaign(req.params?.[name]);
    if (from === 'query') return directCampaign(req.query?.[name]);
    if (from === 'body') {
      const body = req.body;
      return directCampaign(body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>)[name] : undefined);
    }
    const lookup = CAMPAIGN_LOOKUPS[from];
    if (!lookup) throw new Error(`policy: unknown campaign source ${source}`);
    const id = req.params?.[name];
    if (typeof id !== 'string' || !UUID.test(id)) return { kind: 'not-found' };
    // Table and column come from the constant CAMPAIGN_LOOKUPS, never from the request.
    const campaignId = await this.campaigns.campaignOf(lookup.table, lookup.column, id);
    if (campaignId === undefined) return { kind: 'not-found' };
    return campaignId ? { kind: 'id', campaignId } : { kind: 'missing' };
  }
}
