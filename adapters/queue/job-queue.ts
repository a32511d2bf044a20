import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { JobRepository } from '../../src/repositories/job.repository.js';
import type { BackgroundJobEntity } from '../../src/repositories/entities/background-job.entity.js';

/**
 * Background jobs (train surrogates, train the agent, propose, refine). The handlers are the same
 * code whether jobs run in this process or on BullMQ workers across machines; every job also has
 * a row in `background_job` so the API shows state, progress and errors either way.
 */
export interface JobContext {
  jobId: string;
  kind: string;
  campaignId: string | null;
  input: Record<string, unknown>;
  attempt: number;
  reportProgress(fraction: number, message?: string): Promise<void>;
}
export type JobHandler = (ctx: JobContext) => Promise<unknown>;

export interface EnqueueOptions {
  campaignId?: string | null;
  input?: Record<string, unknown>;
  /** While a job with this key is still queued, enqueueing again returns that job (coalescing). */
  dedupeKey?: string;
  maxAttempts?: number;
}

export interface JobQueue {
  readonly mode: 'in-process' | 'redis';
  register(kind: string, handler: JobHandler): void;
  enqueue(kind: string, options?: EnqueueOptions): Promise<BackgroundJobEntity>;
  /** Start consuming jobs (not called on API-only replicas). */
  startWorker(): Promise<void>;
  /** Resolves when nothing is queued or running in this process (tests, graceful stop). */
  idle(): Promise<void>;
  health(): Promise<{ ok: boolean; detail: string }>;
  close(): Promise<void>;
}

const BACKOFF_BASE_MS = 500;

/** Shared bookkeeping: the job rows and running a handler with progress and retries recorded. */
abstract class RecordedJobQueue implements JobQueue {
  abstract readonly mode: 'in-process' | 'redis';
  protected readonly handlers = new Map<string, JobHandler>();

  /** The job rows (background_job), read and written through their repository. */
  constructor(protected readonly jobs: JobRepository) {}

  register(kind: string, handler: JobHandler): void {
    this.handlers.set(kind, handler);
  }

  /** Insert the row, or return the queued one with the same dedupe key. */
  protected async record(kind: string, options: EnqueueOptions): Promise<{ job: BackgroundJobEntity; created: boolean }> {
    if (!this.handlers.has(kind)) throw new Error(`no handler registered for job kind "${kind}"`);
    const id = await this.jobs.insertQueued({
      kind, campaignId: options.campaignId ?? null, dedupeKey: options.dedupeKey ?? null, backend: this.mode, maxAttempts: options.maxAttempts ?? 3, input: options.input ?? {},
    });
    if (id !== null) return { job: (await this.jobs.findById(id))!, created: true };
    const existing = await this.jobs.queuedWithKey(options.dedupeKey!);
    if (existing) return { job: existing, created: false };
    return this.record(kind, options); // it left the queued state between the two statements
  }

  /** Run one attempt; returns normally on success, throws on failure (after recording it). */
  protected async runAttempt(jobId: string, attempt: number): Promise<unknown> {
    const job = await this.jobs.findById(jobId);
    if (!job) throw new Error(`background job ${jobId} is gone`);
    const handler = this.handlers.get(job.kind);
    if (!handler) throw new Error(`no handler registered for job kind "${job.kind}"`);
    await this.jobs.update(jobId, { state: 'running', attempts: attempt, startedAt: new Date(), error: null });
    const ctx: JobContext = {
      jobId,
      kind: job.kind,
      campaignId: job.campaignId,
      input: job.input,
      attempt,
      reportProgress: async (fraction, message) => {
        await this.jobs.update(jobId, { progress: Math.max(0, Math.min(1, fraction)), progressMessage: message ?? null });
      },
    };
    try {
      const result = await handler(ctx);
      await this.jobs.update(jobId, { state: 'completed', progress: 1, result: (result ?? null) as object, finishedAt: new Date() });
      return result;
    } catch (error) {
      const final = attempt >= job.maxAttempts;
      // A job waiting for its retry stays 'running' (with the error shown), so it never collides
      // with a newer queued job of the same dedupe key.
      await this.jobs.update(
        jobId,
        {
          state: final ? 'failed' : 'running',
          error: errorText(error),
          progressMessage: final ? null : `attempt ${attempt} failed; retrying`,
          finishedAt: final ? new Date() : null,
        },
      );
      throw error;
    }
  }

  abstract enqueue(kind: string, options?: EnqueueOptions): Promise<BackgroundJobEntity>;
  abstract startWorker(): Promise<void>;
  abstract idle(): Promise<void>;
  abstract health(): Promise<{ ok: boolean; detail: string }>;
  abstract close(): Promise<void>;
}

/** Jobs run one at a time in this process (training is CPU-bound; parallel runs only compete). */
export class InProcessJobQueue extends RecordedJobQueue {
  readonly mode = 'in-process' as const;
  private readonly pending: string[] = [];
  private running: Promise<void> | null = null;
  private consuming = false;
  private closed = false;

  async enqueue(kind: string, options: EnqueueOptions = {}): Promise<BackgroundJobEntity> {
    const { job, created } = await this.record(kind, options);
    if (created) {
      this.pending.push(job.id);
      this.pump();
    }
    return job;
  }

