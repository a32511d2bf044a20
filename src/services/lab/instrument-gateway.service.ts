import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationShutdown } from '@nestjs/common';
import type { MqttConnection } from '../../../adapters/mqtt/mqtt-connection.js';
import {
  decodeInstrumentMessage, InstrumentTopics, type InstrumentEvent, type ResultMessage, type StatusMessage,
} from '../../../adapters/mqtt/protocol.js';
import type { AppConfig } from '../../config/config.js';
import { CampaignEvents } from '../campaigns/campaign-events.js';
import { isDatabaseUnavailable } from '../../common/database-unavailable.filter.js';
import type { InstrumentJobEntity } from '../../repositories/entities/experiment.entity.js';
import { ExperimentsService } from '../campaigns/experiments.service.js';
import { Database } from '../../repositories/database.js';
import { ExperimentRepository } from '../../repositories/experiment.repository.js';
import { InstrumentRepository } from '../../repositories/instrument.repository.js';
import { MeasurementRepository } from '../../repositories/measurement.repository.js';
import { APP_CONFIG, MQTT } from '../tokens.js';
import { DispatcherService } from './dispatcher.service.js';
import { IngestService } from './ingest.service.js';
import { RejectedStore } from './lab-messages.service.js';

/** Results stored per transaction. */
const RESULT_BATCH = 250;
/** Batches in flight at once (each its own transaction; experiment rows are locked in id order). */
const PARALLEL_FLUSHES = 2;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** While PostgreSQL is unreachable, handling is retried after this wait, doubling up to the cap. */
const DB_RETRY_FIRST_MS = 250;
const DB_RETRY_MAX_MS = 2000;
/** A shutdown waits this long for messages held during a database outage before giving up on them. */
const SHUTDOWN_DRAIN_MS = 30_000;

export type HandleOutcome = { ok: true; detail: string } | { ok: false; reason: string };

export interface HandleOptions {
  /** Record a failure in the rejected store (default true; a replay keeps its own row instead). */
  record?: boolean;
  /**
   * Called once the message's target is known and before anything is written: the campaign of the
   * job it names (null for a status, which is lab-wide) and the instrument it speaks for. Throws to
   * refuse (a REST replay authorises what it writes here, not what the stored message named).
   */
  authorize?: (target: { campaignId: string | null; instrumentId: string }) => void;
}

/**
 * The service side of the instrument protocol: status (registry), events (experiment states),
 * results (measurements). Messages of one instrument are handled in arrival order; anything that
 * fails validation or names an unknown job goes to the rejected store with its reason.
 */
