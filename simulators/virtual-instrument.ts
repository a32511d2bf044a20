/**
 * One virtual instrument: its own MQTT client speaking instrument protocol v1 exactly as a
 * vendor's station would (retained status with capabilities, last will, job events, results),
 * with stage durations scaled from real-time hours and the faults a real lab has.
 *
 * Every random decision about a job (faults, deviations of the composition as made) comes from
 * a stream seeded by (seed, instrument, jobId), so a run is reproducible job by job even when
 * jobs interleave differently.
 */
import { MqttConnection } from '../adapters/mqtt/mqtt-connection.js';
import {
  decodeJobMessage,
  encodeEvent,
  encodeResult,
  encodeStatus,
  InstrumentTopics,
  peekJobId,
  STAGES,
  utcNow,
  type Capabilities,
  type InstrumentEvent,
  type InstrumentState,
  type JobDispatch,
  type ResultMessage,
  type Stage,
} from '../adapters/mqtt/protocol.js';
import type { Composition } from '../src/core/chemistry/types.js';
import { Random } from '../src/core/util/random.js';
import { processRejection, type ProcessSupport } from '../src/core/domain/process.js';
import { DEMO_DESIGN_SPACE, type Oracle } from './oracle.js';

/** Probabilities per job (failure, offline) or per result (duplicate, late), in [0, 1]. */
export interface InstrumentFaults {
  /** A stage fails with a retryable reason (`crucible cracked`). */
  retryableFailure?: number;
  /** The instrument drops off the network mid-job without a clean disconnect. */
  offlineMidJob?: number;
  /** The result message is published twice (same measurementId). */
  duplicateResult?: number;
  /** The result message goes out `lateResultDelayMs` after the measurement. */
  lateResult?: number;
}

export type InstrumentLogKind =
  | 'online'
  | 'offline'
  | 'went_offline'
  | 'invalid_message'
  | 'duplicate_dispatch'
  | 'accepted'
  | 'rejected'
  | 'started'
  | 'progress'
  | 'failed'
  | 'cancelled'
  | 'result'
  | 'duplicate_result'
  | 'late_result';

export interface InstrumentLogEntry {
  instrumentId: string;
  kind: InstrumentLogKind;
  jobId?: string;
  detail?: string;
}

export interface VirtualInstrumentOptions {
  url: string;
  instrumentId: string;
  oracle: Oracle;
  seed?: number;
  prefix?: string;
  /** Default: both stages. */
  stages?: Stage[];
  /** Stocked elements. Default: the demo design space's elements. */
  elements?: string[];
  maxConcurrentJobs?: number;
  /** Real time divided by this: 1000 turns a 4 h synthesis into 14.4 s. Default 1. */
  speed?: number;
  /** Real-time duration of each stage in hours. */
  stageHours?: Partial<Record<Stage, number>>;
  /** Progress events per stage (the last one is fraction 1). Default 4. */
  progressSteps?: number;
  faults?: InstrumentFaults;
  /** Delay of a late result. Default: the duration of one full job. */
  lateResultDelayMs?: number;
  /** After going offline mid-job, reconnect after this long; null stays offline. Default: one full job. */
  offlineForMs?: number | null;
  /** Default `aimd-instrument-{instrumentId}`: stable, so the broker keeps the session. */
  clientId?: string;
  username?: string;
  password?: string;
  protocolVersion?: 4 | 5;
  /** MQTT 5 session expiry; default one hour. */
  sessionExpirySeconds?: number;
  log?: (entry: InstrumentLogEntry) => void;
  /**
   * The process values it can make. Left out: any value a dispatch names. Given: per variable,
   * the categorical values or the numeric range it can make; a dispatch naming another variable,
   * value or a number outside the range is rejected with the reason. Protocol 1.3 states it in
   * the capabilities, so the service routes such jobs to another instrument instead.
   */
  processSupport?: ProcessSupport;
  /**
   * The protocol minor version it speaks. '1.0': a station built to the 1.0 page, whose strict
   * decoder refuses a dispatch with a `process` field (unknown field, rejected with that reason)
   * and whose results report no process. Default '1.2': it makes and reports the process. '1.3':
   * also states its processSupport in its capabilities.
   */
  protocol?: '1.0' | '1.2' | '1.3';
}


const DEFAULT_STAGE_HOURS: Record<Stage, number> = { synthesis: 4, mechanical_test: 2 };

const FAILURE_REASONS: Record<Stage, string> = {
  synthesis: 'crucible cracked',
  mechanical_test: 'specimen slipped in the grips',
};

