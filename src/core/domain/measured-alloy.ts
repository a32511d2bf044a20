import type { Composition } from '../chemistry/types.js';
import type { ProcessValues } from './process.js';

/** One measured (or simulated) alloy as the core sees it; null = not measured. */
export interface MeasuredAlloy {
  composition: Composition;
  /** true = bulk metallic glass (glass formed), false = not, null = unknown. */
  isGlass: boolean | null;
  yieldStrengthMPa: number | null;
  elongationPct: number | null;
  /** Other measured properties by name (Dmax mm, Tg/Tx/Tl K, modulus GPa, free names), when known. */
  extra?: Readonly<Record<string, unknown>> | null;
  /** The process it was made with (src/core/domain/process.ts), when known; missing values read as the defaults. */
  process?: Readonly<ProcessValues> | null;
}
