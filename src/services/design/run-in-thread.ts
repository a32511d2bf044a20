import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AppConfig } from '../../config/config.js';
import type { DesignContext, DesignOutcome } from './strategy.js';

/**
 * Run a strategy's design iteration in a worker thread. From the built service the thread runs
 * dist's JavaScript; from sources (tests, tsx) it registers tsx in the thread first.
 */
export function proposeInThread(method: string, config: AppConfig, databaseUrl: string | null, ctx: DesignContext): Promise<DesignOutcome> {
  const js = new URL('./strategy-thread.js', import.meta.url);
  const entry = existsSync(fileURLToPath(js)) ? js : new URL('./strategy-thread.ts', import.meta.url);
  const { progress, log, ...data } = ctx;
  const workerData = { method, config, databaseUrl, ctx: data };
  const worker = entry.pathname.endsWith('.ts')
    ? new Worker(
        new URL(
          `data:text/javascript,${encodeURIComponent(
            `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(entry.href)});`,
          )}`,
        ),
        { workerData },
      )
    : new Worker(entry, { workerData });
  return new Promise<DesignOutcome>((resolve, reject) => {
    let settled = false;
    worker.on('message', (m: { type: string; fraction?: number; message?: string; line?: string; outcome?: DesignOutcome; stack?: string }) => {
      if (m.type === 'progress') void progress(m.fraction!, m.message!).catch(() => undefined);
      else if (m.type === 'log') log(m.line!);
      else if (m.type === 'done' || m.type === 'error') {
        settled = true;
        if (m.type === 'done') resolve(m.outcome!);
        else reject(Object.assign(new Error(m.message), { stack: m.stack }));
        void worker.terminate();
      }
    });
    worker.on('error', (error) => {
      if (!settled) reject(error);
      settled = true;
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`design thread exited with code ${code}`));
      settled = true;
    });
  });
}