interface RunningJob {
  jobId: string;
  cancelled: boolean;
}

export class VirtualInstrument {
  readonly id: string;
  private readonly topics: InstrumentTopics;
  private readonly capabilities: Capabilities;
  private readonly seed: number;
  private readonly speed: number;
  private readonly stageMs: Record<Stage, number>;
  private connection: MqttConnection | null = null;
  /** Bumped whenever the instrument goes away: job loops of an older epoch stop silently. */
  private epoch = 0;
  private readonly running = new Map<string, RunningJob>();
  /** Every jobId ever seen: a redelivered dispatch (QoS 1) is a no-op. */
  private readonly seenJobs = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private measurementCount = 0;
  private stopped = false;
  private state: InstrumentState = 'offline';

  private readonly runId = Date.now().toString(36);

  constructor(private readonly options: VirtualInstrumentOptions) {
    this.topics = new InstrumentTopics(options.prefix);
    this.id = options.instrumentId;
    this.topics.status(this.id); // validates the id early
    this.seed = options.seed ?? 1;
    this.speed = options.speed ?? 1;
    if (!(this.speed > 0)) throw new Error(`speed must be > 0, got ${this.speed}`);
    const hours = { ...DEFAULT_STAGE_HOURS, ...options.stageHours };
    this.stageMs = {
      synthesis: (hours.synthesis * 3_600_000) / this.speed,
      mechanical_test: (hours.mechanical_test * 3_600_000) / this.speed,
    };
    this.capabilities = {
      stages: options.stages ?? [...STAGES],
      elements: options.elements ?? [...DEMO_DESIGN_SPACE.elements],
      maxConcurrentJobs: options.maxConcurrentJobs ?? 1,
      // protocol 1.3: says what it can make, so the service sends it only jobs it can make
      ...(options.protocol === '1.3' && options.processSupport ? { process: options.processSupport } : {}),
    };
  }

  get activeJobs(): number {
    return this.running.size;
  }

  get connected(): boolean {
    return this.connection?.connected ?? false;
  }

  /** Connects, publishes the retained online status and listens for jobs. */
  async start(): Promise<void> {
    this.stopped = false;
    const connection = await MqttConnection.connect({
      url: this.options.url,
      clientId: this.options.clientId ?? `aimd-instrument-${this.id}`,
      username: this.options.username,
      password: this.options.password,
      protocolVersion: this.options.protocolVersion,
      sessionExpirySeconds: this.options.sessionExpirySeconds ?? 3600,
      will: { topic: this.topics.status(this.id), payload: this.statusPayload('offline'), retain: true },
      onMessage: (topic, payload) => this.onMessage(topic, payload),
    });
    this.connection = connection;
    await connection.subscribe(this.topics.jobs(this.id));
    await this.publishStatus();
    this.log('online', undefined, `capabilities ${JSON.stringify(this.capabilities)}`);
  }

  /** Clean shutdown: retained offline status, then DISCONNECT (so the will is not needed). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abandonJobs();
    const connection = this.connection;
    this.connection = null;
    if (!connection) return;
    this.state = 'offline';
    if (connection.connected) {
      await connection.publish(this.topics.status(this.id), this.statusPayload('offline'), { retain: true }).catch(() => {});
    }
    await connection.close();
    this.log('offline', undefined, 'stopped');
  }

  /**
   * Drops off the network as a crash would (no DISCONNECT; the broker publishes the will) and
   * forgets the jobs in flight. Comes back after `backAfterMs` unless null.
   */
  async goOffline(backAfterMs: number | null = null): Promise<void> {
    const connection = this.connection;
    this.connection = null;
    this.abandonJobs();
    this.state = 'offline';
    await connection?.drop();
    this.log('went_offline', undefined, backAfterMs === null ? 'staying offline' : `back in ${backAfterMs} ms`);
    if (backAfterMs !== null) {
      this.later(backAfterMs, () => {
        if (this.stopped) return;
        this.start().catch((error: Error) => this.log('offline', undefined, `reconnect failed: ${error.message}`));
      });
    }
  }

  // ------------------------------------------------------------------------------------------

