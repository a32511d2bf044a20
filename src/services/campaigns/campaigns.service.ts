import { Inject, Injectable, Logger } from '@nestjs/common';
import { CoalescingCache } from '../../common/coalescing-cache.js';
import { randomInt } from 'node:crypto';
import { AuditService } from './audit.service.js';
import { Invalid, IllegalTransition, NotFound } from '../../common/errors.js';
import { claimIdempotencyKey, requestHash } from '../../repositories/idempotency.js';
import type { Page } from '../../common/pagination.js';
import { validateAgainstDesignSpace } from '../../core/domain/design-space.js';
import { ELEMENT_SYMBOLS } from '../../core/chemistry/elements.js';
import type { DesignSpace } from '../../core/domain/design-space.js';
import { campaignProblems, type CampaignSpec } from '../../core/domain/campaign.js';
import { NOT_COUNTED } from '../../core/domain/experiment-lifecycle.js';
import { allowedActions, campaignTransition, type CampaignAction } from '../../core/domain/campaign-lifecycle.js';
import { withStrategyDefaults } from '../../core/domain/strategy.js';
import { acceptedProperties, isKnownProperty, normaliseObjectives } from '../../core/domain/objectives.js';
import type { MeasurementEntity } from '../../repositories/entities/measurement.entity.js';
import { ImportFormatError, parseSeedData, type RowProblem } from './seed-import.js';
import { APP_CONFIG } from '../tokens.js';
import type { AppConfig } from '../../config/config.js';
import { CampaignEntity, type Objectives } from '../../repositories/entities/campaign.entity.js';
import { CampaignRepository } from '../../repositories/campaign.repository.js';
import { Database, type Tx } from '../../repositories/database.js';
import { ExperimentRepository } from '../../repositories/experiment.repository.js';
import { MeasurementRepository, type NewMeasurement } from '../../repositories/measurement.repository.js';
import { RejectedMessageRepository } from '../../repositories/rejected-message.repository.js';
import { normaliseProcessVariables } from '../../core/domain/process.js';
import { CampaignEvents } from './campaign-events.js';
import type {
  CampaignListQuery, CampaignView, CreateCampaignDto, DesignSpaceDto, ProcessVariableDto, ImportResultView, MeasurementListQuery, ObjectivesDto,
  UpdateCampaignDto,
} from './campaign.dto.js';

const KNOWN_ELEMENTS = new Set<string>(ELEMENT_SYMBOLS);
const INSERT_CHUNK = 500;
/**
 * Lists polled by many clients are served from memory for this long, then reloaded in the
 * background (one load, however many callers); dropped at once when this process changes them.
 */
const LIST_FRESH_MS = 1000;
const LIST_STALE_MS = 5000;
const CAMPAIGN_LISTS = 'campaign-lists';

/** Settings a PI may change while a campaign runs or is paused; the next design iteration uses them. */
const LIVE_FIELDS = ['budget', 'batchSize', 'objectives', 'name', 'description'];

