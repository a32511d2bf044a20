/**
 * A fleet of virtual instruments on one broker: the virtual laboratory. Instruments differ a
 * little, deterministically from the seed, as a real lab's do: capacity 1 or 2, and every fourth
 * one does not stock Fe, so dispatch has to look at capabilities.
 */
import type { Stage } from '../adapters/mqtt/protocol.js';
import { createOracle, DEMO_DESIGN_SPACE, type Oracle } from './oracle.js';
import {
  VirtualInstrument,
  type InstrumentFaults,
  type InstrumentLogEntry,
  type VirtualInstrumentOptions,
} from './virtual-instrument.js';

export interface FleetOptions {
  url: string;
  /** How many instruments. */
  instruments: number;
  prefix?: string;
  speed?: number;
  seed?: number;
  /** One knob for all faults: failure, duplicate and late results at this rate, going offline at half of it. */
  faultRate?: number;
  /** Per-kind rates; override `faultRate`. */
  faults?: InstrumentFaults;
  /** Default: `createOracle(seed)`. */
  oracle?: Oracle;
  /** Instrument ids are `{idPrefix}-01`, `{idPrefix}-02`, ... Default `sim`. */
  idPrefix?: string;
  stages?: Stage[];
  elements?: string[];
  /** Passed to every instrument (durations, delays, credentials, protocol version, ...). */
  instrument?: Partial<Omit<VirtualInstrumentOptions, 'url' | 'instrumentId' | 'oracle' | 'seed' | 'prefix'>>;
  log?: (entry: InstrumentLogEntry) => void;
}

export interface Fleet {
  readonly instruments: readonly VirtualInstrument[];
  readonly oracle: Oracle;
  /** Stops every instrument cleanly (retained offline status, DISCONNECT). */
  stop(): Promise<void>;
}

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const seed = options.seed ?? 1;
  const oracle = options.oracle ?? createOracle(seed);
  const rate = options.faultRate ?? 0;
  const faults: InstrumentFaults = {
    retryableFailure: rate,
    offlineMidJob: rate / 2,
    duplicateResult: rate,
    lateResult: rate,
    ...options.faults,
  };
  const elements = options.elements ?? [...DEMO_DESIGN_SPACE.elements];
  const instruments = Array.from({ length: options.instruments }, (_, i) => {
    const number = String(i + 1).padStart(2, '0');
    return new VirtualInstrument({
      ...options.instrument,
      url: options.url,
      prefix: options.prefix,
      instrumentId: `${options.idPrefix ?? 'sim'}-${number}`,
      oracle,
      seed: seed * 1000 + i,
      speed: options.speed,
      stages: options.stages,
      elements: i % 4 === 3 ? elements.filter((el) => el !== 'Fe') : elements,
      maxConcurrentJobs: options.instrument?.maxConcurrentJobs ?? 1 + (i % 2),
      faults,
      log: options.log,
    });
  });
  const started: VirtualInstrument[] = [];
  try {
    for (const instrument of instruments) {
      await instrument.start();
      started.push(instrument);
    }
  } catch (error) {
    await Promise.all(started.map((instrument) => instrument.stop()));
    throw error;
  }
  return {
    instruments,
    oracle,
    stop: async () => {
      await Promise.all(instruments.map((instrument) => instrument.stop()));
    },
  };
}
