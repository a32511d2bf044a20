/**
 * Compositions as fraction vectors over a campaign's elements, and the composition grid: a
 * composition is a Float64Array over the elements (in `space.elements` order) summing to 1, or
 * at.% by symbol; the grid is the design space's step in at.%. One rounding rule (largest
 * remainder) serves both forms.
 */
import type { Composition } from '../chemistry/types.js';
import { CompositionError, normalize } from '../chemistry/composition.js';

/** Below this a fraction counts as absent. */
export const PRESENCE_EPS = 1e-9;

export function toFractions(c: Composition, elements: readonly string[]): Float64Array {
  const x = new Float64Array(elements.length);
  let total = 0;
  for (const v of Object.values(c)) total += v;
  if (total <= 0) return x;
  elements.forEach((el, i) => (x[i] = (c[el] ?? 0) / total));
  return x;
}

/** Fractions -> composition in at.% (absent elements omitted). */
export function toComposition(x: ArrayLike<number>, elements: readonly string[], decimals = 6): Composition {
  const c: Composition = {};
  const f = 10 ** decimals;
  for (let i = 0; i < elements.length; i++) {
    if (x[i] > PRESENCE_EPS) c[elements[i]] = Math.round(x[i] * 100 * f) / f;
  }
  return c;
}

/** Share (0-1) of a composition made of the campaign's elements (0 for an empty composition). */
export function shareInElements(c: Composition, elements: readonly string[]): number {
  let total = 0;
  let inside = 0;
  for (const [el, v] of Object.entries(c)) {
    if (!(v > 0)) continue;
    total += v;
    if (elements.includes(el)) inside += v;
  }
  return total > 0 ? inside / total : 0;
}

/** True when every element outside the campaign's list is absent (the alloy fits the space's elements). */
export function usesOnlyElements(c: Composition, elements: readonly string[]): boolean {
  return Object.entries(c).every(([el, v]) => v <= PRESENCE_EPS || elements.includes(el));
}

/** Euclidean distance in at.% between two fraction vectors. */
export function fractionDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] - b[i]) * 100;
    s += d * d;
  }
  return Math.sqrt(s);
}

/**
 * Round to the campaign's grid (step in at.%) keeping the sum exactly 1: largest-remainder
 * rounding of integer grid counts. Elements rounded to zero disappear.
 */
export function roundToGrid(x: ArrayLike<number>, stepAtPct: number): Float64Array {
  const units = Math.round(100 / stepAtPct);
  const exact = Array.from(x, (v) => Math.max(0, v) * units);
  const counts = apportion(exact, units, (i, j) => i - j);
  return Float64Array.from(counts, (c) => c / units);
}

/** A stable key for a composition on the grid (used to drop duplicates / measured / pending). */
export function gridKey(x: ArrayLike<number>, stepAtPct: number): string {
  const units = Math.round(100 / stepAtPct);
  const parts: number[] = [];
  for (let i = 0; i < x.length; i++) parts.push(Math.round(x[i] * units));
  return parts.join(',');
}

// ---- Rounding to the grid ---------------------------------------------------------------------

/** Tolerance for "is an integer number of steps", in units of step. */
const GRID_TOLERANCE = 1e-6;

/**
 * Rounds a composition to multiples of `step` at.% so that the amounts sum to exactly 100
 * (exactly in grid units; as numbers up to floating-point representation). Largest-remainder
 * method: every element gets the floor of its number of steps, the steps still missing go to the
 * largest remainders; ties go to the larger amount, then alphabetically. Elements that round to
 * zero are dropped. 100 must be a whole number of steps.
 */
export function roundToStep(c: Composition, step: number): Composition {
  const totalUnits = gridUnitsIn100(step);
  const entries = Object.entries(normalize(c)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const exact = entries.map(([, amount]) => amount / step);
  // Ties go to the larger amount, then alphabetically (entries are sorted by symbol).
  const units = apportion(exact, totalUnits, (i, j) => exact[j] - exact[i] || i - j);
  const decimals = decimalsOf(step);
  const result: Composition = {};
  entries.forEach(([symbol], i) => {
    if (units[i] > 0) result[symbol] = roundTo(units[i] * step, decimals + 2);
  });
  return result;
}

function gridUnitsIn100(step: number): number {
  if (!(step > 0 && step <= 100)) throw new CompositionError(`Grid step must be in (0, 100] at.%, got ${step}`);
  const units = Math.round(100 / step);
  if (Math.abs(units * step - 100) > GRID_TOLERANCE * step) {
    throw new CompositionError(`Grid step ${step} at.% does not divide 100`);
  }
  return units;
}

function decimalsOf(x: number): number {
  for (let d = 0; d < 12; d++) if (Math.abs(roundTo(x, d) - x) < 1e-12) return d;
  return 12;
}

function roundTo(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}

/** Whether `amount` is a whole number of `step`s (within GRID_TOLERANCE steps). */
export function isOnGrid(amount: number, step: number): boolean {
  const units = amount / step;
  return Math.abs(units - Math.round(units)) <= GRID_TOLERANCE;
}

/**
 * Largest-remainder apportionment: whole units for `exact` (real numbers of units) that sum to
 * `total`. Every entry gets the floor of its units (the 1e-9 keeps 0.3 / 0.1 = 2.9999999999999996
 * from flooring to 2); the units still missing go to the largest remainders, ties (within 1e-12)
 * broken by `tie`. The one rounding rule behind roundToStep (at.%) and roundToGrid (fractions).
 */
function apportion(exact: readonly number[], total: number, tie: (i: number, j: number) => number): number[] {
  const units = exact.map((x) => Math.floor(x + 1e-9));
  const missing = total - units.reduce((s, u) => s + u, 0);
  const order = exact
    .map((_, i) => i)
    .sort((i, j) => {
      const byRemainder = exact[j] - units[j] - (exact[i] - units[i]);
      return Math.abs(byRemainder) > 1e-12 ? byRemainder : tie(i, j);
    });
  for (let k = 0; k < Math.min(missing, order.length); k++) units[order[k]]++;
  return units;
}
