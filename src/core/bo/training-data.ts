/**
 * Which measured alloys the BO models learn from, and how an alloy becomes a model input.
 *
 * Input: the atomic fractions over the campaign's elements plus one coordinate for the share of
 * every other element (0 for a composition of the space), so an alloy with a little of a foreign
 * element sits a little away from the space instead of being projected into it.
 * Relevance: alloys with at most `maxOutside` of foreign elements. Order: nearest first to the
 * promising region (the `anchors` best alloys by the caller's score, glass formers first among
 * equals), so a cap on the number of
 * training alloys keeps the neighbourhood of the best alloys when the literature is imported.
 */
import type { Composition } from '../chemistry/types.js';
import type { MeasuredAlloy } from '../domain/measured-alloy.js';
import { shareInElements } from '../domain/composition-grid.js';

/** Fractions over `elements` (of the whole alloy) followed by the share outside them. */
export function boInput(c: Composition, elements: readonly string[]): Float64Array {
  const x = new Float64Array(elements.length + 1);
  let total = 0;
  for (const v of Object.values(c)) if (v > 0) total += v;
  if (total <= 0) return x;
  elements.forEach((el, i) => (x[i] = Math.max(0, c[el] ?? 0) / total));
  x[elements.length] = Math.max(0, 1 - shareInElements(c, elements));
  return x;
}

/** The same for a fraction vector of the space (nothing outside). */
export function boInputFromFractions(fractions: ArrayLike<number>): Float64Array {
  const x = new Float64Array(fractions.length + 1);
  for (let i = 0; i < fractions.length; i++) x[i] = fractions[i];
  return x;
}

export interface RelevantAlloys {
  alloys: MeasuredAlloy[];
  inputs: Float64Array[];
  /** Alloys left out for their share of foreign elements. */
  foreign: number;
}

export function relevantAlloys(
  measured: readonly MeasuredAlloy[],
  elements: readonly string[],
  options: { maxOutside: number; anchors: number; score: (a: MeasuredAlloy) => number },
): RelevantAlloys {
  const kept: { alloy: MeasuredAlloy; input: Float64Array; score: number; index: number; distance: number }[] = [];
  measured.forEach((alloy, index) => {
    const input = boInput(alloy.composition, elements);
    if (input.every((v) => v === 0) || input[elements.length] > options.maxOutside + 1e-9) return;
    kept.push({ alloy, input, score: options.score(alloy), index, distance: 0 });
  });
  // Best score first; among equals (e.g. glass labels only) glass formers first.
  const glassFirst = (a: MeasuredAlloy) => (a.isGlass === true ? 0 : 1);
  const anchors = [...kept].sort((a, b) => b.score - a.score || glassFirst(a.alloy) - glassFirst(b.alloy) || a.index - b.index).slice(0, options.anchors);
  for (const k of kept) {
    let best = Infinity;
    for (const a of anchors) {
      let s = 0;
      for (let d = 0; d < k.input.length; d++) s += (k.input[d] - a.input[d]) ** 2;
      best = Math.min(best, s);
    }
    k.distance = best;
  }
  kept.sort((a, b) => a.distance - b.distance || a.index - b.index);
  return { alloys: kept.map((k) => k.alloy), inputs: kept.map((k) => k.input), foreign: measured.length - kept.length };
}

/** The first `cap` alloys (in the given order) that have a value for `value`, with their inputs and values. */
export function labelled<T>(data: RelevantAlloys, value: (a: MeasuredAlloy) => T | null | undefined, cap: number): { inputs: Float64Array[]; values: T[] } {
  const inputs: Float64Array[] = [];
  const values: T[] = [];
  for (let i = 0; i < data.alloys.length && inputs.length < cap; i++) {
    const v = value(data.alloys[i]);
    if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) continue;
    inputs.push(data.inputs[i]);
    values.push(v);
  }
  return { inputs, values };
}