  async startWorker(): Promise<void> {
    this.consuming = true;
    // Jobs left queued or running by a previous process run again (handlers are idempotent).
    const leftover = await this.jobs.inStates('in-process', ['queued', 'running']);
    for (const row of leftover) if (!this.pending.includes(row.id)) this.pending.push(row.id);
    this.pump();
  }

  private pump(): void {
    if (this.running || !this.consuming || this.closed) return;
    const id = this.pending.shift();
    if (!id) return;
    this.running = this.runWithRetries(id).finally(() => {
      this.running = null;
      this.pump();
    });
  }

  private async runWithRetries(id: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.runAttempt(id, attempt);
        return;
      } catch {
        const job = await this.jobs.findById(id);
        if (!job || job.state === 'failed' || this.closed) return;
        await sleep(BACKOFF_BASE_MS * 2 ** (attempt - 1));
      }
    }
  }

  async idle(): Promise<void> {
    while (this.running || (this.consuming && this.pending.length > 0)) {
      await (this.running ?? sleep(5));
    }
  }

  async health() {
    return { ok: true, detail: `in-process (${this.pending.length} queued${this.running ? ', 1 running' : ''})` };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.running?.catch(() => undefined);
  }
}

/** BullMQ on Redis: API replicas enqueue, worker processes on any machine consume. */
export class BullMqJobQueue extends RecordedJobQueue {
  readonly mode = 'redis' as const;
  private readonly queue: Queue;
  private worker: Worker | null = null;
  private readonly connection: RedisConnection;
  private readonly probe: Redis;
  private readonly log = new Logger('Jobs');

  constructor(jobs: JobRepository, redisUrl: string, private readonly prefix: string, private readonly concurrency = 1) {
    super(jobs);
    this.connection = redisConnection(redisUrl);
    this.probe = new Redis({ ...this.connection, lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
    this.probe.on('error', () => undefined);
    this.queue = new Queue('jobs', { connection: this.connection, prefix: prefix });
    this.queue.on('error', () => undefined); // reconnects by itself; health() reports the state
  }

  async enqueue(kind: string, options: EnqueueOptions = {}): Promise<BackgroundJobEntity> {
    const { job } = await this.record(kind, options);
    // Also when the request coalesced into a queued row: a row whose add never reached Redis (the
    // process stopped in between, Redis was down) would otherwise absorb every later request and
    // the campaign would wait forever. The BullMQ job id is the row id, so a repeated add is a no-op.
    await this.add(job);
    if (!this.worker) void this.warnIfNoWorker(`${kind} job ${job.id}${job.campaignId ? ` (campaign ${job.campaignId})` : ''}`);
    return job;
  }

  private lastNoWorkerWarning = 0;
  /**
   * An API-only process says so in its log when what it queued has nobody to run it (no worker
   * connected to this queue), at most once a minute; otherwise a campaign just seems to hang.
   */
  async warnIfNoWorker(what: string): Promise<boolean> {
    const workers = await this.queue.getWorkersCount().catch(() => -1);
    if (workers !== 0) return false;
    if (Date.now() - this.lastNoWorkerWarning < 60_000) return true;
    this.lastNoWorkerWarning = Date.now();
    this.log.warn(`${what} waits for a worker: none is connected to queue "${this.prefix}:jobs" (start one: npm run worker, with the same REDIS_URL and QUEUE_PREFIX)`);
    return true;
  }

  private async add(job: Pick<BackgroundJobEntity, 'id' | 'kind' | 'maxAttempts'>): Promise<void> {
    await this.queue.add(job.kind, { id: job.id }, {
      jobId: job.id,
      attempts: job.maxAttempts,
      backoff: { type: 'exponential', delay: BACKOFF_BASE_MS },
      removeOnComplete: 1000,
      removeOnFail: 5000,
    });
  }

  async startWorker(): Promise<void> {
    this.worker = new Worker(
      'jobs',
      async (job: Job<{ id: string }>) => this.runAttempt(job.data.id, job.attemptsMade + 1),
      { connection: this.connection, prefix: this.prefix, concurrency: this.concurrency },
    );
    this.worker.on('error', () => undefined);
    await this.worker.waitUntilReady();
    // Rows still queued from before (their add may never have reached Redis) get their job now.
    const queued = await this.jobs.inStates('redis', ['queued']);
    for (const row of queued) await this.add({ id: row.id, kind: row.kind, maxAttempts: row.max_attempts });
  }

  async idle(): Promise<void> {
    for (;;) {
      const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      if (Object.values(counts).every((n) => n === 0)) return;
      await sleep(20);
    }
  }

  async health() {
    try {
      if (this.probe.status === 'wait' || this.probe.status === 'end') await this.probe.connect();
      const pong = await Promise.race([this.probe.ping(), sleep(1000).then(() => 'timeout')]);
      return { ok: pong === 'PONG', detail: pong === 'PONG' ? 'redis (BullMQ)' : `redis: ${pong}` };
    } catch (error) {
      return { ok: false, detail: `redis: ${errorText(error)}` };
    }
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    this.probe.disconnect();
  }
}

interface RedisConnection {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls?: object;
  maxRetriesPerRequest: null;
}

/** redis[s]://[user:pass@]host[:port][/db] as ioredis connection options. */
export function redisConnection(url: string): RedisConnection {
  const u = new URL(url);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
