/**
 * The campaign's design space in fraction space: a composition is a Float64Array over the
 * campaign's elements (in `space.elements` order) summing to 1. Bounds in the DesignSpace are at.%.
 */
import type { Composition, DesignSpace } from '../chemistry/types.js';
import { decodeProcess, encodeProcess, randomProcess, withProcessDefaults, type ProcessValues } from '../campaign/process.js';
import type { Random } from '../util/random.js';

// ---- Agent states with process variables (issue 16) -------------------------------------------
// A state is the composition's fractions over the space's elements, then, when the space has
// process variables, one number in [0, 1] per variable (process.ts encodeProcess). Without process
// variables a state is the fractions alone, as before. The composition functions below read the
// first K = elements.length entries only.

/** Length of an agent state (and action): K fractions, then one entry per process variable. */
export function stateDim(space: DesignSpace): number {
  return space.elements.length + (space.process?.length ?? 0);
}

/** The composition part of a state (a view, no copy). */
export function compositionPart(x: Float64Array, space: DesignSpace): Float64Array {
  return x.length > space.elements.length ? x.subarray(0, space.elements.length) : x;
}

/** The process values a state encodes (decoded onto their grids); {} without process variables. */
export function processOfState(x: ArrayLike<number>, space: DesignSpace): ProcessValues {
  const vars = space.process ?? [];
  if (vars.length === 0) return {};
  return decodeProcess(Array.from({ length: vars.length }, (_, j) => x[space.elements.length + j]), vars);
}

/** The state of fractions x (length K) made with `process` (defaults for missing values); x itself without process variables. */
export function toState(x: Float64Array, space: DesignSpace, process?: Readonly<Record<string, unknown>> | null): Float64Array {
  const vars = space.process ?? [];
  if (vars.length === 0 || x.length !== space.elements.length) return x;
  const out = new Float64Array(x.length + vars.length);
  out.set(x);
  out.set(encodeProcess(withProcessDefaults(process, vars), vars), x.length);
  return out;
}

/** The state of fractions x with uniformly random process values (draws nothing without process variables). */
export function withRandomProcess(x: Float64Array, space: DesignSpace, rng: Random): Float64Array {
  const vars = space.process ?? [];
  if (vars.length === 0 || x.length !== space.elements.length) return x;
  return toState(x, space, randomProcess(vars, rng));
}

/** A state on the grids: the composition rounded to the space's step, each process value to its step or nearest category. */
export function roundStateToGrid(x: Float64Array, space: DesignSpace): Float64Array {
  const vars = space.process ?? [];
  const g = roundToGrid(compositionPart(x, space), space.step);
  if (vars.length === 0 || x.length === space.elements.length) return g;
  return toState(g, space, processOfState(x, space));
}

/** Below this a fraction counts as absent. */
export const PRESENCE_EPS = 1e-9;
const SUM_TOL = 1e-6;

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

function boundOf(space: DesignSpace, el: string): { min: number; max: number } {
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
  if (Math.abs(sum - 1) > SUM_TOL) return `fractions sum to ${sum}`;
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

/**
 * Round to the campaign's grid (step in at.%) keeping the sum exactly 1: largest-remainder
 * rounding of integer grid counts. Elements rounded to zero disappear.
 */
export function roundToGrid(x: ArrayLike<number>, stepAtPct: number): Float64Array {
  const units = Math.round(100 / stepAtPct);
  const n = x.length;
  const counts = new Array<number>(n);
  const rema: { i: number; r: number }[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.max(0, x[i]) * units;
    counts[i] = Math.floor(v + 1e-9);
    total += counts[i];
    rema.push({ i, r: v - counts[i] });
  }
  rema.sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; total < units && k < rema.length; k++, total++) counts[rema[k].i]++;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = counts[i] / units;
  return out;
}

/** A stable key for a composition on the grid (used to drop duplicates / measured / pending). */
export function gridKey(x: ArrayLike<number>, stepAtPct: number): string {
  const units = Math.round(100 / stepAtPct);
  const parts: number[] = [];
  for (let i = 0; i < x.length; i++) parts.push(Math.round(x[i] * units));
  return parts.join(',');
}

/**
 * Grid keys of the compositions that use only the space's elements, each as given and rounded to
 * the grid (as-made compositions lie off the grid): the measured and pending compositions a
 * strategy must not propose again.
 */
