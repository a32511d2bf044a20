import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from './audit.service.js';
import { CampaignEvents } from './campaign-events.js';
import { IllegalTransition, Invalid, NotFound } from '../../common/errors.js';
import type { Page } from '../../common/pagination.js';
import { formatFormula, normalize } from '../../core/chemistry/composition.js';
import { roundToStep } from '../../core/domain/composition-grid.js';
import { validateAgainstDesignSpace } from '../../core/domain/design-space.js';
import type { Composition } from '../../core/chemistry/types.js';
import { NOT_COUNTED, OPEN_STATES, transitionProblem, type ExperimentState } from '../../core/domain/experiment-lifecycle.js';
import type { DesignSpace } from '../../core/domain/design-space.js';
import type { CampaignEntity } from '../../repositories/entities/campaign.entity.js';
import { CampaignRepository } from '../../repositories/campaign.repository.js';
import { Database, type Tx } from '../../repositories/database.js';
import { ExperimentRepository } from '../../repositories/experiment.repository.js';
import { PredictionService, type ModelRef, type PredictionWithIntervals } from './prediction.service.js';
import type { ExperimentEntity, InstrumentJobEntity, Prediction } from '../../repositories/entities/experiment.entity.js';
import { checkProcessValues, withProcessDefaults, type ProcessValues } from '../../core/domain/process.js';

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
    @Inject(Database) private readonly db: Database,
    @Inject(ExperimentRepository) private readonly repo: ExperimentRepository,
    @Inject(CampaignRepository) private readonly campaigns: CampaignRepository,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(CampaignEvents) private readonly events: CampaignEvents,
    @Inject(PredictionService) private readonly predictions: PredictionService,
  ) {}

  async transition(manager: Tx, experiment: ExperimentEntity, to: ExperimentState, options: TransitionOptions): Promise<ExperimentEntity> {
    const from = experiment.status;
    const problem = transitionProblem(from, to);
    if (problem) throw new IllegalTransition(problem, { status: from });
    Object.assign(experiment, options.set ?? {}, { status: to, statusReason: options.cause });
    await this.repo.update(experiment.id, { ...(options.set ?? {}), status: to, statusReason: options.cause }, manager);
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
  async lock(manager: Tx, id: string): Promise<ExperimentEntity> {
    const experiment = await this.repo.lock(manager, id);
    if (!experiment) throw new NotFound('experiment', id);
    return experiment;
  }

  /** Create a batch of proposals (queued directly, or proposed when the campaign has an approval gate). */
  async createProposals(
    manager: Tx,
    campaign: CampaignEntity,
    proposals: { composition: Composition; process?: ProcessValues | null; prediction: Prediction | null }[],
    modelVersionId: string | null,
    actor: string,
    options: { byPi?: boolean } = {},
  ): Promise<ExperimentEntity[]> {
    if (proposals.length === 0) return [];
    const last = await this.repo.lastNumbers(campaign.id, manager);
    const batchNumber = last.batch + 1;
    // A PI's own composition needs no approval: it is queued like an approved proposal.
    const gated = campaign.approvalRequired && !options.byPi;
    const status: ExperimentState = gated ? 'proposed' : 'queued';
    // Every experiment of a campaign with process variables carries a value for each (defaults where a proposal names none).
    const variables = campaign.designSpace.process ?? [];
    const rows = proposals.map((p, i) =>
      ({
        campaignId: campaign.id,
        sequence: last.sequence + i + 1,
        batchNumber,
        status,
        composition: p.composition,
        process: variables.length > 0 ? withProcessDefaults(p.process, variables) : null,
        formula: formatFormula(p.composition),
        elements: Object.keys(p.composition).sort(),
        prediction: p.prediction,
        modelVersionId,
        statusReason: options.byPi ? `added by ${actor}` : gated ? 'waiting for approval' : 'proposed by the design agent',
      }),
    );
    const saved = await this.repo.insert(manager, rows);
    for (const e of saved) {
      await this.audit.record(
        { entityType: 'experiment', entityId: e.id, campaignId: campaign.id, action: 'create', toState: status, cause: options.byPi ? `added by ${actor} (batch ${batchNumber})` : `batch ${batchNumber}`, actor },
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
    return this.db.transaction(async (m) => {
      const e = await this.lock(m, id);
      if (e.status !== 'proposed') throw new IllegalTransition(`experiment ${id} is ${e.status}; only proposed experiments can be approved`);
      return this.decide(m, e, 'approve', actor, reason);
    });
  }

  async reject(id: string, actor: string, reason: string): Promise<ExperimentEntity> {
    return this.db.transaction(async (m) => {
      const e = await this.lock(m, id);
      if (e.status !== 'proposed') throw new IllegalTransition(`experiment ${id} is ${e.status}; only proposed experiments can be rejected`);
      return this.decide(m, e, 'reject', actor, reason);
    });
  }

  /**
   * Approve or reject several proposals of one campaign at once, all or none: every id must name
   * a proposal of this campaign waiting for approval, else nothing changes and the answer says which.
   */
  async decideMany(campaignId: string, ids: string[], decision: 'approve' | 'reject', actor: string, reason?: string): Promise<ExperimentEntity[]> {
    return this.db.transaction(async (m) => {
      const unique = [...new Set(ids)].sort(); // lock order: by id
      const rows = await this.repo.lockMany(m, unique);
      const byId = new Map(rows.map((e) => [e.id, e]));
      const problems = unique.flatMap((id) => {
        const e = byId.get(id);
        if (!e || e.campaignId !== campaignId) return [`${id}: not an experiment of campaign ${campaignId}`];
        return e.status === 'proposed' ? [] : [`${id} (#${e.sequence}) is ${e.status}, not a proposal waiting for approval`];
      });
      if (problems.length > 0) throw new IllegalTransition(`nothing ${decision === 'approve' ? 'approved' : 'rejected'}: ${problems.join('; ')}`, { problems });
      const out: ExperimentEntity[] = [];
      for (const id of unique) out.push(await this.decide(m, byId.get(id)!, decision, actor, reason));
      return out.sort((a, b) => a.sequence - b.sequence);
    });
  }

  /**
   * Cancel an experiment that is not finished; its open job (if any) is closed as cancelled and
   * returned, so the caller can tell the instrument to drop it.
   */
  async cancel(id: string, actor: string, reason: string): Promise<{ experiment: ExperimentEntity; job: { jobId: string; instrumentId: string } | null }> {
    return this.db.transaction(async (m) => {
      const experiment = await this.lock(m, id);
      if (!OPEN_STATES.includes(experiment.status)) {
        throw new IllegalTransition(`experiment ${id} is ${experiment.status}; it cannot be cancelled`);
      }
      const job = experiment.currentJobId ? { jobId: experiment.currentJobId, instrumentId: experiment.instrumentId! } : null;
      if (job) await this.repo.finishJobs(m, [job.jobId], 'cancelled', []);
      await this.transition(m, experiment, 'cancelled', { cause: reason, actor, set: { currentJobId: null, deadline: null } });
      return { experiment, job };
    });
  }

  /** A PI's decision on a proposal: approved (then queued for dispatch) or rejected. */
  private async decide(m: Tx, e: ExperimentEntity, decision: 'approve' | 'reject', actor: string, reason?: string): Promise<ExperimentEntity> {
    if (decision === 'reject') return this.transition(m, e, 'rejected', { cause: reason ?? 'rejected', actor });
    await this.transition(m, e, 'approved', { cause: reason ?? 'approved', actor });
    return this.transition(m, e, 'queued', { cause: 'approved; waiting for an instrument', actor });
  }

  /**
   * A PI's own composition as an experiment: checked against the design space, predicted by the
   * current surrogates (when there are any), queued for dispatch like an approved proposal, and
   * counted in the budget (refused once the budget is allocated).
   */
  async addOwn(campaignId: string, composition: Composition, actor: string, process?: ProcessValues): Promise<ExperimentEntity & { model: ModelRef | null }> {
    return this.db.transaction(async (m) => {
      const campaign = await this.campaigns.lock(m, campaignId);
      if (!campaign) throw new NotFound('campaign', campaignId);
      if (!['draft', 'running', 'paused'].includes(campaign.status)) {
        throw new IllegalTransition(`campaign ${campaignId} is ${campaign.status}: experiments can be added while it is a draft, running or paused`);
      }
      const normalized = compositionInSpace(composition, campaign.designSpace);
      const processProblems = checkProcessValues(process ?? {}, campaign.designSpace.process ?? []);
      if (processProblems.length > 0) throw new Invalid(`invalid process values: ${processProblems.join('; ')}`, processProblems);
      const used = await this.repo.countCounted(campaignId, NOT_COUNTED, m);
      if (used >= campaign.budget) {
        throw new IllegalTransition(`the budget of ${campaign.budget} experiments is allocated (${used} counted): raise it first (PATCH /campaigns/${campaignId})`);
      }
      const predicted = await this.predictions.predict(campaign, [normalized], m);
      const [saved] = await this.createProposals(m, campaign, [{ composition: normalized, process, prediction: predicted ? strip(predicted.predictions[0]) : null }], predicted?.model.id ?? null, actor, { byPi: true });
      return { ...saved, model: predicted?.model ?? null };
    });
  }

  /** A PI edits a proposal's composition before approving it: rounded to the step, checked against the space. */
  async edit(id: string, composition: Composition, actor: string): Promise<ExperimentEntity> {
    return this.db.transaction(async (m) => {
      const e = await this.lock(m, id);
      if (e.status !== 'proposed') throw new IllegalTransition(`experiment ${id} is ${e.status}; only proposed experiments can be edited`);
      const campaign = (await this.campaigns.findById(e.campaignId, m))!;
      const normalized = compositionInSpace(composition, campaign.designSpace);
      const before = e.formula;
      // The edited composition gets the current surrogates' prediction (none before the first model).
      const predicted = await this.predictions.predict(campaign, [normalized], m);
      const prediction = predicted ? strip(predicted.predictions[0]) : null;
      const modelVersionId = predicted?.model.id ?? e.modelVersionId;
      Object.assign(e, { composition: normalized, formula: formatFormula(normalized), elements: Object.keys(normalized).sort(), prediction, modelVersionId });
      await this.repo.update(id, { composition: normalized, formula: e.formula, elements: e.elements, prediction, modelVersionId }, m);
      await this.audit.record(
        { entityType: 'experiment', entityId: id, campaignId: e.campaignId, action: 'edit', cause: `${before} -> ${e.formula}`, actor, details: { predictedBy: predicted?.model.id ?? null } },
        m,
      );
      return e;
    });
  }

  async get(id: string): Promise<ExperimentEntity & { jobs: InstrumentJobEntity[] }> {
    const e = await this.repo.findById(id);
    if (!e) throw new NotFound('experiment', id);
    const jobs = await this.repo.jobsOf(id);
    return { ...e, jobs };
  }

  list(campaignId: string, filter: { status?: string[]; limit: number; offset: number }): Promise<Page<ExperimentEntity>> {
    return this.repo.page(campaignId, filter);
  }
}

/** A composition a PI typed, normalised to 100 at.%, rounded to the campaign's step and checked against its design space (400 otherwise). */
export function compositionInSpace(composition: Composition, space: DesignSpace): Composition {
  let normalized: Composition;
  try {
    normalized = roundToStep(normalize(composition), space.step);
  } catch (error) {
    throw new Invalid(`invalid composition: ${(error as Error).message}`);
  }
  const problems = validateAgainstDesignSpace(normalized, space);
  if (problems.length > 0) throw new Invalid(`composition outside the design space: ${problems.join('; ')}`, problems);
  return normalized;
}

/** The stored prediction (Prediction) without the intervals the API adds. */
function strip(p: PredictionWithIntervals): Prediction {
  const { yieldStrengthInterval95: _y, elongationInterval95: _e, propertyIntervals95: _p, ...prediction } = p;
  return prediction;
}
