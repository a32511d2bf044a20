/**
 * AMR's second trigger: the lab disagrees with the surrogates. The latest measured experiments
 * are compared with the predictions they were proposed with; a result lies outside when its
 * yield strength or elongation falls outside the 95 % interval (mean ± 1.96 sd) of its
 * prediction. The check fires when the share outside exceeds the campaign's threshold.
 */
import type { RefinementCheck } from './amr.js';
import { Z95 } from '../util/normal.js';


export interface PredictedOutcome {
  predicted: { yieldStrengthMPa: number; yieldStrengthStd: number; elongationPct: number; elongationStd: number };
  measured: { yieldStrengthMPa: number | null; elongationPct: number | null };
}

export function labDisagreement(outcomes: readonly PredictedOutcome[], threshold: number): Extract<RefinementCheck, { kind: 'lab' }> {
  let results = 0;
  let outside = 0;
  let zSum = 0;
  let zCount = 0;
  for (const { predicted: p, measured: m } of outcomes) {
    const zs: number[] = [];
    if (m.yieldStrengthMPa !== null) zs.push(zScore(m.yieldStrengthMPa, p.yieldStrengthMPa, p.yieldStrengthStd));
    if (m.elongationPct !== null) zs.push(zScore(m.elongationPct, p.elongationPct, p.elongationStd));
    if (zs.length === 0) continue;
    results++;
    if (zs.some((z) => z > Z95)) outside++;
    for (const z of zs) {
      zSum += Math.min(z, 1e6);
      zCount++;
    }
  }
  const outsideShare = results > 0 ? outside / results : null;
  return {
    kind: 'lab', results, outside, outsideShare, meanAbsZ: zCount > 0 ? zSum / zCount : null, threshold,
    fired: outsideShare !== null && outsideShare > threshold ? 'lab-disagreement' : null,
  };
}

/** |measured - mean| / sd; a zero sd counts any difference as far outside. */
function zScore(value: number, mean: number, sd: number): number {
  const d = Math.abs(value - mean);
  return sd > 0 ? d / sd : d > 0 ? Infinity : 0;
}
