/**
 * Greedy batch selection with fantasies: pending experiments are conditioned on first (as the
 * acquisition's fantasy mode says), then each pick is the candidate with the highest current
 * P(success) that keeps at least `minDistance` at.% (L1) from every pending composition and every
 * earlier pick; the pick is then conditioned on too, so the next one accounts for it. When no
 * candidate keeps the distance, the rule is dropped for that pick rather than propose too few.
 */
import type { SuccessAcquisition } from './acquisition.js';

export interface BatchPick {
  /** Index into the acquisition's candidates. */
  index: number;
  /** P(success) at the pick, given the pending experiments and earlier picks as fantasies. */
  acquisition: number;
  /** Whether the distance rule had to be dropped for this pick. */
  relaxed: boolean;
}

/** L1 distance in at.% between two fraction vectors (any extra coordinates count too). */
export function l1AtPct(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s * 100;
}

export function selectBatch(
  acquisition: SuccessAcquisition,
  /**
   * dims: the leading coordinates the distance rule compares (the composition's; left out: all).
   * reserve: the batch's last `count` picks are taken among the `eligible` candidates while any is left.
   */
  options: { count: number; minDistance: number; pending: readonly Float64Array[]; dims?: number; reserve?: { eligible: Uint8Array; count: number } },
): BatchPick[] {
  const candidates = acquisition.candidates;
  for (const p of options.pending) acquisition.condition(p);
  const taken = new Uint8Array(candidates.length);
  const picks: BatchPick[] = [];
  const keepAway: Float64Array[] = [...options.pending];
  while (picks.length < options.count) {
    const values = acquisition.values();
    let order = Array.from({ length: candidates.length }, (_, i) => i)
      .filter((i) => !taken[i])
      .sort((a, b) => values[b] - values[a] || a - b);
    const reserve = options.reserve;
    if (reserve && picks.length >= options.count - reserve.count && order.some((i) => reserve.eligible[i])) order = order.filter((i) => reserve.eligible[i]);
    if (order.length === 0) break;
    const part = (x: Float64Array) => (options.dims === undefined ? x : x.subarray(0, options.dims));
    let pick = order.find((i) => keepAway.every((q) => l1AtPct(part(candidates[i]), part(q)) >= options.minDistance - 1e-9));
    const relaxed = pick === undefined;
    if (pick === undefined) pick = order[0];
    taken[pick] = 1;
    picks.push({ index: pick, acquisition: values[pick], relaxed });
    keepAway.push(candidates[pick]);
    acquisition.condition(candidates[pick]);
  }
  return picks;
}
