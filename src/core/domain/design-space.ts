import type { Composition } from '../chemistry/types.js';
import { trimZeros } from '../chemistry/composition.js';
import { isOnGrid, PRESENCE_EPS } from './composition-grid.js';
import { checkProcessVariables, type ProcessVariable } from './process.js';

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
  /** Process variables designed with the composition (src/core/domain/process.ts); none when left out. */
  process?: ProcessVariable[];
}

const EPS = 1e-9;

/**
 * Consistency of a design space as a whole (each field's own range is checked by the API layer):
 * bounds must admit at least one composition summing to 100 on the step grid, and the process
 * variables must be consistent (src/core/domain/process.ts).
 * `knownElements` is the element table the featurizer has data for.
 */
export function checkDesignSpace(space: DesignSpace, knownElements: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const el of space.elements) {
    if (seen.has(el)) problems.push(`element ${el} is listed twice`);
    seen.add(el);
    if (!knownElements.has(el)) problems.push(`element ${el} is not a known element (no data for it)`);
    const b = space.bounds[el];
    if (!b) {
      problems.push(`element ${el} has no bounds`);
      continue;
    }
    if (b.min < 0 || b.max > 100 || b.min > b.max) problems.push(`bounds of ${el} must satisfy 0 <= min <= max <= 100 (got ${b.min}..${b.max})`);
    if (!isOnGrid(b.min, space.step) || !isOnGrid(b.max, space.step)) problems.push(`bounds of ${el} (${b.min}..${b.max}) must lie on the ${space.step} at.% grid`);
  }
  for (const el of Object.keys(space.bounds)) if (!seen.has(el)) problems.push(`bounds given for ${el}, which is not in the element list`);
  if (!(space.step > 0 && space.step <= 50)) problems.push(`step must be in (0, 50] at.% (got ${space.step})`);
  else if (!isOnGrid(100, space.step)) problems.push(`step ${space.step} must divide 100`);
  if (space.minElements < 1 || space.minElements > space.maxElements) problems.push(`need 1 <= minElements <= maxElements (got ${space.minElements}..${space.maxElements})`);
  if (space.maxElements > space.elements.length) problems.push(`maxElements ${space.maxElements} exceeds the ${space.elements.length} elements of the space`);
  const sumMin = space.elements.reduce((s, el) => s + (space.bounds[el]?.min ?? 0), 0);
  const sumMax = space.elements.reduce((s, el) => s + (space.bounds[el]?.max ?? 0), 0);
  if (sumMin > 100 + EPS) problems.push(`the lower bounds sum to ${round(sumMin)} at.% > 100: no composition fits`);
  if (sumMax < 100 - EPS) problems.push(`the upper bounds sum to ${round(sumMax)} at.% < 100: no composition fits`);
  const required = space.elements.filter((el) => (space.bounds[el]?.min ?? 0) > 0).length;
  if (required > space.maxElements) problems.push(`${required} elements have a lower bound > 0, more than maxElements ${space.maxElements}`);
  if (space.baseElement !== undefined) {
    if (!seen.has(space.baseElement)) problems.push(`base element ${space.baseElement} is not in the element list`);
    else if ((space.bounds[space.baseElement]?.min ?? 0) <= 0) problems.push(`base element ${space.baseElement} needs a lower bound > 0`);
  }
  problems.push(...checkProcessVariables(space.process));
  return problems;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

// ---- A composition in the space: the rules, in at.% (every violation, in words) and in fractions (the first, fast) ----

/** Allowed deviation of the total from 100 at.%. */
export const SUM_TOLERANCE = 0.05;

/**
 * Every way `c` (at.%) breaks the design space, as human-readable sentences; empty when it fits.
 * Checks: amounts valid, sum 100 within 0.05, elements allowed, per-element bounds (an allowed
 * element that is absent counts as 0 at.%, so a positive minimum makes it required), amounts
 * on the step grid, number of elements, and the base element having the largest amount
 * (a tie with another element is accepted).
 */
