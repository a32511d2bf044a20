/**
 * How process values move the virtual lab's glass formation (issue 16): a shift of the glass
 * logit, the same for both oracles (smooth and data-grounded), so process matters a little and
 * never more than the composition does.
 *
 * - castingDiameterMm: a thinner rod cools faster. -0.6 logit per doubling of the diameter from
 *   3 mm (1.5 mm: +0.6, 6 mm: -0.6), clamped to ±1.5.
 * - coolingMethod: faster quenches vitrify more easily: melt-spinning +1, suction casting and
 *   water quench +0.3, copper mould 0 (the seed data's usual route), air cooling -0.5, furnace -0.8;
 *   other values 0.
 * - Every other process variable (annealing temperature, time, ...) has no effect here.
 *
 * Without process values the shift is 0: the oracles answer exactly as before.
 */
import type { ProcessValues } from '../src/core/domain/process.js';

export const REFERENCE_DIAMETER_MM = 3;
const DIAMETER_LOGIT_PER_DOUBLING = 0.6;
const MAX_DIAMETER_SHIFT = 1.5;

export const COOLING_LOGIT: Readonly<Record<string, number>> = {
  'melt-spinning': 1,
  suction: 0.3,
  'suction-casting': 0.3,
  'water-quench': 0.3,
  'copper-mould': 0,
  'copper-mold': 0,
  air: -0.5,
  furnace: -0.8,
};

/** The glass-logit shift of a process (0 without process values). */
export function processGlassShift(process: Readonly<ProcessValues> | null | undefined): number {
  if (!process) return 0;
  let shift = 0;
  const d = process.castingDiameterMm;
  if (typeof d === 'number' && d > 0) {
    shift += Math.max(-MAX_DIAMETER_SHIFT, Math.min(MAX_DIAMETER_SHIFT, -DIAMETER_LOGIT_PER_DOUBLING * Math.log2(d / REFERENCE_DIAMETER_MM)));
  }
  const cooling = process.coolingMethod;
  if (typeof cooling === 'string') shift += COOLING_LOGIT[cooling] ?? 0;
  return shift;
}