@Injectable()
export class CampaignsService {
  private readonly log = new Logger('Campaigns');
  /** Campaign list pages (group CAMPAIGN_LISTS) and measurement pages (group: the campaign id). */
  private readonly pages = new CoalescingCache<Page<CampaignView> | Page<MeasurementEntity>>({ freshMs: LIST_FRESH_MS, staleMs: LIST_STALE_MS, maxEntries: 2000 });

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(CampaignRepository) private readonly campaigns: CampaignRepository,
    @Inject(ExperimentRepository) private readonly experiments: ExperimentRepository,
    @Inject(MeasurementRepository) private readonly measurements: MeasurementRepository,
    @Inject(RejectedMessageRepository) private readonly rejected: RejectedMessageRepository,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(CampaignEvents) private readonly events: CampaignEvents,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.events.stream.subscribe((e) => {
      if (e.type === 'measurements.added' && e.campaignId) this.pages.invalidate(e.campaignId);
      // Lists show states and measurement counts.
      if (e.type === 'measurements.added' || e.type === 'campaign.state') this.pages.invalidate(CAMPAIGN_LISTS);
    });
  }

  async create(dto: CreateCampaignDto, actor: string): Promise<CampaignView> {
    const spec: CampaignSpec = {
      designSpace: toDesignSpace(dto.designSpace),
      objectives: toObjectives(dto.objectives),
      budget: dto.budget,
      batchSize: dto.batchSize,
      seed: dto.seed ?? randomInt(0, 2 ** 31 - 1),
      strategy: withStrategyDefaults(dto.strategy),
    };
    this.validate(spec);
    const saved = await this.db.transaction(async (manager) => {
      const row = await this.campaigns.save(manager, {
        name: dto.name.trim(),
        description: dto.description ?? '',
        status: 'draft',
        ...spec,
        strategy: spec.strategy as unknown as Record<string, unknown>,
        approvalRequired: dto.approvalRequired ?? false,
        createdBy: actor,
      });
      await this.audit.record(
        { entityType: 'campaign', entityId: row.id, campaignId: row.id, action: 'create', toState: 'draft', actor },
        manager,
      );
      return row;
    });
    this.log.log(`campaign ${saved.id} "${saved.name}" created by ${actor}`);
    this.pages.invalidate(CAMPAIGN_LISTS);
    return this.view(saved);
  }

  list(query: CampaignListQuery): Promise<Page<CampaignView>> {
    return this.pages.get(CAMPAIGN_LISTS, JSON.stringify(query), () => this.loadList(query)) as Promise<Page<CampaignView>>;
  }

  private async loadList(query: CampaignListQuery): Promise<Page<CampaignView>> {
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    const [rows, total] = await this.campaigns.page({ limit, offset, status: query.status, q: query.q });
    const counts = await this.measurements.countsByCampaign(rows.map((r) => r.id));
    return { items: rows.map((r) => this.view(r, counts.get(r.id))), total, limit, offset };
  }

  async get(id: string): Promise<CampaignView> {
    const campaign = await this.find(id);
    return this.view(campaign, (await this.measurements.countsByCampaign([id])).get(id));
  }

  async find(id: string, tx?: Tx): Promise<CampaignEntity> {
    const campaign = await this.campaigns.findById(id, tx);
    if (!campaign) throw new NotFound('campaign', id);
    return campaign;
  }

  async update(id: string, dto: UpdateCampaignDto, actor: string): Promise<CampaignView> {
    const changed = Object.keys(dto).filter((k) => (dto as Record<string, unknown>)[k] !== undefined);
    const { row, live } = await this.db.transaction(async (manager) => {
      const campaign = await this.lock(id, manager);
      // A running or paused campaign can be steered: budget, batch size, objectives (and its name).
      const live = campaign.status === 'running' || campaign.status === 'paused';
      if (live) {
        const fixed = changed.filter((k) => !LIVE_FIELDS.includes(k));
        if (fixed.length > 0) {
          throw new IllegalTransition(
            `campaign ${id} is ${campaign.status}: only ${LIVE_FIELDS.join(', ')} can change now, not ${fixed.join(', ')}`,
            { status: campaign.status, changeable: LIVE_FIELDS },
          );
        }
      } else if (campaign.status !== 'draft') {
        throw new IllegalTransition(`campaign ${id} is ${campaign.status}: settings can be changed only while it is a draft, running or paused`);
      }
      const designSpace = dto.designSpace ? toDesignSpace(dto.designSpace) : campaign.designSpace;
      const objectives = dto.objectives ? toObjectives(dto.objectives) : campaign.objectives;
      const budget = dto.budget ?? campaign.budget;
      const batchSize = dto.batchSize ?? campaign.batchSize;
      const seed = dto.seed ?? campaign.seed;
      const strategy = dto.strategy ? { ...campaign.strategy, ...stripUndefined(dto.strategy) } : campaign.strategy;
      this.validate({ designSpace, objectives: normaliseObjectives(objectives), budget, batchSize, seed, strategy: withStrategyDefaults(strategy) });
      if (live && dto.budget !== undefined) {
        const used = await this.experiments.countCounted(id, NOT_COUNTED, manager);
        if (budget < used) throw new Invalid(`budget ${budget} is below the ${used} experiments already proposed or measured`);
      }
      const before = { budget: campaign.budget, batchSize: campaign.batchSize, objectives: campaign.objectives };
      Object.assign(campaign, {
        name: dto.name?.trim() ?? campaign.name,
        description: dto.description ?? campaign.description,
        designSpace,
        objectives,
        budget,
        batchSize,
        seed,
        strategy,
        approvalRequired: dto.approvalRequired ?? campaign.approvalRequired,
      });
      const row = await this.campaigns.save(manager, campaign);
      await this.audit.record(
        {
          entityType: 'campaign', entityId: id, campaignId: id, action: 'update', actor, fromState: campaign.status, toState: campaign.status,
          details: { fields: changed, ...(live ? { before, after: { budget, batchSize, objectives } } : {}) },
        },
        manager,
      );
      return { row, live };
    });
    this.pages.invalidate(CAMPAIGN_LISTS);
    // The design loop takes the new settings from its next iteration (it reads the campaign each time).
    if (live) this.events.emit({ type: 'campaign.settings', campaignId: id, fields: changed, actor, at: new Date().toISOString() });
    return this.get(row.id);
  }

  async act(id: string, action: CampaignAction, actor: string, reason?: string): Promise<CampaignView> {
    await this.transition(id, action, actor, reason);
    return this.get(id);
  }

  /**
   * The design loop's completion once the budget is spent: the same lifecycle rule, audit and
   * event as a PI's, for a campaign that is still running (false when it no longer is).
   */
  async completeRunning(id: string, reason: string, actor: string): Promise<boolean> {
    return (await this.transition(id, 'complete', actor, reason, 'running')) !== null;
  }

  /** Every campaign state change: checked by the lifecycle, stored, audited, announced (null: not in `onlyFrom`). */
  private async transition(id: string, action: CampaignAction, actor: string, reason?: string, onlyFrom?: CampaignEntity['status']) {
    const done = await this.db.transaction(async (manager) => {
      const campaign = await this.lock(id, manager);
      const from = campaign.status;
      if (onlyFrom !== undefined && from !== onlyFrom) return null;
      const result = campaignTransition(from, action);
      if (!result.ok) throw new IllegalTransition(result.reason, { status: from, allowedActions: allowedActions(from) });
      if (action === 'start') {
        const measured = await this.measurements.countCurrent(id, manager);
        if (measured === 0) {
          throw new IllegalTransition('cannot start a campaign without seed data: import measured alloys first (POST .../measurements/import)');
        }
        campaign.startedAt = new Date();
      }
      if (result.to === 'completed' || result.to === 'aborted') {
        campaign.finishedAt = new Date();
        campaign.completionReason = reason ?? (action === 'complete' ? 'completed by user' : 'aborted by user');
      }
      campaign.status = result.to;
      const saved = await this.campaigns.save(manager, campaign);
      await this.audit.record(
        { entityType: 'campaign', entityId: id, campaignId: id, action, fromState: from, toState: result.to, cause: reason ?? null, actor },
        manager,
      );
      return { row: saved, from };
    });
    if (!done) return null;
    const { row, from } = done;
    this.log.log(`campaign ${id}: ${action} (${from} -> ${row.status}) by ${actor}${reason ? `: ${reason}` : ''}`);
    this.events.emit({ type: 'campaign.state', campaignId: id, from, to: row.status, actor, at: new Date().toISOString() });
    return done;
  }

  /**
   * Seed data import. Good rows are kept and bad ones reported with row number and reason (and
   * recorded in the rejected-message store); with `strict`, one bad row refuses the whole upload.
   * With an idempotency key, a repeated upload stores nothing twice.
   */
  async importMeasurements(
    id: string,
    text: string,
    options: { format?: 'csv' | 'json'; strict?: boolean; idempotencyKey?: string },
    actor: string,
  ): Promise<ImportResultView> {
    const campaign = await this.find(id);
    if (campaign.status === 'completed' || campaign.status === 'aborted') {
      throw new IllegalTransition(`campaign ${id} is ${campaign.status}: it takes no more data`);
    }
    let parsed;
    try {
      // Free-named objective properties (hardnessHV, ...) are kept like Dmax or Tg.
      const properties = acceptedProperties(normaliseObjectives(campaign.objectives)).filter((p) => !isKnownProperty(p));
      parsed = parseSeedData(text, { format: options.format, maxRows: this.config.imports.maxRows, properties });
    } catch (error) {
      if (error instanceof ImportFormatError) throw new Invalid(`upload rejected: ${error.message}`);
      throw error;
    }
    const problems = parsed.problems.map(({ row, reason }) => ({ row, reason }));
    const refuse = (options.strict && parsed.problems.length > 0) || parsed.alloys.length === 0;
    await this.recordRejectedRows(id, parsed.problems, refuse ? 'upload refused' : 'row skipped');
    if (refuse) {
      throw new Invalid(
        parsed.alloys.length === 0 ? 'upload rejected: no valid rows' : `upload rejected (strict): ${parsed.problems.length} bad rows, nothing kept`,
        problems,
      );
    }
    let outside = 0;
    let inserted = 0;
    await this.db.transaction(async (manager) => {
      // the key is bound to this upload: the same key with another file is a 422 and stores nothing
      if (options.idempotencyKey) {
        await claimIdempotencyKey(manager, id, options.idempotencyKey, requestHash({ text, format: options.format ?? null, strict: options.strict ?? false }));
      }
      const rows = parsed.alloys.map((alloy) => {
        const violations = validateAgainstDesignSpace(alloy.composition, campaign.designSpace);
        if (violations.length > 0) outside++;
        return {
          campaignId: id,
          source: 'seed' as const,
          idempotencyKey: options.idempotencyKey ? `${options.idempotencyKey}#${alloy.row}` : null,
          name: alloy.name,
          composition: alloy.composition,
          formula: alloy.formula,
          elements: Object.keys(alloy.composition).sort(),
          phase: alloy.phase,
          isGlass: alloy.isGlass,
          yieldStrengthMPa: alloy.yieldStrengthMPa,
          elongationPct: alloy.elongationPct,
          extra: alloy.extra,
          raw: alloy.raw,
          flags: violations.length > 0 ? ['outside_design_space'] : [],
          enteredBy: actor,
        };
      });
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        // a repeated idempotency key is a no-op
        inserted += (await this.measurements.insertNew(manager, rows.slice(i, i + INSERT_CHUNK) as NewMeasurement[])).length;
      }
      await this.audit.record(
        {
          entityType: 'campaign', entityId: id, campaignId: id, action: 'import', actor,
          details: { format: parsed.format, kept: inserted, rejected: problems.length, idempotencyKey: options.idempotencyKey ?? null },
        },
        manager,
      );
    });
    if (inserted > 0) this.events.emit({ type: 'measurements.added', campaignId: id, count: inserted, source: 'seed', at: new Date().toISOString() });
    this.log.log(`campaign ${id}: imported ${inserted} rows (${problems.length} rejected, ${parsed.alloys.length - inserted} already imported)`);
    return {
      format: parsed.format,
      kept: inserted,
      rejected: problems.length,
      duplicates: parsed.alloys.length - inserted,
      outsideDesignSpace: outside,
      problems,
      strictRefused: false,
    };
  }

  listMeasurements(id: string, query: MeasurementListQuery): Promise<Page<MeasurementEntity>> {
    return this.pages.get(id, JSON.stringify(query), () => this.loadMeasurements(id, query)) as Promise<Page<MeasurementEntity>>;
  }

  private async loadMeasurements(id: string, query: MeasurementListQuery): Promise<Page<MeasurementEntity>> {
    await this.find(id);
    return this.measurements.page(id, { ...query, limit: query.limit ?? 50, offset: query.offset ?? 0 });
  }

  private async recordRejectedRows(campaignId: string, problems: RowProblem[], outcome: string): Promise<void> {
    for (let i = 0; i < problems.length; i += INSERT_CHUNK) {
      await this.rejected.insertMany(
        problems.slice(i, i + INSERT_CHUNK).map((p) => ({
          channel: 'import',
          campaignId,
          payload: JSON.stringify(p.raw),
          reason: `row ${p.row}: ${p.reason} (${outcome})`,
        })),
      );
    }
  }

  private async lock(id: string, manager: Tx): Promise<CampaignEntity> {
    const campaign = await this.campaigns.lock(manager, id);
    if (!campaign) throw new NotFound('campaign', id);
    return campaign;
  }

  private validate(spec: CampaignSpec): void {
    const problems = campaignProblems(spec, KNOWN_ELEMENTS);
    if (problems.length > 0) throw new Invalid(`invalid campaign: ${problems.join('; ')}`, problems);
  }

  view(c: CampaignEntity, counts: Record<string, number> = { total: 0, glass: 0 }): CampaignView {
    return {
      id: c.id,
      name: c.name,
      description: c.description,
      status: c.status,
      designSpace: fromDesignSpace(c.designSpace),
      objectives: normaliseObjectives(c.objectives) as ObjectivesDto,
      budget: c.budget,
      batchSize: c.batchSize,
      seed: c.seed,
      strategy: withStrategyDefaults(c.strategy),
      approvalRequired: c.approvalRequired,
      allowedActions: allowedActions(c.status),
      completionReason: c.completionReason,
      startedAt: c.startedAt?.toISOString() ?? null,
      finishedAt: c.finishedAt?.toISOString() ?? null,
      createdAt: c.createdAt.toISOString(),
      updatedAt: c.updatedAt.toISOString(),
      counts: { total: 0, glass: 0, ...counts },
    };
  }
}