export function takenGridKeys(compositions: Iterable<Composition>, space: DesignSpace): Set<string> {
  const keys = new Set<string>();
  for (const c of compositions) {
    if (!usesOnlyElements(c, space.elements)) continue;
    const x = toFractions(c, space.elements);
    keys.add(gridKey(x, space.step));
    keys.add(gridKey(roundToGrid(x, space.step), space.step));
  }
  return keys;
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
 * A random legal composition with `minCount..maxCount` elements (paper: 3..7), on the grid.
 * Rejection sampling: choose elements (required and base first), draw fractions inside the
 * bounds, normalise, round, check. Returns null if nothing legal was found.
 */
export function randomLegalComposition(
  space: DesignSpace,
  rng: Random,
  opts: { minCount?: number; maxCount?: number; tries?: number; elements?: readonly string[] } = {},
): Float64Array | null {
  const K = space.elements.length;
  const lo = Math.max(opts.minCount ?? 3, space.minElements, 1);
  const hi = Math.min(opts.maxCount ?? 7, space.maxElements, K);
  if (lo > hi) return null;
  const required = space.elements.filter((el) => boundOf(space, el).min > 0 || el === space.baseElement);
  const tries = opts.tries ?? 500;
  for (let t = 0; t < tries; t++) {
    let chosen: Set<string>;
    if (opts.elements) chosen = new Set(opts.elements); // a given element set (the start curriculum)
    else {
      const n = Math.max(lo + rng.int(hi - lo + 1), required.length);
      chosen = new Set(required);
      const others = rng.shuffle(space.elements.filter((el) => !chosen.has(el)));
      for (const el of others) {
        if (chosen.size >= n) break;
        chosen.add(el);
      }
    }
    const x = new Float64Array(K);
    let sum = 0;
    space.elements.forEach((el, i) => {
      if (!chosen.has(el)) return;
      const { min, max } = boundOf(space, el);
      const v = rng.uniform(Math.max(min, space.step / 100), max);
      x[i] = v;
      sum += v;
    });
    for (let i = 0; i < K; i++) x[i] /= sum;
    if (space.baseElement) {
      // Swap so the base element holds the largest drawn fraction (the space requires it).
      const b = space.elements.indexOf(space.baseElement);
      let m = b;
      for (let i = 0; i < K; i++) if (x[i] > x[m]) m = i;
      [x[b], x[m]] = [x[m], x[b]];
    }
    const g = roundToGrid(x, space.step);
    if (isLegal(g, space)) return g;
  }
  return null;
}

/**
 * Safety layer (Dalal et al. 2018 style, our addition to the paper): the largest part of `a`
 * that keeps s + a legal, using the constraints the campaign already states. Every present
 * element stays inside its bounds and at least one grid step (so the element set stays fixed,
 * as the environment intends), each change stays within `actionStep`, the sum stays zero: the
 * Euclidean projection onto that box-and-plane set (a shift found by bisection). Whatever that
 * cannot express (the base element must stay the largest) is met by shortening the move:
 * the legal set for a fixed element set is convex and s is in it, so s + t a is legal for small t.
 * Returns `a` itself when s + a is already legal, and zeros when s is not legal.
 */
export function projectToLegal(s: ArrayLike<number>, a: ArrayLike<number>, space: DesignSpace, actionStep: number): Float64Array {
  const K = space.elements.length;
  const next = (t: number, d: ArrayLike<number>) => Float64Array.from({ length: K }, (_, i) => s[i] + t * d[i]);
  if (isLegal(next(1, a), space)) return Float64Array.from(a);
  if (!isLegal(s, space)) return new Float64Array(K);
  const floor = space.step / 100;
  const lo = new Float64Array(K);
  const hi = new Float64Array(K);
  let minA = 0;
  let maxA = 0;
  for (let i = 0; i < K; i++) {
    if (s[i] <= PRESENCE_EPS) continue; // absent elements stay absent
    const { min, max } = boundOf(space, space.elements[i]);
    lo[i] = Math.min(0, Math.max(-actionStep, Math.max(min, floor) - s[i]));
    hi[i] = Math.max(0, Math.min(actionStep, max - s[i]));
    minA = Math.min(minA, a[i]);
    maxA = Math.max(maxA, a[i]);
  }
  // sum_i clip(a_i - lambda, lo_i, hi_i) falls as lambda grows; 0 lies between its ends (lo <= 0 <= hi).
  const clipped = (lambda: number) => Float64Array.from({ length: K }, (_, i) => Math.max(lo[i], Math.min(hi[i], a[i] - lambda)));
  const total = (v: Float64Array) => v.reduce((x, y) => x + y, 0);
  let left = minA - 2 * actionStep;
  let right = maxA + 2 * actionStep;
  for (let it = 0; it < 60; it++) {
    const mid = (left + right) / 2;
    if (total(clipped(mid)) > 0) left = mid;
    else right = mid;
  }
  const p = clipped((left + right) / 2);
  // Remove the bisection's last rounding from the element with the most room.
  const rest = total(p);
  let j = -1;
  for (let i = 0; i < K; i++) if (s[i] > PRESENCE_EPS && (j < 0 || hi[i] - lo[i] > hi[j] - lo[j])) j = i;
  if (j >= 0) p[j] -= rest;
  for (let t = 1; t > 1e-3; t /= 2) if (isLegal(next(t, p), space)) return p.map((v) => v * t);
  return new Float64Array(K);
}
