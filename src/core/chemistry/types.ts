/** A composition in atomic percent by element symbol; values sum to 100 once normalised. */
export type Composition = Record<string, number>;

/** One measured (or simulated) alloy as the core sees it; null = not measured. */
export interface MeasuredAlloy {
  composition: Composition;
  /** true = bulk metallic glass (glass formed), false = not, null = unknown. */
  isGlass: boolean | null;
  yieldStrengthMPa: number | null;
  elongationPct: number | null;
  /** Other measured properties by name (Dmax mm, Tg/Tx/Tl K, modulus GPa, free names), when known. */
  extra?: Readonly<Record<string, unknown>> | null;
  /** The process it was made with (src/core/campaign/process.ts), when known; missing values read as the defaults. */
  process?: Readonly<ProcessValues> | null;
}

/** A campaign's design space, the part the core needs. Bounds are in at.%. */
export interface DesignSpace {
  elements: string[];
  bounds: Record<string, { min: number; max: number }>;
  /** Composition grid step in at.% (e.g. 0.5). */
  step: number;
  minElements: number;
  maxElements: number;
  /** The element with the largest fraction, if required (e.g. "Zr"). */
  baseElement?: string;
  /** The alloy family (src/core/knowledge/families.ts), when stated; else chosen from the elements. */
  family?: 'zr-bmg' | 'hea';
  /** Process variables designed with the composition (src/core/campaign/process.ts); none when left out. */
  process?: ProcessVariable[];
}

/**
 * Process variables of a design space (issue 16): their validation, defaults and encodings are in
 * src/core/campaign/process.ts; the types live here, beside DesignSpace.
 */
export interface ContinuousProcessVariable {
  name: string;
  kind: 'continuous';
  min: number;
  max: number;
  /** Grid step of the values (in the unit); proposals lie on min + k * step. */
  step: number;
  unit: string;
  default?: number;
}

export interface CategoricalProcessVariable {
  name: string;
  kind: 'categorical';
  values: string[];
  default?: string;
}

export type ProcessVariable = ContinuousProcessVariable | CategoricalProcessVariable;
export type ProcessValue = number | string;
/** Process values by variable name. */
export type ProcessValues = Record<string, ProcessValue>;