export function validateAgainstDesignSpace(c: Composition, space: DesignSpace): string[] {
  const violations: string[] = [];
  const present = Object.entries(c).filter(([, amount]) => amount !== 0);
  for (const [symbol, amount] of present) {
    if (!Number.isFinite(amount) || amount < 0) violations.push(`${symbol} has an invalid amount (${amount})`);
  }
  const valid = present.filter(([, amount]) => Number.isFinite(amount) && amount > 0);
  if (valid.length === 0) {
    violations.push('The composition is empty');
    return violations;
  }

  const total = valid.reduce((s, [, amount]) => s + amount, 0);
  if (Math.abs(total - 100) > SUM_TOLERANCE) {
    violations.push(`Amounts sum to ${fmt(total)} at.%, not 100 (tolerance ${SUM_TOLERANCE})`);
  }

  const allowed = new Set(space.elements);
  for (const [symbol, amount] of valid) {
    if (!allowed.has(symbol)) violations.push(`${symbol} (${fmt(amount)} at.%) is not in the design space`);
  }

  for (const symbol of space.elements) {
    const bounds = space.bounds[symbol];
    if (!bounds) continue;
    const amount = c[symbol] ?? 0;
    if (!(amount > 0) && bounds.min > 0) {
      violations.push(`${symbol} is absent but must be at least ${fmt(bounds.min)} at.%`);
    } else if (amount > 0 && amount < bounds.min - 1e-9) {
      violations.push(`${symbol} is ${fmt(amount)} at.%, below its minimum of ${fmt(bounds.min)} at.%`);
    } else if (amount > bounds.max + 1e-9) {
      violations.push(`${symbol} is ${fmt(amount)} at.%, above its maximum of ${fmt(bounds.max)} at.%`);
    }
  }

  for (const [symbol, amount] of valid) {
    if (!isOnGrid(amount, space.step)) {
      violations.push(`${symbol} is ${fmt(amount)} at.%, not a multiple of the ${fmt(space.step)} at.% step`);
    }
  }

  if (valid.length < space.minElements) {
    violations.push(`${valid.length} elements, fewer than the minimum of ${space.minElements}`);
  }
  if (valid.length > space.maxElements) {
    violations.push(`${valid.length} elements, more than the maximum of ${space.maxElements}`);
  }

  if (space.baseElement) {
    const base = space.baseElement;
    const baseAmount = c[base] ?? 0;
    const larger = valid.filter(([symbol, amount]) => symbol !== base && amount > baseAmount);
    if (!(baseAmount > 0)) {
      violations.push(`Base element ${base} is absent`);
    } else if (larger.length > 0) {
      const names = larger.map(([symbol, amount]) => `${symbol} (${fmt(amount)} at.%)`).join(', ');
      violations.push(`Base element ${base} (${fmt(baseAmount)} at.%) is not the largest: ${names}`);
    }
  }
  return violations;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? trimZeros(x.toFixed(4)) : String(x);
}

/** Allowed deviation of a fraction vector's total from 1 (the agent's arithmetic, not a user's typing). */
const FRACTION_SUM_TOLERANCE = 1e-6;

/** An element's bounds as fractions (absent bounds: 0..1). */
export function boundOf(space: DesignSpace, el: string): { min: number; max: number } {
  const b = space.bounds[el];
  return { min: (b?.min ?? 0) / 100, max: (b?.max ?? 100) / 100 };
}

/** Why x is not a legal composition of the space, or null when it is. */
export function illegalReason(x: ArrayLike<number>, space: DesignSpace): string | null {
  let sum = 0;
  let count = 0;
  let largest = -1;
  let largestIdx = -1;
  for (let i = 0; i < space.elements.length; i++) {
    const v = x[i];
    if (!Number.isFinite(v)) return 'non-finite fraction';
    if (v < -PRESENCE_EPS) return `negative fraction of ${space.elements[i]}`;
    sum += v;
    const { min, max } = boundOf(space, space.elements[i]);
    if (v > PRESENCE_EPS) {
      count++;
      if (v < min - 1e-9 || v > max + 1e-9) return `${space.elements[i]} outside [${min * 100}, ${max * 100}] at.%`;
      if (v > largest) {
        largest = v;
        largestIdx = i;
      }
    } else if (min > 0) {
      return `${space.elements[i]} required (min ${min * 100} at.%)`;
    }
  }
  if (Math.abs(sum - 1) > FRACTION_SUM_TOLERANCE) return `fractions sum to ${sum}`;
  if (count < space.minElements || count > space.maxElements)
    return `${count} elements, allowed ${space.minElements}..${space.maxElements}`;
  if (space.baseElement) {
    const b = space.elements.indexOf(space.baseElement);
    if (b < 0 || x[b] + 1e-12 < largest) return `${space.baseElement} must be the largest fraction (is ${space.elements[largestIdx]})`;
  }
  return null;
}

/** Which elements are present, as a string ('1101...'): the element set of a composition. */
export function elementSetKey(x: ArrayLike<number>): string {
  let key = '';
  for (let i = 0; i < x.length; i++) key += x[i] > PRESENCE_EPS ? '1' : '0';
  return key;
}

export function isLegal(x: ArrayLike<number>, space: DesignSpace): boolean {
  return illegalReason(x, space) === null;
}
