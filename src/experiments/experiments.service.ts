import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { CampaignEvents } from '../campaigns/campaign-events.js';
import { IllegalTransition, Invalid, NotFound } from '../common/errors.js';
import type { Page } from '../common/pagination.js';
import { formatFormula, normalize, roundToStep, validateAgainstDesignSpace } from '../core/chemistry/composition.js';
import type { Composition } from '../core/chemistry/types.js';
import { transitionProblem, type ExperimentState } from '../core/campaign/experiment-lifecycle.js';
import { CampaignEntity } from '../campaigns/campaign.entity.js';
import { ExperimentEntity, InstrumentJobEntity, type Prediction } from './experiment.entity.js';

export interface TransitionOptions {
  cause: string;
  actor: string;
  details?: Record<string, unknown>;
  /** Extra column updates made with the transition (job id, instrument, deadline, ...). */
  set?: Partial<ExperimentEntity>;
}

/** Every experiment state change goes through here: checked, stored, audited, announced. */
@Injectable()
export class ExperimentsService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(CampaignEvents) private readonly events: CampaignEvents,
  ) {}

  async transition(manager: EntityManager, experiment: ExperimentEntity, to: ExperimentState, options: TransitionOptions): Promise<ExperimentEntity> {
    const from = experiment.status;
    const problem = transitionProblem(from, to);
    if (problem) throw new IllegalTransition(problem, { status: from });
    Object.assign(experiment, options.set ?? {}, { status: to, statusReason: options.cause });
    await manager.update(ExperimentEntity, { id: experiment.id }, { ...(options.set ?? {}), status: to, statusReason: options.cause });
    await this.audit.record(
      {
        entityType: 'experiment', entityId: experiment.id, campaignId: experiment.campaignId, action: 'transition',
        fromState: from, toState: to, cause: options.cause, actor: options.actor, details: options.details,
      },
      manager,
    );
    // Announced after commit would be stricter; listeners only read, so a rolled-back change at worst
    // makes a dashboard refresh once more.
    this.events.emit({
      type: 'experiment.state', campaignId: experiment.campaignId, experimentId: experiment.id, sequence: experiment.sequence,
      from, to, cause: options.cause, at: new Date().toISOString(),
    });
    return experiment;
  }

  /** Lock one experiment row for a state change. */
  async lock(manager: EntityManager, id: string): Promise<ExperimentEntity> {
    const experiment = await manager.findOne(ExperimentEntity, { where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!experiment) throw new NotFound('experiment', id);
    return experiment;
  }

  /** Create a batch of proposals (queued directly, or proposed when the campaign has an approval gate). */
  async createProposals(
    manager: EntityManager,
    campaign: CampaignEntity,
    proposals: { composition: Composition; prediction: Prediction | null }[],
    modelVersionId: string | null,
    actor: string,
  ): Promise<ExperimentEntity[]> {
    if (proposals.length === 0) return [];
    const [{ max_seq, max_batch }] = await manager.query(
      `SELECT coalesce(max(sequence), 0) AS max_seq, coalesce(max(batch_number), 0) AS max_batch FROM experiment WHERE campaign_id = $1`,
      [campaign.id],
    );
    const batchNumber = Number(max_batch) + 1;
    const status: ExperimentState = campaign.approvalRequired ? 'proposed' : 'queued';
    const rows = proposals.map((p, i) =>
      manager.create(ExperimentEntity, {
        campaignId: campaign.id,
        sequence: Number(max_seq) + i + 1,
        batchNumber,
        status,
        composition: p.composition,
        formula: formatFormula(p.composition),
        elements: Object.keys(p.composition).sort(),
        prediction: p.prediction,
        modelVersionId,
        statusReason: campaign.approvalRequired ? 'waiting for approval' : 'proposed by the design agent',
      }),
    );
    const saved = await manager.save(rows);
    for (const e of saved) {
      await this.audit.record(
        { entityType: 'experiment', entityId: e.id, campaignId: campaign.id, action: 'create', toState: status, cause: `batch ${batchNumber}`, actor },
        manager,
      );
    }
    this.events.emit({
      type: 'proposals.created', campaignId: campaign.id, batchNumber, count: saved.length, experimentIds: saved.map((e) => e.id),
      at: new Date().toISOString(),
    });
    return saved;
  }

  async approve(id: string, actor: string, reason?: string): Promise<ExperimentEntity> {
    return this.dataSource.transaction(async (m) => {
      const e = await this.lock(m, id);
      if (e.status !== 'proposed') throw new IllegalTransition(`experiment ${id} is ${e.status}; only proposed experiments can be approved`);
      await this.transition(m, e, 'approved', { cause: reason ?? 'approved', actor });
      return this.transition(m, e, 'queued', { cause: 'approved; waiting for an instrument', actor });
    });
  }

  async reject(id: string, actor: string, reason: string): Promise<ExperimentEntity> {
    return this.dataSource.transaction(async (m) => {
      const e = await this.lock(m, id);
      if (e.status !== 'proposed') throw new IllegalTransition(`experiment ${id} is ${e.status}; only proposed experiments can be rejected`);
      return this.transition(m, e, 'rejected', { cause: reason, actor });
    });
  }

  /** A PI edits a proposal's composition before approving it: rounded to the step, checked against the space. */
  async edit(id: string, composition: Composition, actor: string): Promise<ExperimentEntity> {
    return this.dataSource.transaction(async (m) => {
      const e = await this.lock(m, id);
      if (e.status !== 'proposed') throw new IllegalTransition(`experiment ${id} is ${e.status}; only proposed experiments can be edited`);
      const campaign = await m.findOneByOrFail(CampaignEntity, { id: e.campaignId });
      let normalized: Composition;
      try {
        normalized = roundToStep(normalize(composition), campaign.designSpace.step);
      } catch (error) {
        throw new Invalid(`invalid composition: ${(error as Error).message}`);
      }
      const problems = validateAgainstDesignSpace(normalized, campaign.designSpace);
      if (problems.length > 0) throw new Invalid(`composition outside the design space: ${problems.join('; ')}`, problems);
      const before = e.formula;
      Object.assign(e, { composition: normalized, formula: formatFormula(normalized), elements: Object.keys(normalized).sort(), prediction: null });
      await m.update(ExperimentEntity, { id }, { composition: normalized, formula: e.formula, elements: e.elements, prediction: null });
      await this.audit.record(
        { entityType: 'experiment', entityId: id, campaignId: e.campaignId, action: 'edit', cause: `${before} -> ${e.formula}`, actor },
        m,
      );
      return e;
    });
  }

  async get(id: string): Promise<ExperimentEntity & { jobs: InstrumentJobEntity[] }> {
    const e = await this.dataSource.getRepository(ExperimentEntity).findOneBy({ id });
    if (!e) throw new NotFound('experiment', id);
    const jobs = await this.dataSource.getRepository(InstrumentJobEntity).find({ where: { experimentId: id }, order: { attempt: 'ASC' } });
    return { ...e, jobs };
  }

  async list(campaignId: string, filter: { status?: string[]; limit: number; offset: number }): Promise<Page<ExperimentEntity>> {
    const [items, total] = await this.dataSource.getRepository(ExperimentEntity).findAndCount({
      where: { campaignId, ...(filter.status?.length ? { status: In(filter.status) } : {}) },
      order: { sequence: 'ASC' },
      take: filter.limit,
      skip: filter.offset,
    });
    return { items, total, limit: filter.limit, offset: filter.offset };
  }
}
