import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { isDatabaseUnavailable } from '../../common/database-unavailable.filter.js';
import { encodeJobCancel, encodeJobDispatch, InstrumentTopics } from '../../../adapters/mqtt/protocol.js';
import type { MqttConnection } from '../../../adapters/mqtt/mqtt-connection.js';
import type { AppConfig } from '../../config/config.js';
import type { ExperimentEntity } from '../../repositories/entities/experiment.entity.js';
import { ExperimentsService } from '../campaigns/experiments.service.js';
import type { InstrumentEntity } from '../../repositories/entities/instrument.entity.js';
import { Database, type Tx } from '../../repositories/database.js';
import { ExperimentRepository } from '../../repositories/experiment.repository.js';
import { InstrumentRepository } from '../../repositories/instrument.repository.js';
import { processRejection, type ProcessValues } from '../../core/domain/process.js';
import { APP_CONFIG, MQTT } from '../tokens.js';

/** Every job needs both stages: the campaign's objectives are mechanical properties of a made sample. */
export const REQUIRED_STAGES = ['synthesis', 'mechanical_test'];
const ACTOR = 'dispatcher';

interface Slot {
  instrument: InstrumentEntity;
  free: number;
}

/**
 * Sends queued experiments of running campaigns to eligible instruments (state online or busy
 * with free capacity, every stage, every element stocked) and times out jobs past their deadline.
 * Work is serialised in this process and across replicas by a PostgreSQL advisory lock.
 */
