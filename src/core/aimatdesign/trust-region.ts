/**
 * Trust region (our addition, after TuRBO: Eriksson et al., NeurIPS 2019). With thin data the
 * surrogates are right only near measured alloys; far from them they extrapolate and the lab
 * answers "crystalline". So the agent's start states and the proposals concentrate around the
 * best measured alloys of the design space (successes and near misses: the anchors), within a
 * radius (Euclidean distance in at.% to the nearest anchor) that
 *
 * - grows (x grow, up to maxRadius) after a batch whose measurements met every objective or beat
 *   the best score so far, and
 * - shrinks (x shrink, down to minRadius) after `failureTolerance` batches in a row that did not,
 *
 * with a share of the agent's starts and of each batch left outside it for exploration. That share
 * starts at explorationShare and follows the lab's answers: it is explorationShare times the ratio
 * of the mean success score of the alloys proposed outside the region to that of those proposed
 * inside (each shrunk toward their pooled mean by one pseudo-observation), kept within
 * [minExplorationShare, maxExplorationShare]. A lab where the region pays and the outside does not
 * gets more of each batch spent in the region; one where the outside does as well gets more outside.
 * The state is carried from one design iteration to the next (the loop persists it with the agent).
 */
import type { DesignSpace } from '../domain/design-space.js';
import type { MeasuredAlloy } from '../domain/measured-alloy.js';
import { DEFAULT_STRATEGY } from '../domain/strategy.js';
import { isSuccess, successScore, type SuccessObjectives } from '../domain/success.js';
import { isLegal } from '../domain/design-space.js';
import { PRESENCE_EPS, roundToGrid, toFractions, usesOnlyElements } from '../domain/composition-grid.js';
import type { Random } from '../util/random.js';

export interface TrustRegionConfig {
  /** Radius of a new region, at.%. */
  initialRadius: number;
  minRadius: number;
  maxRadius: number;
  grow: number;
  shrink: number;
  /** Batches in a row without success or improvement before the region shrinks. */
  failureTolerance: number;
  /** The best this many measured alloys of the space are the anchors. */
  anchors: number;
  /** Share of agent starts and of each batch left for exploration outside the region, at the start. */
  explorationShare: number;
  /** Bounds of the exploration share as it follows the lab's answers. */
  minExplorationShare: number;
  maxExplorationShare: number;
}

export const DEFAULT_TRUST_REGION_CONFIG: TrustRegionConfig = {
  initialRadius: 3,
  minRadius: 1,
  maxRadius: 8,
  grow: 1.25,
  shrink: 0.7,
  failureTolerance: 1,
  anchors: 8,
  explorationShare: DEFAULT_STRATEGY.explorationShare,
  minExplorationShare: 0.1,
  maxExplorationShare: 0.5,
};

/** One step of the region's history, for the PI. */
export interface TrustRegionStep {
  iteration: number;
  radius: number;
  /** Measurements that arrived since the previous design iteration. */
  newAlloys: number;
  newSuccesses: number;
  improved: boolean;
  /** Exploration share for this iteration. */
  explorationShare?: number;
}

/** What one side of the region has yielded: alloys measured and the sum of their success scores. */
export interface SideTally {
  measured: number;
  score: number;
}

export interface TrustRegionState {
  radius: number;
  /** Measurements the region had seen (the ones after them are the lab's answers since). */
  measuredCount: number;
  bestScore: number;
  /** Batches in a row without success or improvement. */
  failures: number;
  history: TrustRegionStep[];
  /** The anchors of this iteration (fractions over the space's elements), to tell the next one which answers came from inside. */
  anchors?: number[][];
  /** Measured answers to proposals made inside and outside the region so far. */
  inside?: SideTally;
  outside?: SideTally;
  /** Share of starts and of the batch left for exploration in this iteration. */
  explorationShare?: number;
}

/** The region for this iteration, from the previous state and what the lab has measured since. */
export function updateTrustRegion(
  previous: TrustRegionState | null,
  measured: readonly MeasuredAlloy[],
  objectives: SuccessObjectives,
  space: DesignSpace,
  iteration: number,
  config: TrustRegionConfig = DEFAULT_TRUST_REGION_CONFIG,
): TrustRegionState {
  const best = (alloys: readonly MeasuredAlloy[]) => alloys.reduce((m, a) => Math.max(m, successScore(a, objectives)), 0);
  const anchors = trustRegionAnchors(measured, objectives, space, config.anchors).map((a) => Array.from(a));
  if (!previous || measured.length < previous.measuredCount) {
    const radius = previous?.radius ?? config.initialRadius;
    const explorationShare = config.explorationShare;
    return {
      radius,
      measuredCount: measured.length,
      bestScore: best(measured),
      failures: 0,
      history: [...(previous?.history ?? []), { iteration, radius, newAlloys: 0, newSuccesses: 0, improved: false, explorationShare }],
      anchors,
      inside: { measured: 0, score: 0 },
      outside: { measured: 0, score: 0 },
      explorationShare,
    };
  }
  const fresh = measured.slice(previous.measuredCount);
  const newSuccesses = fresh.filter((a) => isSuccess(a, objectives)).length;
  const freshBest = best(fresh);
  const improved = freshBest > previous.bestScore + 1e-9;
  let { radius, failures } = previous;
  if (newSuccesses > 0 || improved) {
    radius = Math.min(config.maxRadius, radius * config.grow);
    failures = 0;
  } else if (fresh.length > 0 && ++failures >= config.failureTolerance) {
    radius = Math.max(config.minRadius, radius * config.shrink);
    failures = 0;
  }
  // Which answers came from inside the region they were proposed in (half a grid step of slack for as-made deviations).
  const inside = { ...(previous.inside ?? { measured: 0, score: 0 }) };
  const outside = { ...(previous.outside ?? { measured: 0, score: 0 }) };
  const previousAnchors = previous.anchors ?? [];
  for (const a of fresh) {
    if (!previousAnchors.length || !usesOnlyElements(a.composition, space.elements)) continue;
    const side = distanceToAnchors(toFractions(a.composition, space.elements), previousAnchors) <= previous.radius + space.step ? inside : outside;
    side.measured++;
    side.score += successScore(a, objectives);
  }
  const explorationShare = adaptiveExplorationShare(inside, outside, config);
  return {
    radius,
    measuredCount: measured.length,
    bestScore: Math.max(previous.bestScore, freshBest),
    failures,
    history: [...previous.history, { iteration, radius, newAlloys: fresh.length, newSuccesses, improved, explorationShare }].slice(-100),
    anchors,
    inside,
    outside,
    explorationShare,
  };
}

