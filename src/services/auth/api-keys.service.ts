import { ConflictException, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { CoalescingCache } from '../../common/coalescing-cache.js';
import { AuditService } from '../campaigns/audit.service.js';
import { Invalid, NotFound } from '../../common/errors.js';
import type { AppConfig } from '../../config/config.js';
import { APP_CONFIG } from '../tokens.js';
import type { ApiKeyEntity } from '../../repositories/entities/auth.entities.js';
import { ApiKeyRepository } from '../../repositories/api-key.repository.js';
import { CampaignRepository } from '../../repositories/campaign.repository.js';
import { Database } from '../../repositories/database.js';
import type { ApiKeyView, CreateApiKeyDto, CreatedApiKeyView, UpdateApiKeyDto } from './auth.dto.js';
import { campaignLimitProblem, type Role } from '../../common/policy.js';
import { apiKeyMatches, generateApiKey, hashApiKey, parseApiKey } from '../../common/secrets.js';

/** Who is calling, as the guard leaves it on the request (`req.apiKey`). */
export interface Principal {
  keyId: string;
  name: string;
  role: Role;
  /** null: every campaign. */
  campaignIds: string[] | null;
  expiresAt: Date | null;
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: 'malformed' | 'unknown' | 'revoked' | 'expired' };

/** A hash no token has, compared when the id is unknown so that path costs the same. */
const DUMMY_HASH = hashApiKey('aimd_000000000000_no-such-key-no-such-key-no-such-key');
const TOUCH_INTERVAL_MS = 60_000;
/**
 * Key rows are read from PostgreSQL at most this often per key and process (every request is
 * authenticated; 100 clients polling must not cost a query each). A revocation or change made
 * through this process applies at once; one made through another replica within this time.
 */
const KEY_CACHE_MS = 5_000;
/** Serialises key bootstrap and revocation across replicas. */
const BOOTSTRAP_LOCK = 'aimd.api_key.bootstrap';

@Injectable()
export class ApiKeysService implements OnApplicationBootstrap {
  private readonly log = new Logger('Auth');
  private readonly touched = new Map<string, number>();
  private readonly rows = new CoalescingCache<ApiKeyEntity | null>({ freshMs: KEY_CACHE_MS, staleMs: KEY_CACHE_MS, maxEntries: 10_000 });

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(ApiKeyRepository) private readonly repo: ApiKeyRepository,
    @Inject(CampaignRepository) private readonly campaigns: CampaignRepository,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.bootstrap();
  }

  /**
   * ADMIN_API_KEY set: make sure that key exists as an active admin key (and retire a previously
   * configured one). Otherwise, when there is no key at all, make one and print it once.
   * Serialised with an advisory lock so replicas starting together make one key, not several.
   */
  async bootstrap(): Promise<{ kind: 'config' | 'bootstrap' | 'none'; keyId?: string; token?: string }> {
    const configured = this.config.security.adminApiKey;
    const result = await this.db.transaction(async (m) => {
      await this.db.lockForTransaction(m, BOOTSTRAP_LOCK);
      if (configured) {
        const parsed = parseApiKey(configured);
        if (!parsed) throw new Error('ADMIN_API_KEY is not an aimd_<id>_<secret> key');
        const hash = hashApiKey(configured);
        const existing = await this.repo.findById(parsed.keyId, m);
        if (existing && existing.source !== 'config') throw new Error(`ADMIN_API_KEY: the key id ${parsed.keyId} is already used by another key`);
        await this.repo.save(m, {
          ...(existing ?? {}),
          id: parsed.keyId,
          name: existing?.name ?? 'admin (ADMIN_API_KEY)',
          role: 'admin',
          campaignIds: null,
          keyHash: hash,
          source: 'config',
          createdBy: existing?.createdBy ?? 'configuration',
          expiresAt: null,
          revokedAt: null,
          revokedBy: null,
        });
        await this.repo.revokeOtherConfigured(m, parsed.keyId);
        return { kind: 'config' as const, keyId: parsed.keyId };
      }
      if ((await this.repo.count(m)) > 0) return { kind: 'none' as const };
      const { keyId, token, hash } = generateApiKey();
      await this.repo.insert(m, { id: keyId, name: 'bootstrap-admin', role: 'admin', campaignIds: null, keyHash: hash, source: 'bootstrap', createdBy: 'bootstrap' });
      return { kind: 'bootstrap' as const, keyId, token };
    });
    this.rows.clear();
    if (result.kind === 'config') this.log.log(`admin API key from ADMIN_API_KEY is active (id ${result.keyId})`);
    if (result.kind === 'bootstrap') {
      const bar = '='.repeat(96);
      const notice = [
        bar,
        'BOOTSTRAP ADMIN API KEY (shown once, never again; store it now, then create personal keys with it):',
        `    ${result.token}`,
        'Use it as "Authorization: Bearer <key>" or "X-API-Key: <key>". Revoke it with DELETE /api/v1/api-keys/' + result.keyId,
        bar,
      ].join('\n');
      // Shown once: a LOG_LEVEL that hides warnings (error, fatal) must not hide it, or the service is locked.
      if (Logger.isLevelEnabled('warn')) this.log.warn(notice);
      else process.stderr.write(`${notice}\n`);
    }
    return result;
  }

  /** The calling key as GET /me shows it: with the names and states of the campaigns it is limited to. */
  async me(k: Principal) {
    const campaigns = k.campaignIds === null ? null : await this.campaigns.summaries(k.campaignIds);
    return { id: k.keyId, name: k.name, role: k.role, campaignIds: k.campaignIds, campaigns, expiresAt: k.expiresAt?.toISOString() ?? null };
  }

  async authenticate(token: string): Promise<AuthResult> {
    const parsed = parseApiKey(token);
    if (!parsed) return { ok: false, reason: 'malformed' };
    const row = await this.rows.get(parsed.keyId, 'row', () => this.repo.findById(parsed.keyId));
    const matches = apiKeyMatches(token, row?.keyHash ?? DUMMY_HASH);
    if (!row || !matches) return { ok: false, reason: 'unknown' };
    if (row.revokedAt) return { ok: false, reason: 'revoked' };
    if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) return { ok: false, reason: 'expired' };
    await this.touch(row.id);
    return { ok: true, principal: { keyId: row.id, name: row.name, role: row.role, campaignIds: row.campaignIds, expiresAt: row.expiresAt } };
  }

  /**
   * last_used_at, written at most once a minute per key (not on every request). Awaited, so a
   * listing right after a key's first use shows it; a failed write only logs (auth still succeeds).
   */
  private async touch(id: string): Promise<void> {
    const now = Date.now();
    if (now - (this.touched.get(id) ?? 0) < TOUCH_INTERVAL_MS) return;
    this.touched.set(id, now);
    await this.repo.update(id, { lastUsedAt: new Date(now) }).catch((e: Error) => this.log.warn(`last_used_at of key ${id}: ${e.message}`));
  }

  async create(dto: CreateApiKeyDto, actor: string): Promise<CreatedApiKeyView> {
    const campaignIds = dto.campaignIds ? [...new Set(dto.campaignIds.map((c) => c.toLowerCase()))] : null;
    const problem = campaignLimitProblem(dto.role, campaignIds);
    if (problem) throw new Invalid(problem);
    await this.checkCampaignsExist(campaignIds);
    const expiresAt = this.futureDate(dto.expiresAt);
    const { keyId, token, hash } = generateApiKey();
    const row = await this.db.transaction(async (m) => {
      const saved = await this.repo.save(m, {
        id: keyId, name: dto.name.trim(), role: dto.role, campaignIds, keyHash: hash, source: 'api', createdBy: actor, expiresAt,
      });
      await this.audit.record(
        { entityType: 'api_key', entityId: keyId, action: 'create', toState: 'active', actor, details: { name: saved.name, role: dto.role, campaignIds, expiresAt } },
        m,
      );
      return saved;
    });
    return { ...toView(await this.find(row.id)), key: token };
  }

  async list(): Promise<{ items: ApiKeyView[]; total: number }> {
    const rows = await this.repo.all();
    return { items: rows.map(toView), total: rows.length };
  }

  async update(id: string, dto: UpdateApiKeyDto, actor: string): Promise<ApiKeyView> {
    const row = await this.find(id);
    const changes: Partial<ApiKeyEntity> = {};
    if (dto.name !== undefined) changes.name = dto.name.trim();
    if (dto.campaignIds !== undefined) {
      const campaignIds = dto.campaignIds === null ? null : [...new Set(dto.campaignIds.map((c) => c.toLowerCase()))];
      const problem = campaignLimitProblem(row.role, campaignIds);
      if (problem) throw new Invalid(problem);
      await this.checkCampaignsExist(campaignIds);
      changes.campaignIds = campaignIds;
    }
    if (dto.expiresAt !== undefined) changes.expiresAt = dto.expiresAt === null ? null : this.futureDate(dto.expiresAt);
    if (Object.keys(changes).length === 0) return toView(row);
    await this.db.transaction(async (m) => {
      await this.repo.update(id, changes, m);
      await this.audit.record({ entityType: 'api_key', entityId: id, action: 'update', actor, details: { ...changes } }, m);
    });
    this.rows.invalidate(id);
    return toView(await this.find(id));
  }

  /** Revoked keys stay listed (the trail names them); refuses to revoke the last active admin key. */
  async revoke(id: string, actor: string): Promise<ApiKeyView> {
    const view = await this.db.transaction(async (m) => {
      await this.db.lockForTransaction(m, BOOTSTRAP_LOCK);
      const row = await this.repo.findById(id, m);
      if (!row) throw new NotFound('API key', id);
      if (row.revokedAt) return toView(row);
      if (row.role === 'admin') {
        if ((await this.repo.otherActiveAdmins(m, id)) === 0) throw new ConflictException({ statusCode: 409, error: 'Conflict', message: 'this is the last active admin key: create another admin key first' });
      }
      await this.repo.update(id, { revokedAt: new Date(), revokedBy: actor }, m);
      await this.audit.record({ entityType: 'api_key', entityId: id, action: 'revoke', fromState: 'active', toState: 'revoked', actor, details: { name: row.name } }, m);
      return toView((await this.repo.findById(id, m))!);
    });
    this.rows.invalidate(id);
    return view;
  }

  async find(id: string): Promise<ApiKeyEntity> {
    const row = /^[a-z0-9]{12}$/.test(id) ? await this.repo.findById(id) : null;
    if (!row) throw new NotFound('API key', id);
    return row;
  }

  private async checkCampaignsExist(ids: string[] | null): Promise<void> {
    if (!ids || ids.length === 0) return;
    const known = await this.campaigns.existing(ids);
    const missing = ids.filter((id) => !known.has(id));
    if (missing.length > 0) throw new Invalid(`unknown campaign${missing.length === 1 ? '' : 's'}: ${missing.join(', ')}`);
  }

  private futureDate(value: string | undefined): Date | null {
    if (value === undefined) return null;
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) throw new Invalid(`expiresAt ${value} is not a date`);
    if (date.getTime() <= Date.now()) throw new Invalid('expiresAt must be in the future');
    return date;
  }
}

export function toView(row: ApiKeyEntity): ApiKeyView {
  const expired = row.expiresAt !== null && row.expiresAt.getTime() <= Date.now();
  return {
    id: row.id,
    prefix: `aimd_${row.id}_`,
    name: row.name,
    role: row.role,
    campaignIds: row.campaignIds,
    state: row.revokedAt ? 'revoked' : expired ? 'expired' : 'active',
    source: row.source,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    revokedBy: row.revokedBy,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}