@Injectable()
export class InstrumentGatewayService implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly log = new Logger('Instruments');
  private readonly topics: InstrumentTopics;
  private readonly chains = new Map<string, Promise<unknown>>();
  private detach: (() => void) | null = null;
  private readonly resultBuffer: { topic: string; payload: Buffer }[] = [];
  private flushTimer: NodeJS.Immediate | null = null;
  private readonly flushes = new Set<Promise<void>>();
  private databaseDown = false;
  counters = { received: 0, stored: 0, duplicates: 0, rejected: 0 };

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(ExperimentRepository) private readonly rows: ExperimentRepository,
    @Inject(InstrumentRepository) private readonly instruments: InstrumentRepository,
    @Inject(MeasurementRepository) private readonly measurements: MeasurementRepository,
    @Inject(MQTT) private readonly mqtt: MqttConnection,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ExperimentsService) private readonly experiments: ExperimentsService,
    @Inject(DispatcherService) private readonly dispatcher: DispatcherService,
    @Inject(IngestService) private readonly ingest: IngestService,
    @Inject(RejectedStore) private readonly rejected: RejectedStore,
    @Inject(CampaignEvents) private readonly events: CampaignEvents,
  ) {
    this.topics = new InstrumentTopics(config.mqtt.topicPrefix);
  }

  async start(): Promise<void> {
    // Instrument state from before this start is not trusted (a broker without credentials may have
    // taken anyone's announcement): every instrument is offline until it announces itself again.
    // Retained statuses come back with the subscription below (the broker resends them on SUBSCRIBE);
    // their times are kept, so an instrument's own retained status is not taken for an older one.
    const n = await this.instruments.markAllOffline();
    if (n > 0) this.log.log(`${n} instrument(s) marked offline until they announce themselves again`);
    this.detach = this.mqtt.onMessage((topic, payload) => this.enqueue(topic, payload));
    // Replicas on an MQTT 5 broker share instrument traffic, so each result is handled by one of them.
    const shareGroup = this.config.mqtt.mode === 'server' && this.mqtt.protocolVersion === 5 ? this.config.mqtt.shareGroup || undefined : undefined;
    await this.mqtt.subscribe([
      this.topics.filter('status'), // retained status must reach every replica: not shared
      this.topics.filter('events', { shareGroup }),
      this.topics.filter('results', { shareGroup }),
    ]);
    this.log.log(`subscribed to ${this.config.mqtt.topicPrefix}/instruments/+/{status,events,results}${shareGroup ? ` (shared group ${shareGroup})` : ''}`);
  }

  /**
   * Stop taking messages first (the broker keeps what comes next for our persistent session), then
   * finish storing what was already taken: nothing acknowledged is left unstored at a shutdown.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.detach) await this.mqtt.close();
    const drained = await Promise.race([this.drained().then(() => true), new Promise<false>((r) => setTimeout(() => r(false), SHUTDOWN_DRAIN_MS).unref())]);
    if (!drained) this.log.error(`shutting down with ${this.resultBuffer.length + this.flushes.size * RESULT_BATCH} result(s) not stored: the database stayed unreachable`);
  }

  /**
   * Messages taken from the broker while PostgreSQL is unreachable are acknowledged already, so
   * they are held and handled again (in order) until the database answers, never dropped.
   */
  private async whileDatabaseDown<T>(work: () => Promise<T>): Promise<T> {
    for (let wait = DB_RETRY_FIRST_MS; ; wait = Math.min(DB_RETRY_MAX_MS, wait * 2)) {
      try {
        return await work();
      } catch (error) {
        if (!isDatabaseUnavailable(error)) throw error;
        if (!this.databaseDown) {
          this.databaseDown = true;
          this.log.warn(`database unreachable (${(error as Error).message}): holding instrument messages until it is back`);
        }
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  onApplicationShutdown(): void {
    this.detach?.();
  }

  /** Resolves when every message received so far has been handled (tests, shutdown). */
  async drained(): Promise<void> {
    while (this.chains.size > 0 || this.resultBuffer.length > 0 || this.flushes.size > 0 || this.flushTimer) {
      await Promise.all([...this.chains.values(), ...this.flushes]);
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Deadlocks and serialization failures are transient: try the transaction again. */
  private async withRetries<T>(work: () => Promise<T>, attempts = 4): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await work();
      } catch (error) {
        const code = (error as { driverError?: { code?: string }; code?: string }).driverError?.code ?? (error as { code?: string }).code;
        if (i >= attempts || (code !== '40P01' && code !== '40001')) throw error;
        await new Promise((r) => setTimeout(r, 10 * i));
      }
    }
  }

  private scheduleFlush(): void {
    if (this.flushes.size >= PARALLEL_FLUSHES || this.flushTimer) return;
    // Flush after the current burst of socket reads, so a batch holds what has arrived meanwhile.
    this.flushTimer = setImmediate(() => {
      this.flushTimer = null;
      const batch = this.resultBuffer.splice(0, RESULT_BATCH);
      if (batch.length === 0) return;
      const flush: Promise<void> = this.whileDatabaseDown(() => this.handleResultBatch(batch))
        .then(() => this.databaseBack())
        .catch((error) => this.log.error(`result batch failed: ${(error as Error).stack}`))
        .finally(() => {
          this.flushes.delete(flush);
          if (this.resultBuffer.length > 0) this.scheduleFlush();
        });
      this.flushes.add(flush);
      if (this.resultBuffer.length > 0) this.scheduleFlush();
    });
  }

  /** Decode, check the jobs in one query, store the batch; bad ones go to the rejected store. */
  private async handleResultBatch(batch: { topic: string; payload: Buffer }[]): Promise<void> {
    const decoded: { topic: string; payload: Buffer; instrumentId: string; msg: ResultMessage }[] = [];
    for (const { topic, payload } of batch) {
      const d = decodeInstrumentMessage(this.topics, topic, payload);
      if (!d.ok) await this.reject(true, topic, payload, d.reason, d.instrumentId);
      else if (d.message.channel === 'results') decoded.push({ topic, payload, instrumentId: d.message.instrumentId, msg: d.message.message });
    }
    const ids = [...new Set(decoded.map((d) => d.msg.jobId).filter((id) => UUID.test(id)))];
    const jobs = await this.rows.findJobs(ids);
    const byId = new Map(jobs.map((j) => [j.jobId, j]));
    const valid: { instrumentId: string; job: InstrumentJobEntity; msg: ResultMessage }[] = [];
    const firstInBatch = new Map<string, string>(); // job id -> the measurementId of its first result in this batch
    for (const d of decoded) {
      const owned = ownership(d.msg.jobId, byId.get(d.msg.jobId), d.instrumentId);
      if ('reason' in owned) await this.reject(true, d.topic, d.payload, owned.reason, d.instrumentId, owned.campaignId);
      else {
        const { job } = owned;
        const earlier = firstInBatch.get(job.jobId);
        const second = earlier !== undefined && earlier !== d.msg.measurementId ? secondResult(job.jobId, earlier, d.msg.measurementId) : await this.secondResultProblem(job, d.msg);
        if (second) await this.reject(true, d.topic, d.payload, second, d.instrumentId, job.campaignId);
        else {
          firstInBatch.set(job.jobId, earlier ?? d.msg.measurementId);
          valid.push({ instrumentId: d.instrumentId, job, msg: d.msg });
        }
      }
    }
    let stored: boolean[];
    try {
      stored = await this.withRetries(() => this.ingest.ingestInstrumentBatch(valid));
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error; // the whole batch waits for the database
      // Never drop what the broker delivered: one by one, and what still fails is kept for replay.
      this.log.error(`result batch of ${valid.length} failed (${(error as Error).message}); storing one by one`);
      for (const v of valid) {
        const topic = this.topics.results(v.instrumentId);
        const payload = Buffer.from(JSON.stringify(v.msg));
        await this.handle(topic, payload).catch((e: Error) => {
          if (isDatabaseUnavailable(e)) throw e;
          return this.reject(true, topic, payload, `internal error while storing: ${e.message}`, v.instrumentId, v.job.campaignId);
        });
      }
      return;
    }
    const duplicates: { instrumentId: string; job: InstrumentJobEntity; msg: ResultMessage }[] = [];
    stored.forEach((ok, i) => {
      if (ok) {
        this.counters.stored++;
      } else {
        this.counters.duplicates++;
        duplicates.push(valid[i]);
      }
    });
    for (const d of duplicates) {
      const conflict = await this.conflictingDuplicate(d.instrumentId, d.msg);
      if (conflict) await this.reject(true, this.topics.results(d.instrumentId), Buffer.from(JSON.stringify(d.msg)), conflict, d.instrumentId, d.job.campaignId);
    }
    if (stored.some(Boolean)) this.dispatcher.request();
  }

  private enqueue(topic: string, payload: Buffer): void {
    this.counters.received++;
    if (topic.endsWith('/results')) {
      // Results are the bulk of the traffic: they go in batches, one transaction each.
      this.resultBuffer.push({ topic, payload });
      this.scheduleFlush();
      return;
    }
    const key = topic.split('/').slice(-2, -1)[0] ?? topic;
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => this.whileDatabaseDown(() => this.handle(topic, payload)))
      .then(() => this.databaseBack())
      .catch((error) => this.log.error(`handling ${topic} failed: ${(error as Error).stack}`))
      .finally(() => {
        if (this.chains.get(key) === next) this.chains.delete(key);
      });
    this.chains.set(key, next);
  }

  private databaseBack(): void {
    if (!this.databaseDown) return;
    this.databaseDown = false;
    this.log.log('database reachable again: held instrument messages are being stored');
  }

  /** Handle one message (also used to replay a rejected message after a fix). */
  async handle(topic: string, payload: Buffer, options: HandleOptions = {}): Promise<HandleOutcome> {
    const record = options.record ?? true;
    const authorize = options.authorize ?? (() => undefined);
    const decoded = decodeInstrumentMessage(this.topics, topic, payload);
    if (!decoded.ok) return this.reject(record, topic, payload, decoded.reason, decoded.instrumentId);
    const { channel, instrumentId, message } = decoded.message;
    switch (channel) {
      case 'status':
        authorize({ campaignId: null, instrumentId });
        return this.onStatus(instrumentId, message);
      case 'events':
      case 'results': {
        const owned = await this.ownedJob(record, topic, payload, instrumentId, message.jobId, authorize);
        if ('outcome' in owned) return owned.outcome;
        return channel === 'events'
          ? this.onEvent(instrumentId, message, owned.job)
          : this.onResult(record, topic, payload, instrumentId, message, owned.job);
      }
      case 'jobs':
        return { ok: true, detail: 'jobs topic is the service\'s own output' };
    }
  }

  private async reject(record: boolean, topic: string, payload: Buffer, reason: string, instrumentId?: string, campaignId?: string | null): Promise<HandleOutcome> {
    if (!record) return { ok: false, reason };
    this.counters.rejected++;
    await this.rejected.record({ channel: 'mqtt', topic, instrumentId: instrumentId ?? null, campaignId: campaignId ?? null, payload, reason });
    return { ok: false, reason };
  }

  private async onStatus(instrumentId: string, msg: StatusMessage): Promise<HandleOutcome> {
    const existing = await this.instruments.findById(instrumentId);
    const at = new Date(msg.at);
    // A last will carries the time of the connection it guards, so it is always "older": trust
    // arrival order for offline, timestamps for the rest (a retained status replayed late).
    if (msg.state !== 'offline' && existing?.statusAt && existing.statusAt > at) return { ok: true, detail: 'older than the status we have' };
    await this.instruments.save({
      id: instrumentId,
      state: msg.state,
      capabilities: msg.capabilities ?? existing?.capabilities ?? { stages: [], elements: [], maxConcurrentJobs: 0 },
      statusAt: at,
      lastSeenAt: new Date(),
      lastStatus: msg,
    });
    if (existing?.state !== msg.state) {
      this.log.log(`instrument ${instrumentId}: ${existing?.state ?? 'new'} -> ${msg.state}`);
      this.events.emit({ type: 'instrument.state', campaignId: null, instrumentId, state: msg.state, at: new Date().toISOString() });
    }
    if (msg.state === 'offline' || msg.state === 'error') {
      // Its jobs are not forgotten: they time out after the grace period and are re-dispatched.
      const grace = new Date(Date.now() + this.config.lab.offlineGraceMs);
      await this.rows.cutDeadlines(instrumentId, grace);
    } else {
      await this.restoreDeadlines(instrumentId);
    }
    this.dispatcher.request();
    return { ok: true, detail: `status ${msg.state}` };
  }

  /**
   * One job, one result: a completed job takes no result with another measurementId (it was stored
   * as a second measurement before); the same measurementId again is a retransmission, handled as a
   * duplicate. Completed jobs are few in the result stream, so this costs a query only for them.
   */
  private async secondResultProblem(job: InstrumentJobEntity, msg: ResultMessage): Promise<string | null> {
    if (job.status !== 'completed') return null;
    // a retransmission (the common case) is found by the unique (instrument, measurementId) index
    if (await this.measurements.hasExternalId(job.instrumentId, msg.measurementId)) return null;
    const stored = await this.measurements.firstExternalIdOfJob(job.jobId, job.instrumentId);
    return stored ? secondResult(job.jobId, stored, msg.measurementId) : null;
  }

  /**
   * A result whose measurementId is stored already is a retransmission when its job and measured
   * values are the same (silently a no-op; the time it carries may differ); with other values it is a conflict, kept in the rejected store with the
   * reason (the first stays; before, the second was dropped without a trace).
   */
  private async conflictingDuplicate(instrumentId: string, msg: ResultMessage): Promise<string | null> {
    const first = await this.measurements.firstByExternalId(instrumentId, msg.measurementId);
    if (!first) return null;
    const num = (v: string | null) => (v === null ? null : Number(v));
    const same =
      first.job_id === msg.jobId && first.phase === msg.phase && num(first.yield_strength_mpa) === msg.yieldStrengthMPa && num(first.elongation_pct) === msg.elongationPct &&
      Object.keys({ ...first.composition, ...msg.composition }).every((el) => first.composition[el] === msg.composition[el]);
    return same ? null : `measurementId ${msg.measurementId} of ${instrumentId} is stored already (measurement ${first.id}) with other values; this copy was not stored`;
  }

  /**
   * An instrument that is back (online, busy, or reporting on a job) gets its open jobs' original
   * deadlines back: the grace cut of an offline spell is lifted, so a one-second blip does not
   * cancel a six-hour synthesis. The original is the experiment's deadline, set with the job's at
   * dispatch (and moved with it after a database outage); only the grace cut touches the job's.
   */
  private async restoreDeadlines(instrumentId: string): Promise<void> {
    const n = await this.rows.restoreDeadlines(instrumentId);
    if (n > 0) this.log.log(`instrument ${instrumentId} is back: ${n} open job deadline(s) restored`);
  }

  private async findJob(jobId: string): Promise<InstrumentJobEntity | null> {
    if (!UUID.test(jobId)) return null;
    return this.rows.findJob(jobId);
  }

  /** The job a message names, when it exists and was dispatched to the sender (then the sender is authorised for its campaign); else the rejection. */
  private async ownedJob(
    record: boolean, topic: string, payload: Buffer, instrumentId: string, jobId: string, authorize: NonNullable<HandleOptions['authorize']>,
  ): Promise<{ job: InstrumentJobEntity } | { outcome: HandleOutcome }> {
    const owned = ownership(jobId, await this.findJob(jobId), instrumentId);
    if ('reason' in owned) return { outcome: await this.reject(record, topic, payload, owned.reason, instrumentId, owned.campaignId) };
    authorize({ campaignId: owned.job.campaignId, instrumentId });
    return owned;
  }

  /** An event on a job the sender owns (checked by ownedJob). */
  private async onEvent(instrumentId: string, msg: InstrumentEvent, job: InstrumentJobEntity): Promise<HandleOutcome> {
    let detail = msg.type;
    let capacityFreed = false;
    await this.db.transaction(async (m) => {
      // Lock order everywhere: experiment first, then its jobs (else the result batches deadlock with us).
      const experiment = await this.experiments.lock(m, job.experimentId);
      await this.rows.updateJob(m, job.jobId, { lastEvent: msg as unknown as Record<string, unknown>, lastEventAt: new Date(msg.at) });
      const current = experiment.currentJobId === job.jobId;
      const finishJob = (status: string) => this.rows.finishJobs(m, [job.jobId], status, ['completed']);
      switch (msg.type) {
        case 'job.accepted':
          await this.rows.advanceJob(m, job.jobId, ['dispatched'], 'accepted');
          if (current && experiment.status === 'dispatched') {
            await this.experiments.transition(m, experiment, 'accepted', { cause: `accepted by ${instrumentId}`, actor: instrumentId });
          }
          break;
        case 'job.started':
        case 'job.progress':
          // Conditional in SQL: the job row may have moved on (a result batch completed it) since we read it.
          await this.rows.advanceJob(m, job.jobId, ['dispatched', 'accepted'], 'running');
          if (current && (experiment.status === 'dispatched' || experiment.status === 'accepted')) {
            await this.experiments.transition(m, experiment, 'running', { cause: `${msg.stage} started on ${instrumentId}`, actor: instrumentId });
          }
          break;
        case 'job.rejected':
          await finishJob('rejected');
          capacityFreed = true;
          if (current && !['measured'].includes(experiment.status)) {
            await this.dispatcher.retryOrGiveUp(m, experiment, `rejected by ${instrumentId}: ${msg.reason}`, 'failed');
          }
          break;
        case 'job.failed':
          await finishJob('failed');
          capacityFreed = true;
          if (current && experiment.status !== 'measured') {
            if (msg.retryable) await this.dispatcher.retryOrGiveUp(m, experiment, `${msg.stage} failed on ${instrumentId}: ${msg.reason}`, 'failed');
            else {
              await this.experiments.transition(m, experiment, 'failed', {
                cause: `${msg.stage} failed on ${instrumentId}: ${msg.reason} (not retryable)`,
                actor: instrumentId,
                set: { currentJobId: null, deadline: null },
              });
            }
          }
          break;
      }
      if (!current) detail += ' (for an earlier dispatch; recorded on the job only)';
    });
    if (capacityFreed) {
      this.dispatcher.request();
    } else if (msg.type === 'job.accepted' || msg.type === 'job.started' || msg.type === 'job.progress') {
      await this.restoreDeadlines(instrumentId); // it is working, whatever its last status said
    }
    return { ok: true, detail };
  }

  /** A result for a job the sender owns (checked by ownedJob). */
  private async onResult(
    record: boolean, topic: string, payload: Buffer, instrumentId: string, msg: ResultMessage, job: InstrumentJobEntity,
  ): Promise<HandleOutcome> {
    const second = await this.secondResultProblem(job, msg);
    if (second) return this.reject(record, topic, payload, second, instrumentId, job.campaignId);
    const experiment = await this.rows.findById(job.experimentId);
    if (!experiment) throw new Error(`experiment ${job.experimentId} of job ${job.jobId} is gone`);
    const outcome = await this.ingest.ingest(this.ingest.fromInstrument(instrumentId, job, experiment, msg));
    if (!outcome.stored) {
      this.counters.duplicates++;
      const conflict = await this.conflictingDuplicate(instrumentId, msg);
      if (conflict) return this.reject(record, topic, payload, conflict, instrumentId, job.campaignId);
      return { ok: true, detail: `duplicate of measurement ${outcome.duplicateOf}` };
    }
    this.counters.stored++;
    this.dispatcher.request();
    return { ok: true, detail: `stored measurement ${outcome.measurement.id}${outcome.flags.length ? ` (${outcome.flags.join(', ')})` : ''}` };
  }
}

/**
 * Only the instrument a job was dispatched to may report on it: the job when the sender owns it,
 * else why not (with the campaign, when the job exists, for the rejected-message store).
 */
function ownership(
  jobId: string, job: InstrumentJobEntity | null | undefined, instrumentId: string,
): { job: InstrumentJobEntity } | { reason: string; campaignId: string | null } {
  if (!job) return { reason: `unknown job ${jobId}`, campaignId: null };
  if (job.instrumentId !== instrumentId) return { reason: `job ${jobId} was dispatched to ${job.instrumentId}, not ${instrumentId}`, campaignId: job.campaignId };
  return { job };
}

function secondResult(jobId: string, first: string, second: string): string {
  return `job ${jobId} has its result already (measurementId ${first}); a second result (measurementId ${second}) is not stored`;
}
