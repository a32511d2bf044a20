/**
 * TensorFlow.js backend setup for the agent. One place decides which backend runs:
 * tfjs-node (native, fastest) when it is installed and loads, else WebAssembly, else plain JS cpu.
 * tfjs-node cannot be installed on our machines, so it is imported dynamically and guarded.
 */
import * as tf from '@tensorflow/tfjs';

export type TfBackendName = 'tensorflow' | 'wasm' | 'cpu';

let ready: Promise<TfBackendName> | null = null;

/** Initialise once; later calls return the same backend. `log` receives one line naming it. */
export function setupTf(
  options: { prefer?: TfBackendName; log?: (line: string) => void } = {},
): Promise<TfBackendName> {
  if (!ready) ready = init(options.prefer, options.log ?? (() => {}));
  return ready;
}

async function init(prefer: TfBackendName | undefined, log: (line: string) => void): Promise<TfBackendName> {
  if (prefer !== 'wasm' && prefer !== 'cpu') {
    try {
      // A variable module name keeps TypeScript and bundlers from resolving a package that is absent.
      const nodeBackend = '@tensorflow/tfjs-node';
      await import(nodeBackend);
      if (await tf.setBackend('tensorflow')) {
        await tf.ready();
        log('tfjs backend: tensorflow (tfjs-node)');
        return 'tensorflow';
      }
    } catch {
      // not installed or failed to load its binary: fall through to wasm
    }
  }
  if (prefer !== 'cpu') {
    // The wasm module (Emscripten) installs process-wide handlers that turn any unhandled promise
    // rejection anywhere in the host into a crash. A library must not own the process: take them off.
    const before = processHandlers();
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      const ok = await tf.setBackend('wasm');
      if (ok) await tf.ready();
      removeHandlersAddedSince(before);
      if (ok) {
        log('tfjs backend: wasm');
        return 'wasm';
      }
    } catch (err) {
      removeHandlersAddedSince(before);
      log(`tfjs wasm backend failed to load (${(err as Error).message}); using cpu`);
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  log('tfjs backend: cpu');
  return 'cpu';
}

const GUARDED_EVENTS = ['unhandledRejection', 'uncaughtException'] as const;

type Listener = (...args: any[]) => void;

function processHandlers(): Map<string, Set<Listener>> {
  return new Map(GUARDED_EVENTS.map((e) => [e, new Set<Listener>(process.listeners(e as 'uncaughtException') as Listener[])]));
}

function removeHandlersAddedSince(before: Map<string, Set<Listener>>): void {
  for (const event of GUARDED_EVENTS) {
    for (const listener of process.listeners(event as 'uncaughtException') as Listener[]) {
      if (!before.get(event)!.has(listener)) process.removeListener(event as 'uncaughtException', listener);
    }
  }
}

export { tf };