/** explorationShare x (outside's mean success score / inside's), each shrunk toward the pooled mean, within the bounds. */
export function adaptiveExplorationShare(inside: SideTally, outside: SideTally, config: TrustRegionConfig = DEFAULT_TRUST_REGION_CONFIG): number {
  const n = inside.measured + outside.measured;
  if (inside.measured === 0 || outside.measured === 0) return config.explorationShare;
  const pooled = (inside.score + outside.score) / n;
  const meanIn = (inside.score + pooled) / (inside.measured + 1);
  const meanOut = (outside.score + pooled) / (outside.measured + 1);
  const share = meanIn > 0 ? (config.explorationShare * meanOut) / meanIn : config.explorationShare;
  return Math.min(config.maxExplorationShare, Math.max(config.minExplorationShare, share));
}

/** The anchors: the best-scoring measured alloys of the space (fraction vectors over its elements), best first. */
export function trustRegionAnchors(
  measured: readonly MeasuredAlloy[],
  objectives: SuccessObjectives,
  space: DesignSpace,
  count: number,
): Float64Array[] {
  return measured
    .filter((a) => usesOnlyElements(a.composition, space.elements))
    .map((a) => ({ x: toFractions(a.composition, space.elements), score: successScore(a, objectives) }))
    .filter((a) => a.score > 0 && isLegal(a.x, space))
    .sort((a, b) => b.score - a.score)
    .slice(0, count)
    .map((a) => a.x);
}

/** Euclidean distance in at.% from x to the nearest anchor (Infinity without anchors). */
export function distanceToAnchors(x: ArrayLike<number>, anchors: readonly ArrayLike<number>[]): number {
  let best = Infinity;
  for (const a of anchors) {
    let s = 0;
    for (let k = 0; k < x.length; k++) {
      const d = (x[k] - a[k]) * 100;
      s += d * d;
    }
    if (s < best) best = s;
  }
  return Math.sqrt(best);
}

/**
 * A legal composition on the grid within `radius` of a random anchor: Gaussian moves of the
 * anchor's elements (zero sum), sometimes a new element at a small fraction; null when no draw
 * of `tries` lands inside.
 */
export function sampleInRegion(anchors: readonly Float64Array[], radius: number, space: DesignSpace, rng: Random, tries = 20): Float64Array | null {
  if (!anchors.length) return null;
  const K = space.elements.length;
  for (let t = 0; t < tries; t++) {
    const anchor = rng.pick(anchors);
    const x = Float64Array.from(anchor);
    const present: number[] = [];
    for (let k = 0; k < K; k++) if (x[k] > PRESENCE_EPS) present.push(k);
    const absent = space.elements.map((_, k) => k).filter((k) => x[k] <= PRESENCE_EPS);
    if (absent.length && present.length < space.maxElements && rng.next() < 0.2) {
      const k = rng.pick(absent);
      const v = Math.min(radius / 2, (space.bounds[space.elements[k]]?.max ?? 100)) * rng.next() / 100;
      x[k] = v;
      present.push(k);
      // Take it from the others in proportion.
      for (const j of present) if (j !== k) x[j] *= 1 - v;
    }
    const sigma = radius / 100 / Math.sqrt(present.length);
    let mean = 0;
    const moves = present.map(() => rng.normal(0, sigma));
    for (const m of moves) mean += m / present.length;
    present.forEach((k, i) => (x[k] = Math.max(0, x[k] + moves[i] - mean)));
    let sum = 0;
    for (let k = 0; k < K; k++) sum += x[k];
    for (let k = 0; k < K; k++) x[k] /= sum;
    const g = roundToGrid(x, space.step);
    if (isLegal(g, space) && distanceToAnchors(g, anchors) <= radius) return g;
  }
  return null;
}

/** What the engine needs of the region for one iteration. */
export interface ActiveTrustRegion {
  anchors: Float64Array[];
  radius: number;
  explorationShare: number;
}
