/**
 * Local evidence (our addition): what the lab has measured near a candidate corrects what the
 * surrogates guess there. The surrogates are fitted on every alloy at once, so a handful of the
 * campaign's own results barely moves them; a failed batch next to a published success would
 * otherwise be followed by another one just like it.
 *
 * For each factor of success (glass, then each target; glass only when the campaign requires it) the model's probability p
 * is blended with the measured outcomes y_i (1 met, 0 missed) of the alloys of the space where
 * that factor was measured, weighted by a Gaussian kernel of their distance (Euclidean, at.%):
 *
 *     p' = (m p + sum_i w_i y_i) / (m + sum_i w_i),   w_i = exp(-d_i^2 / (2 h^2))
 *
 * m (priorWeight) is how many coinciding measurements the model's guess is worth; h (bandwidth)
 * how far a measurement speaks. Far from every measurement p' = p. The product of the blended
 * factors is the proposal's success probability.
 */
import type { DesignSpace } from '../domain/design-space.js';
import type { MeasuredAlloy } from '../domain/measured-alloy.js';
import { objectiveOutcomes, type SuccessObjectives } from '../domain/success.js';
import { toFractions, usesOnlyElements } from '../domain/composition-grid.js';

export interface LocalEvidenceConfig {
  /** Kernel bandwidth h, at.% (0 = no local evidence). */
  bandwidth: number;
  /** Weight m of the model's probability, in coinciding measurements. */
  priorWeight: number;
}

export const DEFAULT_LOCAL_EVIDENCE_CONFIG: LocalEvidenceConfig = { bandwidth: 2, priorWeight: 2 };

export class LocalEvidence {
  private constructor(
    private readonly points: Float64Array[],
    private readonly outcomes: (boolean | null)[][],
    private readonly config: LocalEvidenceConfig,
  ) {}

  /** The measured alloys of the space (only its elements) with at least one factor measured. */
  static fromMeasured(measured: readonly MeasuredAlloy[], space: DesignSpace, objectives: SuccessObjectives, config: LocalEvidenceConfig = DEFAULT_LOCAL_EVIDENCE_CONFIG): LocalEvidence {
    const points: Float64Array[] = [];
    const outcomes: (boolean | null)[][] = [];
    for (const a of measured) {
      if (!usesOnlyElements(a.composition, space.elements)) continue;
      // Factors line up with the proposals' [glass, ...targets]; glass has no evidence when not required.
      const o = objectives.requireGlass ? objectiveOutcomes(a, objectives) : [null, ...objectiveOutcomes(a, objectives)];
      if (o.every((v) => v === null)) continue;
      points.push(toFractions(a.composition, space.elements));
      outcomes.push(o);
    }
    return new LocalEvidence(points, outcomes, config);
  }

  get size(): number {
    return this.points.length;
  }

  /** The model's factor probabilities at x (fractions over the space's elements), blended with the measurements near it. */
  blend(x: ArrayLike<number>, modelFactors: readonly number[]): number[] {
    const { bandwidth: h, priorWeight: m } = this.config;
    if (!(h > 0) || this.points.length === 0) return [...modelFactors];
    const sums = modelFactors.map((p) => m * p);
    const weights = modelFactors.map(() => m);
    const cutoff = 9 * h * h; // beyond 3 h a measurement weighs < 1 %
    for (let i = 0; i < this.points.length; i++) {
      const q = this.points[i];
      let d2 = 0;
      for (let k = 0; k < q.length && d2 <= cutoff; k++) {
        const d = (x[k] - q[k]) * 100;
        d2 += d * d;
      }
      if (d2 > cutoff) continue;
      const w = Math.exp(-d2 / (2 * h * h));
      const o = this.outcomes[i];
      for (let f = 0; f < sums.length; f++) {
        if (o[f] === null || o[f] === undefined) continue;
        weights[f] += w;
        if (o[f]) sums[f] += w;
      }
    }
    return sums.map((s, f) => s / weights[f]);
  }
}
