/**
 * The agent's state in a campaign's design space: a composition's fractions over the campaign's
 * elements, then its process values; sampling and projecting legal states. The grid and the
 * legality rules are in composition-grid.ts and design-space.ts.
 */
import type { Composition } from '../chemistry/types.js';
import { gridKey, PRESENCE_EPS, roundToGrid, toFractions, usesOnlyElements } from './composition-grid.js';
import { boundOf, isLegal, type DesignSpace } from './design-space.js';
import { decodeProcess, encodeProcess, randomProcess, withProcessDefaults, type ProcessValues } from './process.js';
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