  private onMessage(topic: string, payload: Buffer): void {
    if (topic !== this.topics.jobs(this.id)) return;
    const decoded = decodeJobMessage(payload);
    if (!decoded.ok) {
      this.log('invalid_message', undefined, decoded.reason);
      // If the service named a job, tell it why the job will not run.
      const jobId = peekJobId(payload);
      if (jobId) void this.publishEvent({ type: 'job.rejected', jobId, reason: decoded.reason, at: utcNow() }, this.epoch);
      return;
    }
    const message = decoded.message;
    if (message.type === 'job.dispatch' && message.process !== undefined && this.options.protocol === '1.0') {
      // What the 1.0 page's strict schema says of a field it does not know.
      const reason = 'job.dispatch: unknown field "process"';
      this.log('invalid_message', message.jobId, reason);
      void this.publishEvent({ type: 'job.rejected', jobId: message.jobId, reason, at: utcNow() }, this.epoch);
      return;
    }
    if (message.type === 'job.cancel') {
      const job = this.running.get(message.jobId);
      if (job) {
        job.cancelled = true;
        this.finishJob(job.jobId);
        this.log('cancelled', job.jobId);
      }
      return;
    }
    if (this.seenJobs.has(message.jobId)) {
      this.log('duplicate_dispatch', message.jobId);
      return;
    }
    this.seenJobs.add(message.jobId);
    void this.runJob(message).catch((error: Error) => this.log('failed', message.jobId, `simulator error: ${error.message}`));
  }

  private rejection(job: JobDispatch): string | null {
    const missingStage = job.stages.find((s) => !this.capabilities.stages.includes(s));
    if (missingStage) return `stage ${missingStage} not offered`;
    const missing = Object.keys(job.composition).filter((el) => job.composition[el] > 0 && !this.capabilities.elements.includes(el));
    if (missing.length > 0) return `element${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not stocked`;
    const process = processRejection(job.process, this.options.processSupport);
    if (process) return process;
    if (Date.parse(job.deadline) <= Date.now()) return `deadline ${job.deadline} has passed`;
    if (this.running.size >= this.capabilities.maxConcurrentJobs) {
      return `no free capacity (${this.running.size}/${this.capabilities.maxConcurrentJobs} jobs running)`;
    }
    return null;
  }

  private async runJob(dispatch: JobDispatch): Promise<void> {
    const epoch = this.epoch;
    const { jobId } = dispatch;
    const reason = this.rejection(dispatch);
    if (reason) {
      await this.publishEvent({ type: 'job.rejected', jobId, reason, at: utcNow() }, epoch);
      this.log('rejected', jobId, reason);
      return;
    }
    const job: RunningJob = { jobId, cancelled: false };
    this.running.set(jobId, job);
    const alive = () => this.epoch === epoch && !job.cancelled;

    // All of this job's chance, drawn up front in a fixed order.
    const rng = new Random(`${this.seed}|${this.id}|${jobId}`);
    const faults = this.options.faults ?? {};
    const fails = rng.next() < (faults.retryableFailure ?? 0);
    const dropsOff = rng.next() < (faults.offlineMidJob ?? 0);
    const duplicate = rng.next() < (faults.duplicateResult ?? 0);
    const late = rng.next() < (faults.lateResult ?? 0);
    const stages = STAGES.filter((s) => dispatch.stages.includes(s));
    const steps = Math.max(1, this.options.progressSteps ?? 4);
    const incidentStage = stages[rng.int(stages.length)];
    const incidentStep = 1 + rng.int(steps); // the incident happens before this progress step

    await this.publishEvent({ type: 'job.accepted', jobId, at: utcNow() }, epoch);
    this.log('accepted', jobId);
    await this.publishStatus();

    for (const stage of stages) {
      if (!alive()) return;
      await this.publishEvent({ type: 'job.started', jobId, stage, at: utcNow() }, epoch);
      this.log('started', jobId, stage);
      for (let step = 1; step <= steps; step++) {
        await this.sleep(this.stageMs[stage] / steps);
        if (!alive()) return;
        if (stage === incidentStage && step === incidentStep) {
          if (dropsOff) {
            await this.goOffline(this.options.offlineForMs === undefined ? this.jobMs(stages) : this.options.offlineForMs);
            return;
          }
          if (fails) {
            const failure = FAILURE_REASONS[stage];
            await this.publishEvent({ type: 'job.failed', jobId, stage, reason: failure, retryable: true, at: utcNow() }, epoch);
            this.log('failed', jobId, `${stage}: ${failure}`);
            this.finishJob(jobId);
            return;
          }
        }
        const fraction = step / steps;
        await this.publishEvent({ type: 'job.progress', jobId, stage, fraction, at: utcNow() }, epoch);
        this.log('progress', jobId, `${stage} ${Math.round(fraction * 100)}%`);
      }
    }
    if (!alive()) return;

    const asMade = compositionAsMade(dispatch.composition, rng);
    const replicate = this.measurementCount++;
    const measured = this.options.oracle.measure(asMade, replicate, dispatch.process);
    const result: ResultMessage = {
      jobId,
      // The run id keeps ids unique across restarts of the simulator (they are unique per instrument).
      measurementId: `${this.id}-${this.runId}-${String(replicate + 1).padStart(6, '0')}`,
      composition: asMade,
      phase: measured.phase,
      yieldStrengthMPa: measured.yieldStrengthMPa,
      elongationPct: measured.elongationPct,
      ...(measured.properties && Object.keys(measured.properties).length ? { properties: measured.properties } : {}),
      // protocol 1.2: the process used (it honours the dispatch's, or rejected the job above)
      ...(dispatch.process && this.options.protocol !== '1.0' ? { process: dispatch.process } : {}),
      measuredAt: utcNow(),
      raw: {
        simulator: 'aimd-virtual-lab',
        instrumentId: this.id,
        dispatchedComposition: dispatch.composition,
        stages,
        speed: this.speed,
        replicate,
      },
    };
    this.finishJob(jobId);
    if (late) {
      const delay = this.options.lateResultDelayMs ?? this.jobMs(stages);
      this.log('late_result', jobId, `result held back ${Math.round(delay)} ms`);
      await this.sleep(delay);
      if (this.epoch !== epoch) return;
    }
    const payload = encodeResult(result);
    await this.publish(this.topics.results(this.id), payload, epoch);
    this.log('result', jobId, `${result.measurementId} ${measured.phase} ${measured.yieldStrengthMPa ?? '-'} MPa ${measured.elongationPct ?? '-'} %`);
    if (duplicate) {
      await this.publish(this.topics.results(this.id), payload, epoch);
      this.log('duplicate_result', jobId, result.measurementId);
    }
  }