export function toDesignSpace(dto: DesignSpaceDto): DesignSpace {
  return {
    elements: dto.elements.map((e) => e.symbol),
    bounds: Object.fromEntries(dto.elements.map((e) => [e.symbol, { min: e.min, max: e.max }])),
    step: dto.step,
    minElements: dto.minElements,
    maxElements: dto.maxElements,
    ...(dto.baseElement ? { baseElement: dto.baseElement } : {}),
    ...(dto.family ? { family: dto.family } : {}),
    ...(dto.process?.length ? { process: normaliseProcessVariables(dto.process as unknown as Record<string, unknown>[]) } : {}),
  };
}

export function fromDesignSpace(space: DesignSpace): DesignSpaceDto {
  return {
    elements: space.elements.map((symbol) => ({ symbol, min: space.bounds[symbol].min, max: space.bounds[symbol].max })),
    step: space.step,
    minElements: space.minElements,
    maxElements: space.maxElements,
    ...(space.baseElement ? { baseElement: space.baseElement } : {}),
    ...(space.family ? { family: space.family } : {}),
    ...(space.process?.length ? { process: space.process as ProcessVariableDto[] } : {}),
  };
}

/** The request's objectives in the stored form (a target without direction: atLeast; weight 1 by default). */
function toObjectives(dto: ObjectivesDto): Objectives {
  return normaliseObjectives(dto);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
