import type { OpenAPIObject } from '@nestjs/swagger';
import { POLICY, routeKey } from '../common/policy.js';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/**
 * Writes the access policy into the OpenAPI document: public routes need no key, every other
 * operation says which roles may call it (from the same table the guard reads).
 */
export function documentAccessPolicy(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    const expressPath = path.replace(/\{([^}]+)\}/g, ':$1');
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const policy = POLICY[routeKey(method, expressPath)];
      if (!policy) continue;
      if (policy.roles === 'public') {
        op.security = [];
        continue;
      }
      const scope =
        policy.campaignFrom === null ? '' : policy.campaignFrom === 'all-campaigns' ? ' Not for campaign-limited keys.' : ' Campaign-limited keys: their campaigns only.';
      const access = `**Access:** ${policy.roles.join(', ')}.${scope}`;
      op.description = op.description ? `${op.description}\n\n${access}` : access;
    }
  }
  return document;
}
