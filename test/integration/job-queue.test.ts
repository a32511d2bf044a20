import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../../src/repositories/data-source.js';
import { BullMqJobQueue, InProcessJobQueue, type JobQueue } from '../../adapters/queue/job-queue.js';
import { BackgroundJobEntity } from '../../src/repositories/entities/background-job.entity.js';
import { JobRepository } from '../../src/repositories/job.repository.js';
import { createTestDatabase, REDIS_URL, uniqueName } from '../support/services.js';

/** The same handlers run in-process and on BullMQ (real Redis); the job rows tell the API what happened. */
describe.each(['in-process', 'redis'] as const)('background jobs (%s)', (mode) => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  let queue: JobQueue;
  const calls: string[] = [];
  let failuresLeft = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataSource = (await openDatabase(db.url)).dataSource;
    queue = mode === 'redis' ? new BullMqJobQueue(new JobRepository(dataSource), REDIS_URL, uniqueName('aimdq')) : new InProcessJobQueue(new JobRepository(dataSource));
    queue.register('square', async (ctx) => {
      calls.push(`square:${ctx.input.n}:attempt${ctx.attempt}`);
      await ctx.reportProgress(0.5, 'half way');
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new Error('transient failure');
      }
      return { value: Number(ctx.input.n) ** 2 };
    });
    queue.register('always-fails', async () => {
      throw new Error('broken input');
    });
    await queue.startWorker();
  });
  afterAll(async () => {
    await queue.close();
    await dataSource.destroy();
    await db.drop();
  });

  const row = (id: string) => dataSource.getRepository(BackgroundJobEntity).findOneByOrFail({ id });

  it('runs a job and records its result', async () => {
    const job = await queue.enqueue('square', { input: { n: 7 } });
    expect(job.state).toBe('queued');
    await queue.idle();
    expect(await row(job.id)).toMatchObject({ state: 'completed', progress: 1, result: { value: 49 }, attempts: 1, backend: mode });
  });

  it('retries a failing job with back-off, then succeeds', async () => {
    failuresLeft = 1;
    const job = await queue.enqueue('square', { input: { n: 3 }, maxAttempts: 3 });
    await waitFor(async () => (await row(job.id)).state === 'completed');
    expect(await row(job.id)).toMatchObject({ state: 'completed', attempts: 2, result: { value: 9 } });
    expect(calls.filter((c) => c.startsWith('square:3'))).toEqual(['square:3:attempt1', 'square:3:attempt2']);
  });

  it('marks a job failed with its error after the last attempt', async () => {
    const job = await queue.enqueue('always-fails', { maxAttempts: 2 });
    await waitFor(async () => (await row(job.id)).state === 'failed');
    expect(await row(job.id)).toMatchObject({ state: 'failed', attempts: 2, error: 'broken input' });
  });

  it('coalesces jobs with the same dedupe key while one is queued', async () => {
    const key = uniqueName('coalesce');
    const jobs = await Promise.all(Array.from({ length: 20 }, () => queue.enqueue('square', { input: { n: 2 }, dedupeKey: key })));
    const ids = new Set(jobs.map((j) => j.id));
    await queue.idle();
    // the first may already be running when later ones arrive; never more than a few, never 20
    expect(ids.size).toBeLessThanOrEqual(3);
    const rows = await dataSource.getRepository(BackgroundJobEntity).findBy({ dedupeKey: key });
    expect(rows.length).toBe(ids.size);
  });

  it.runIf(mode === 'redis')('runs a queued row whose job never reached Redis when a request coalesces into it', async () => {
    // What a process stopping between the row's insert and its add to Redis leaves behind.
    const key = uniqueName('orphan');
    const [{ id }] = await dataSource.query(
      `INSERT INTO background_job (kind, dedupe_key, state, backend, max_attempts, input) VALUES ('square', $1, 'queued', 'redis', 3, '{"n": 5}') RETURNING id`,
      [key],
    );
    const again = await queue.enqueue('square', { input: { n: 5 }, dedupeKey: key });
    expect(again.id).toBe(id);
    await waitFor(async () => (await row(id)).state === 'completed');
    expect(await row(id)).toMatchObject({ state: 'completed', result: { value: 25 } });
  });

  it('refuses unknown job kinds', async () => {
    await expect(queue.enqueue('nope')).rejects.toThrow('no handler registered for job kind "nope"');
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not reached in time');
}
