import {
  ForbiddenException, HttpException, HttpStatus, Inject, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../infrastructure/tokens.js';
import { ApiKeysService, type Principal } from './api-keys.service.js';
import { CampaignResolver } from './campaign-resolver.js';
import { campaignDecision, POLICY, roleDecision, routeKey, type RoutePolicy } from './policy.js';
import { TokenBucketLimiter } from './rate-limiter.js';

export type AuthenticatedRequest = Request & { actor?: string; apiKey?: Principal };

const REALM = 'aimatdesign';
const REASONS = {
  malformed: 'not an API key (expected aimd_<id>_<secret>)',
  unknown: 'unknown API key',
  revoked: 'this API key has been revoked',
  expired: 'this API key has expired',
} as const;

/** The key from `Authorization: Bearer`, `X-API-Key` or (where the policy allows) `?access_token=`. */
export function extractToken(req: Pick<Request, 'headers' | 'query'>, allowQuery: boolean): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.trim() !== '') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth.trim());
    return m ? m[1] : null;
  }
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header.trim() !== '') return header.trim();
  const q = allowQuery ? req.query?.access_token : undefined;
  return typeof q === 'string' && q !== '' ? q : null;
}

/**
 * Every request to a Nest route passes here: authenticate the key (401), rate-limit it (429), then
 * authorise from the central policy table (403). Leaves the key on `req.apiKey` and its name on
 * `req.actor` (what `@Actor()` records in the audit trail).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly limiter: TokenBucketLimiter;

  constructor(
    @Inject(ApiKeysService) private readonly keys: ApiKeysService,
    @Inject(CampaignResolver) private readonly resolver: CampaignResolver,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.limiter = new TokenBucketLimiter(config.security.rateLimitPerMinute);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // Only HTTP routes exist; anything else (a gateway added later) is refused until the policy covers it.
    if (context.getType() !== 'http') return false;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const res = context.switchToHttp().getResponse<Response>();
    const path: unknown = req.route?.path;
    const key = typeof path === 'string' ? routeKey(req.method, path) : null;
    const policy: RoutePolicy | undefined = key ? POLICY[key] : undefined;
    if (policy?.roles === 'public') return true;

    const token = extractToken(req, policy?.queryToken === true);
    if (!token) {
      res.setHeader('WWW-Authenticate', `Bearer realm="${REALM}"`);
      throw new UnauthorizedException({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'an API key is required: send "Authorization: Bearer <key>" or "X-API-Key: <key>"',
      });
    }
    const auth = await this.keys.authenticate(token);
    if (!auth.ok) {
      res.setHeader('WWW-Authenticate', `Bearer realm="${REALM}", error="invalid_token", error_description="${REASONS[auth.reason]}"`);
      throw new UnauthorizedException({ statusCode: 401, error: 'Unauthorized', message: REASONS[auth.reason] });
    }
    const principal = auth.principal;

    const rate = this.limiter.take(principal.keyId);
    if (!rate.allowed) {
      res.setHeader('Retry-After', String(rate.retryAfterSeconds));
      throw new HttpException(
        {
          statusCode: 429,
          error: 'Too Many Requests',
          message: `rate limit of ${this.limiter.perMinute} requests per minute for this key reached; retry after ${rate.retryAfterSeconds} s`,
          retryAfterSeconds: rate.retryAfterSeconds,
        },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }

    req.apiKey = principal;
    req.actor = principal.name;

    if (!policy) throw forbidden(`${key ?? `${req.method} ${req.path}`} is not in the access policy (src/auth/policy.ts): denied`);
    const role = roleDecision(policy, principal.role);
    if (!role.allowed) throw forbidden(role.reason);
    if (principal.campaignIds !== null && policy.campaignFrom !== null && policy.campaignFrom !== 'all-campaigns') {
      const resolution = await this.resolver.resolve(policy.campaignFrom, req);
      const scope = campaignDecision(policy.campaignFrom, principal.campaignIds, resolution);
      if (!scope.allowed) throw forbidden(scope.reason);
    } else {
      const scope = campaignDecision(policy.campaignFrom, principal.campaignIds);
      if (!scope.allowed) throw forbidden(scope.reason);
    }
    return true;
  }
}

function forbidden(message: string): ForbiddenException {
  return new ForbiddenException({ statusCode: 403, error: 'Forbidden', message });
}