  private finishJob(jobId: string): void {
    if (this.running.delete(jobId)) void this.publishStatus();
  }

  private abandonJobs(): void {
    this.epoch++;
    this.running.clear();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private jobMs(stages: readonly Stage[]): number {
    return stages.reduce((sum, s) => sum + this.stageMs[s], 0);
  }

  private statusPayload(state: InstrumentState): string {
    return encodeStatus({ state, at: utcNow(), capabilities: this.capabilities });
  }

  private async publishStatus(): Promise<void> {
    if (!this.connection || this.stopped) return;
    const state: InstrumentState = this.running.size > 0 ? 'busy' : 'online';
    if (state === this.state) return;
    this.state = state;
    await this.publish(this.topics.status(this.id), this.statusPayload(state), this.epoch, true);
  }

  private async publishEvent(event: InstrumentEvent, epoch: number): Promise<void> {
    await this.publish(this.topics.events(this.id), encodeEvent(event), epoch);
  }

  /** Publishes unless the instrument went away since the job started (a crashed rig says nothing). */
  private async publish(topic: string, payload: string, epoch: number, retain = false): Promise<void> {
    const connection = this.connection;
    if (!connection || epoch !== this.epoch) return;
    try {
      await connection.publish(topic, payload, { retain });
    } catch (error) {
      // Publishing races with goOffline/stop; a message lost to our own crash is expected.
      if (this.connection === connection && epoch === this.epoch) throw error;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.later(ms, resolve));
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private log(kind: InstrumentLogKind, jobId?: string, detail?: string): void {
    this.options.log?.({ instrumentId: this.id, kind, jobId, detail });
  }
}

/**
 * The composition as made: each element off by a little (weighing, evaporation), renormalised to
 * 100 with 2 decimals, the rounding residue put on the largest element so the sum is exact.
 */
export function compositionAsMade(target: Composition, rng: Random): Composition {
  const entries = Object.entries(target).filter(([, v]) => v > 0);
  const drifted = entries.map(([el, v]) => [el, Math.max(0.01, v + rng.normal(0, 0.05 + 0.004 * v))] as const);
  const total = drifted.reduce((s, [, v]) => s + v, 0);
  const rounded = drifted.map(([el, v]) => [el, Math.round((10_000 * v) / total) / 100] as [string, number]);
  const residue = 100 - rounded.reduce((s, [, v]) => s + v, 0);
  const largest = rounded.reduce((best, entry) => (entry[1] > best[1] ? entry : best));
  largest[1] = Math.round((largest[1] + residue) * 100) / 100;
  return Object.fromEntries(rounded);
}

