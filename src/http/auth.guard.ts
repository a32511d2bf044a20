import {
  ForbiddenException, HttpException, HttpStatus, Inject, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext,
} from '@nestjs/common';
import type { Request, RequestHandler, Response } from 'express';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../services/tokens.js';
import { ApiKeysService, type Principal } from '../services/auth/api-keys.service.js';
import { CampaignResolver } from '../services/auth/campaign-resolver.js';
import { campaignDecision, POLICY, roleDecision, routeKey, type RoutePolicy } from '../common/policy.js';
import { TokenBucketLimiter } from './rate-limiter.js';

export type AuthenticatedRequest = Request & { actor?: string; apiKey?: Principal };

const REALM = 'aimatdesign';
const REASONS = {
  malformed: 'not an API key (expected aimd_<id>_<secret>)',
  unknown: 'unknown API key',
  revoked: 'this API key has been revoked',
  expired: 'this API key has expired',
} as const;

const KEY_REQUIRED = 'an API key is required: send "Authorization: Bearer <key>" or "X-API-Key: <key>"';

/**
 * Before the body parsers: a request to the API that carries a body but no key at all is a 401
 * at once, without reading or parsing the body (every /api route needs a key; the guard decides
 * everything else, for requests with a key, after parsing).
 */
export function keyBeforeBody(): RequestHandler {
  return (req, res, next) => {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody || !req.path.startsWith('/api/') || extractToken(req, true)) return next();
    res.setHeader('WWW-Authenticate', `Bearer realm="${REALM}"`);
    res.setHeader('Connection', 'close'); // the unread body is not drained
    res.status(401).json({ statusCode: 401, error: 'Unauthorized', message: KEY_REQUIRED });
  };
}

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
  /** Requests without a valid key (public routes, missing or wrong keys), per client address. */
  private readonly anonymousLimiter: TokenBucketLimiter;

  constructor(
    @Inject(ApiKeysService) private readonly keys: ApiKeysService,
    @Inject(CampaignResolver) private readonly resolver: CampaignResolver,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.limiter = new TokenBucketLimiter(config.security.rateLimitPerMinute);
    this.anonymousLimiter = new TokenBucketLimiter(config.security.rateLimitPerMinute);
  }

  /** 429 with Retry-After when this bucket is empty. */
  private limit(limiter: TokenBucketLimiter, bucket: string, res: Response, per: string): void {
    const rate = limiter.take(bucket);
    if (rate.allowed) return;
    res.setHeader('Retry-After', String(rate.retryAfterSeconds));
    throw new HttpException(
      {
        statusCode: 429,
        error: 'Too Many Requests',
        message: `rate limit of ${limiter.perMinute} requests per minute ${per} reached; retry after ${rate.retryAfterSeconds} s`,
        retryAfterSeconds: rate.retryAfterSeconds,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // Only HTTP routes exist; anything else (a gateway added later) is refused until the policy covers it.
    if (context.getType() !== 'http') return false;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const res = context.switchToHttp().getResponse<Response>();
    const path: unknown = req.route?.path;
    const key = typeof path === 'string' ? routeKey(req.method, path) : null;
    const policy: RoutePolicy | undefined = key ? POLICY[key] : undefined;
    const address = `ip:${req.ip ?? req.socket?.remoteAddress ?? 'unknown'}`;
    const limitAnonymous = () => this.limit(this.anonymousLimiter, address, res, 'without an API key from this address');
    if (policy?.roles === 'public') {
      limitAnonymous();
      return true;
    }

    const token = extractToken(req, policy?.queryToken === true);
    if (!token) {
      limitAnonymous();
      res.setHeader('WWW-Authenticate', `Bearer realm="${REALM}"`);
      throw new UnauthorizedException({
        statusCode: 401,
        error: 'Unauthorized',
        message: KEY_REQUIRED,
      });
    }
    const auth = await this.keys.authenticate(token);
    if (!auth.ok) {
      limitAnonymous();
      res.setHeader('WWW-Authenticate', `Bearer realm="${REALM}", error="invalid_token", error_description="${REASONS[auth.reason]}"`);
      throw new UnauthorizedException({ statusCode: 401, error: 'Unauthorized', message: REASONS[auth.reason] });
    }
    const principal = auth.principal;

    this.limit(this.limiter, principal.keyId, res, 'for this key');

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
