import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { AppConfig } from '../../config/config.js';
import type { MeasuredAlloy } from '../../core/domain/measured-alloy.js';
import { isInFlight, NOT_COUNTED, OPEN_STATES, type ExperimentState } from '../../core/domain/experiment-lifecycle.js';
import { withStrategyDefaults } from '../../core/domain/strategy.js';
import { labDisagreement } from '../../core/amr/lab-disagreement.js';
import { hashString } from '../../core/util/random.js';
import type { CampaignEntity } from '../../repositories/entities/campaign.entity.js';
import { CampaignEvents } from '../campaigns/campaign-events.js';
import { ExperimentsService } from '../campaigns/experiments.service.js';
import { APP_CONFIG, INFRASTRUCTURE, JOB_QUEUE, type Infrastructure } from '../tokens.js';
import type { JobContext, JobQueue } from '../../../adapters/queue/job-queue.js';
import { DispatcherService } from '../lab/dispatcher.service.js';
import { CampaignRepository } from '../../repositories/campaign.repository.js';
import { CampaignsService } from '../campaigns/campaigns.service.js';
import { Database } from '../../repositories/database.js';
import { ExperimentRepository } from '../../repositories/experiment.repository.js';
import { InstrumentRepository } from '../../repositories/instrument.repository.js';
import { PgKnowledgeCache } from '../../repositories/knowledge-cache.repository.js';
import { MeasurementRepository } from '../../repositories/measurement.repository.js';
import { ModelRepository, RefinementRepository } from '../../repositories/model.repository.js';
import { proposeInThread } from './run-in-thread.js';
import { STRATEGIES } from './strategies.js';

export const DESIGN_JOB = 'design-iteration';
const TRIGGER_DEBOUNCE_MS = 200;
const THREADED_METHODS = new Set(['aimatdesign']);
/** States an in-flight experiment reaches when its instrument gives it back unmeasured. */
const GIVEN_BACK = new Set(['queued', 'failed', 'timed_out']);

/**
 * The campaign loop: a design iteration (train on every measurement, propose a batch sized to the
 * free instrument capacity, aware of what is pending) runs as a background job whenever a campaign
 * starts or resumes and whenever results arrive. Bursts coalesce into one queued job per campaign;
 * a campaign-level advisory lock keeps two workers from designing the same campaign at once.
 */