@Injectable()
export class DispatcherService implements OnApplicationShutdown {
  private readonly log = new Logger('Dispatcher');
  private readonly topics: InstrumentTopics;
  private running: Promise<void> | null = null;
  private again = false;
  private sweepTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** When rounds started failing because PostgreSQL was unreachable (null while it answers). */
  private unreachableSince: number | null = null;

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(ExperimentRepository) private readonly rows: ExperimentRepository,
    @Inject(InstrumentRepository) private readonly instruments: InstrumentRepository,
    @Inject(ExperimentsService) private readonly experiments: ExperimentsService,
    @Inject(MQTT) private readonly mqtt: MqttConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.topics = new InstrumentTopics(config.mqtt.topicPrefix);
  }

  startSweeper(): void {
    this.sweepTimer = setInterval(() => this.request(), this.config.lab.sweepIntervalMs);
    this.sweepTimer.unref();
    this.request();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
  }

  /** Ask for a sweep + dispatch round; bursts of requests coalesce into one more round. */
  request(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.round()
      .catch((error) => {
        if (isDatabaseUnavailable(error)) this.unreachableSince ??= Date.now();
        this.log.error(`dispatch round failed: ${(error as Error).message}`);
      })
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.request();
        }
      });
  }

  /** Resolves when no round is running or pending (tests). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  private async round(): Promise<void> {
    const outbox: { topic: string; payload: string }[] = [];
    const outageStart = this.unreachableSince;
    await this.db.transaction(async (m) => {
      await this.db.lockForTransaction(m, 'aimd:dispatch');
      if (outageStart !== null) await this.extendDeadlines(m, Date.now() - outageStart);
      await this.timeOutOverdueJobs(m, outbox);
      await this.dispatchQueued(m, outbox);
    });
    if (outageStart !== null && this.unreachableSince === outageStart) this.unreachableSince = null;
    for (const message of outbox) {
      await this.mqtt.publish(message.topic, message.payload).catch((error: Error) => {
        // The job keeps its deadline: if the message never arrives it times out and is re-dispatched.
        this.log.error(`publish to ${message.topic} failed: ${error.message}`);
      });
    }
  }

  /**
   * While the database was unreachable the service could not hear results (the gateway holds what
   * it took meanwhile and stores it now): that time does not count against the instruments, so
   * open jobs get it added to their deadlines instead of timing out and being dispatched twice.
   */
  private async extendDeadlines(m: Tx, outageMs: number): Promise<void> {
    const ms = Math.ceil(outageMs + 2 * this.config.lab.sweepIntervalMs);
    const moved = await this.rows.extendOpenDeadlines(m, ms);
    this.log.warn(`database was unreachable for ${(outageMs / 1000).toFixed(1)} s: ${moved} open job deadline(s) moved by that much`);
  }

  private async timeOutOverdueJobs(m: Tx, outbox: { topic: string; payload: string }[]): Promise<void> {
    const overdue = await this.rows.overdueJobs(m);
    for (const job of overdue) {
      const experiment = await this.experiments.lock(m, job.experimentId); // experiment first, then its job
      await this.rows.updateJob(m, job.jobId, { status: 'timed_out', finishedAt: new Date() });
      outbox.push({ topic: this.topics.jobs(job.instrumentId), payload: encodeJobCancel(job.jobId) });
      if (experiment.currentJobId !== job.jobId) continue;
      await this.retryOrGiveUp(m, experiment, `job ${job.jobId} on ${job.instrumentId} passed its deadline`, 'timed_out');
    }
    if (overdue.length > 0) this.log.warn(`${overdue.length} job(s) timed out`);
  }

  /** Back to the queue for a new dispatch while attempts remain; otherwise the final state. */
  async retryOrGiveUp(m: Tx, experiment: ExperimentEntity, reason: string, finalState: 'failed' | 'timed_out'): Promise<void> {
    const clear = { currentJobId: null, instrumentId: null, deadline: null };
    if (experiment.attempts < this.config.lab.maxDispatchAttempts) {
      await this.experiments.transition(m, experiment, 'queued', {
        cause: `${reason}; re-dispatch (attempt ${experiment.attempts + 1} of ${this.config.lab.maxDispatchAttempts})`,
        actor: ACTOR,
        set: clear,
      });
    } else {
      await this.experiments.transition(m, experiment, finalState, {
        cause: `${reason}; no attempts left (${experiment.attempts} of ${this.config.lab.maxDispatchAttempts})`,
        actor: ACTOR,
        set: clear,
      });
    }
  }

  private async dispatchQueued(m: Tx, outbox: { topic: string; payload: string }[]): Promise<void> {
    const queued = await this.rows.queuedForDispatch(m);
    if (queued.length === 0) return;
    const slots = await this.freeSlots(m);
    if (!slots.some((s) => s.free > 0)) return;
    let sent = 0;
    for (const id of queued) {
      const experiment = await this.experiments.lock(m, id);
      if (experiment.status !== 'queued') continue;
      const gaveUp = await this.rows.instrumentsThatGaveUp(m, id);
      const slot = this.pick(slots, Object.keys(experiment.composition), experiment.process, gaveUp);
      if (!slot) continue;
      slot.free--;
      const now = new Date();
      const deadline = new Date(now.getTime() + this.config.lab.jobTimeoutMs);
      const job = await this.rows.createJob(m, {
        experimentId: id,
        campaignId: experiment.campaignId,
        instrumentId: slot.instrument.id,
        attempt: experiment.attempts + 1,
        status: 'dispatched',
        stages: REQUIRED_STAGES,
        dispatchedAt: now,
        deadline,
      });
      await this.experiments.transition(m, experiment, 'dispatched', {
        cause: `job ${job.jobId} to ${slot.instrument.id}`,
        actor: ACTOR,
        set: { currentJobId: job.jobId, instrumentId: slot.instrument.id, attempts: experiment.attempts + 1, deadline },
      });
      outbox.push({
        topic: this.topics.jobs(slot.instrument.id),
        payload: encodeJobDispatch({
          jobId: job.jobId,
          experimentId: id,
          campaignId: experiment.campaignId,
          composition: experiment.composition,
          stages: REQUIRED_STAGES as ('synthesis' | 'mechanical_test')[],
          // protocol 1.2: only when there are process values, so a 1.0 instrument sees the 1.0 message
          ...(experiment.process && Object.keys(experiment.process).length > 0 ? { process: experiment.process } : {}),
          issuedAt: now.toISOString(),
          deadline: deadline.toISOString(),
        }),
      });
      sent++;
    }
    if (sent > 0) this.log.log(`dispatched ${sent} experiment(s)`);
  }

  private async freeSlots(m: Tx): Promise<Slot[]> {
    const instruments = await this.instruments.available(m);
    if (instruments.length === 0) return [];
    const busy = await this.rows.openJobCounts(m);
    // Full ones stay in the list (free 0): pick needs to know they exist.
    return instruments
      .map((instrument) => ({ instrument, free: instrument.capabilities.maxConcurrentJobs - (busy.get(instrument.id) ?? 0) }))
      .filter((s) => REQUIRED_STAGES.every((stage) => s.instrument.capabilities.stages.includes(stage)));
  }

  /**
   * The eligible instrument (stocked with the elements; able to make the process, when it says what
   * it can make) with the most free capacity, preferring ones that have not given up on it. One that rejected the experiment (e.g. a process value it cannot make) is not asked again
   * while another eligible instrument that has not rejected it is online, even a full one: the
   * experiment waits for it.
   */
  private pick(slots: Slot[], elements: string[], process: ProcessValues | null, gaveUp: { rejected: Set<string>; failed: Set<string> }): Slot | undefined {
    // Stocked with the elements, and able to make the process where the instrument says what it can make (protocol 1.3).
    const stocked = slots.filter(
      (s) => elements.every((el) => s.instrument.capabilities.elements.includes(el)) && processRejection(process, s.instrument.capabilities.process) === null,
    );
    const willing = stocked.filter((s) => !gaveUp.rejected.has(s.instrument.id));
    const avoid = (s: Slot) => Number(gaveUp.rejected.has(s.instrument.id) || gaveUp.failed.has(s.instrument.id));
    const eligible = (willing.length > 0 ? willing : stocked).filter((s) => s.free > 0);
    eligible.sort((a, b) => avoid(a) - avoid(b) || b.free - a.free || a.instrument.id.localeCompare(b.instrument.id));
    return eligible[0];
  }

  /** Ask an instrument to drop a job (experiment cancelled). */
  async cancelJob(instrumentId: string, jobId: string): Promise<void> {
    await this.mqtt.publish(this.topics.jobs(instrumentId), encodeJobCancel(jobId));
  }
}
