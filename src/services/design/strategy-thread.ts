/**
 * Worker-thread entry for a design iteration: the CPU-heavy part (surrogates, TD3, proposals)
 * runs here so the main thread keeps answering HTTP and MQTT. Inputs and outputs are plain data;
 * progress and log lines come back as messages.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { AppConfig } from '../../config/config.js';
import { openKnowledgeCache } from '../../repositories/knowledge-cache.repository.js';
import { STRATEGIES } from './strategies.js';
import type { DesignContext } from './strategy.js';

interface ThreadInput {
  method: string;
  config: AppConfig;
  databaseUrl: string | null;
  ctx: Omit<DesignContext, 'progress' | 'log'>;
}

const { method, config, databaseUrl, ctx } = workerData as ThreadInput;
const port = parentPort!;

/**
 * Training yields the CPU to request handling on a shared machine (bench:load measures the API
 * while a worker trains). On Linux, priority is per thread: pid 0 lowers this thread (and the
 * threads it starts) only, not the process's event loop.
 */
const TRAINING_NICE = 10;
try {
  setPriority(0, TRAINING_NICE);
} catch {
  // not permitted here: train at normal priority
}

async function run(): Promise<void> {
  // Only the LLM knowledge cache needs the database here: a small pool of its own.
  const knowledge = databaseUrl && config.knowledge.mode === 'llm' && ctx.strategy.knowledgeProvider === 'llm' ? await openKnowledgeCache(databaseUrl) : null;
  try {
    const strategy = STRATEGIES[method](config, knowledge?.cache ?? null);
    const outcome = await strategy.propose({
      ...ctx,
      progress: async (fraction, message) => port.postMessage({ type: 'progress', fraction, message }),
      log: (line) => port.postMessage({ type: 'log', line }),
    });
    port.postMessage({ type: 'done', outcome });
  } finally {
    await knowledge?.close();
  }
}

run().catch((error: Error) => port.postMessage({ type: 'error', message: error.message, stack: error.stack }));