@Injectable()
export class DesignLoopService implements OnModuleInit {
  private readonly log = new Logger('DesignLoop');
  private readonly debounced = new Map<string, NodeJS.Timeout>();

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(CampaignRepository) private readonly campaigns: CampaignRepository,
    @Inject(CampaignsService) private readonly campaignService: CampaignsService,
    @Inject(ExperimentRepository) private readonly experimentRows: ExperimentRepository,
    @Inject(MeasurementRepository) private readonly measurementRows: MeasurementRepository,
    @Inject(InstrumentRepository) private readonly instruments: InstrumentRepository,
    @Inject(ModelRepository) private readonly models: ModelRepository,
    @Inject(RefinementRepository) private readonly refinements: RefinementRepository,
    @Inject(PgKnowledgeCache) private readonly knowledgeCache: PgKnowledgeCache,
    @Inject(JOB_QUEUE) private readonly jobs: JobQueue,
    @Inject(CampaignEvents) private readonly events: CampaignEvents,
    @Inject(ExperimentsService) private readonly experiments: ExperimentsService,
    @Inject(DispatcherService) private readonly dispatcher: DispatcherService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(INFRASTRUCTURE) private readonly infra: Infrastructure,
  ) {}

  onModuleInit(): void {
    this.jobs.register(DESIGN_JOB, (ctx) => this.runIteration(ctx));
    this.events.stream.subscribe((event) => {
      if (event.type === 'campaign.state' && event.to === 'running') this.trigger(event.campaignId, `campaign ${event.from} -> running`);
      if (event.type === 'campaign.state' && event.to === 'running') this.dispatcher.request();
      // The one trigger for results, however they came (instrument, technician, correction).
      if (event.type === 'measurements.added' && event.source !== 'seed') this.trigger(event.campaignId, 'new measurement');
      // An experiment the lab gave back unfinished (rejected, failed, timed out) frees capacity or
      // ends the campaign's last open work.
      if (event.type === 'experiment.state' && isInFlight(event.from as ExperimentState) && GIVEN_BACK.has(event.to)) {
        this.trigger(event.campaignId, `experiment ${event.from} -> ${event.to}`);
      }
      // Budget, batch size or objectives changed by a PI: the next iteration runs on them now.
      if (event.type === 'campaign.settings') {
        this.trigger(event.campaignId, `settings changed (${event.fields.join(', ')})`);
        void this.checkCompletion(event.campaignId).catch(() => undefined);
      }
    });
  }

  /**
   * Ask for a design iteration. A burst of results (fifty at once) becomes one request: triggers
   * within TRIGGER_DEBOUNCE_MS coalesce here, and the queue coalesces again by dedupe key.
   */
  trigger(campaignId: string, reason: string): void {
    if (this.debounced.has(campaignId)) return;
    const timer = setTimeout(() => {
      this.debounced.delete(campaignId);
      void this.enqueue(campaignId, reason);
    }, TRIGGER_DEBOUNCE_MS);
    timer.unref();
    this.debounced.set(campaignId, timer);
  }

  private async enqueue(campaignId: string, reason: string): Promise<void> {
    try {
      await this.jobs.enqueue(DESIGN_JOB, { campaignId, input: { campaignId, reason }, dedupeKey: `design:${campaignId}`, maxAttempts: 3 });
    } catch (error) {
      this.log.error(`could not enqueue a design iteration for ${campaignId}: ${(error as Error).message}`);
    }
  }

  /** On start-up: every running campaign gets an iteration (it proposes only if something is missing). */
  async reconcile(): Promise<void> {
    const running = await this.campaigns.withStatus('running');
    for (const c of running) await this.enqueue(c.id, 'service start');
    this.dispatcher.request();
  }

  private async runIteration(ctx: JobContext): Promise<unknown> {
    const campaignId = String(ctx.input.campaignId);
    // Two workers never design one campaign at once: the second waits for the first and then
    // runs on the data that arrived meanwhile (a bounded wait; the job is retried after that).
    return this.db.whileLocked(`aimd:design:${campaignId}`, '15min', () => this.iterate(campaignId, ctx));
  }

  private async iterate(campaignId: string, ctx: JobContext): Promise<unknown> {
    const campaign = await this.campaigns.findById(campaignId);
    if (!campaign || campaign.status !== 'running') return { skipped: `campaign is ${campaign?.status ?? 'gone'}` };
    const counts = await this.counts(campaignId);
    const used = counts.total - counts.notCounted;
    const remaining = campaign.budget - used;
    if (remaining <= 0) {
      if (counts.open === 0) await this.complete(campaign, `budget of ${campaign.budget} experiments reached`);
      return { skipped: 'budget allocated', counts };
    }
    const capacity = await this.freeCapacity();
    const waiting = counts.byState.proposed + counts.byState.approved + counts.byState.queued;
    // Fill free instrument slots; with no instrument online, keep one batch ready for when one comes.
    const wanted = capacity.online > 0 ? capacity.free - waiting : counts.open === 0 ? campaign.batchSize : 0;
    const count = Math.min(campaign.batchSize, remaining, Math.max(0, wanted));
    if (count <= 0) return { skipped: 'no free capacity', counts, capacity };

    const measurements = await this.measurementRows.current(campaignId);
    const measured: MeasuredAlloy[] = measurements.map((m) => ({
      composition: m.composition,
      isGlass: m.isGlass,
      yieldStrengthMPa: m.yieldStrengthMPa,
      elongationPct: m.elongationPct,
      extra: m.extra,
      process: m.process,
    }));
    const open = await this.experimentRows.compositionsIn(campaignId, OPEN_STATES);
    const pending = open.map((e) => e.composition);
    const pendingProcess = open.map((e) => e.process);
    const proposed = await this.experimentRows.compositionsProposed(campaignId);
    const iteration = (await this.experimentRows.lastNumbers(campaignId)).batch + 1;
    const previousModel = await this.models.latestActive(campaignId);
    const previousAgent = await this.models.latestAgent(campaignId);
    const settings = withStrategyDefaults(campaign.strategy);
    // Results since the previous iteration started (those that arrived while it trained included).
    const previousStart = (previousAgent?.config as { iterationStartedAt?: string } | undefined)?.iterationStartedAt;
    const since = previousAgent ? new Date(previousStart ?? previousAgent.createdAt) : null;
    const iterationStartedAt = new Date().toISOString();
    const labCheck = since && settings.method === 'aimatdesign' && settings.amrEnabled ? await this.labCheck(campaignId, since, settings.amrDisagreementShare) : null;
    if (labCheck?.results) {
      this.log.log(`campaign ${campaignId}: AMR lab check: ${labCheck.outside} of ${labCheck.results} results outside their 95 % intervals${labCheck.fired ? ' (fired)' : ''}`);
    }
    const strategy = STRATEGIES[settings.method]?.(this.config, this.knowledgeCache);
    if (!strategy) throw new Error(`unknown strategy method ${settings.method}`);
    this.log.log(`campaign ${campaignId}: iteration ${iteration} (${strategy.name}) on ${measured.length} measurements, proposing ${count}`);
    const started = Date.now();
    const context = {
      campaignId,
      space: campaign.designSpace,
      objectives: campaign.objectives,
      strategy: settings,
      measured,
      pending,
      pendingProcess,
      proposed,
      count,
      seed: (campaign.seed ^ hashString(`iteration:${iteration}`)) >>> 0,
      iteration,
      labCheck,
      previous: {
        featureNames: previousModel?.features ?? null,
        agentCheckpoint: previousAgent?.weights ?? null,
        trustRegion: (previousAgent?.config as { trustRegion?: unknown } | undefined)?.trustRegion ?? null,
      },
      progress: (f: number, message: string) => ctx.reportProgress(f * 0.95, message),
      log: (line: string) => this.log.log(`campaign ${campaignId}: ${line}`),
    };
    // The agent's training is CPU-bound: in a thread, HTTP and MQTT stay responsive meanwhile.
    // The fast baselines (and strategies registered at run time, e.g. by tests) run inline.
    const outcome =
      this.config.lab.designThread && THREADED_METHODS.has(settings.method)
        ? await proposeInThread(settings.method, this.config, this.infra.database.url, context)
        : await strategy.propose(context);

    const saved = await this.db.transaction(async (m) => {
      // The campaign may have been paused or aborted while we trained: then propose nothing.
      const current = await this.campaigns.lock(m, campaignId);
      if (!current || current.status !== 'running') return { experiments: [], modelVersionId: null as string | null };
      let modelVersionId: string | null = previousModel?.id ?? null;
      for (const mv of outcome.modelVersions) {
        const row = await this.models.saveActiveVersion(m, { ...mv, campaignId, seed: campaign.seed });
        modelVersionId = row.id;
        this.events.emit({ type: 'model.trained', campaignId, modelVersionId: row.id, version: row.version, at: new Date().toISOString() });
      }
      if (outcome.agent) {
        // The iteration's AMR record: the lab check first, then the checks during training.
        const curve = outcome.agent.trainingCurve as { amrChecks?: unknown[] } | null;
        const trainingCurve = labCheck && curve && typeof curve === 'object' ? { ...curve, amrChecks: [labCheck, ...(curve.amrChecks ?? [])] } : outcome.agent.trainingCurve;
        const config = { ...outcome.agent.config, iterationStartedAt };
        await this.models.saveAgent(m, { ...outcome.agent, config, trainingCurve, campaignId, modelVersionId, iteration });
      }
      for (const r of outcome.refinements) {
        const row = await this.refinements.save(m, { ...r, campaignId, iteration, modelVersionId: r.accepted ? modelVersionId : null });
        this.events.emit({ type: 'refinement.event', campaignId, refinementEventId: row.id, accepted: r.accepted, reason: r.reason, at: new Date().toISOString() });
      }
      const experiments = await this.experiments.createProposals(m, current, outcome.proposals.slice(0, count), modelVersionId, 'design-agent');
      return { experiments, modelVersionId };
    });
    this.dispatcher.request();
    const seconds = (Date.now() - started) / 1000;
    this.log.log(`campaign ${campaignId}: iteration ${iteration} proposed ${saved.experiments.length} in ${seconds.toFixed(1)} s`);
    return { iteration, proposed: saved.experiments.length, seconds, modelVersionId: saved.modelVersionId, ...outcome.summary };
  }

  /** AMR's lab check: results measured since the last iteration against the predictions they were proposed with. */
  private async labCheck(campaignId: string, since: Date, threshold: number) {
    const rows = await this.measurementRows.resultsWithPredictions(campaignId, since);
    const num = (v: number | string | null) => (v === null ? null : Number(v));
    return labDisagreement(
      rows.map((r) => ({ predicted: r.prediction, measured: { yieldStrengthMPa: num(r.yield_strength_mpa), elongationPct: num(r.elongation_pct) } })),
      threshold,
    );
  }

  private async counts(campaignId: string) {
    const byState: Record<string, number> = { ...Object.fromEntries(OPEN_STATES.map((s) => [s, 0])), ...(await this.experimentRows.countByState(campaignId)) };
    const total = Object.values(byState).reduce((s, n) => s + n, 0);
    const open = OPEN_STATES.reduce((s, st) => s + (byState[st] ?? 0), 0);
    const notCounted = NOT_COUNTED.reduce((s, st) => s + (byState[st] ?? 0), 0);
    return { byState, total, open, notCounted };
  }

  /** Free job slots over instruments that can take work now (online or busy). */
  private async freeCapacity(): Promise<{ online: number; free: number }> {
    return this.instruments.freeCapacity();
  }

  /** Completion once the budget is spent and nothing is in flight. */
  async checkCompletion(campaignId: string): Promise<void> {
    const campaign = await this.campaigns.findById(campaignId);
    if (!campaign || campaign.status !== 'running') return;
    const counts = await this.counts(campaignId);
    if (counts.total - counts.notCounted >= campaign.budget && counts.open === 0) {
      await this.complete(campaign, `budget of ${campaign.budget} experiments reached`);
    }
  }

  private async complete(campaign: CampaignEntity, reason: string): Promise<void> {
    await this.campaignService.completeRunning(campaign.id, reason, 'design-loop');
  }
}
