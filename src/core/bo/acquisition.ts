/**
 * The acquisition: the probability that an experiment meets every objective,
 *
 *   P(success | x) = P(glass | x) * prod_k P(property_k(x) >= threshold_k),
 *
 * each factor from its own Gaussian-process posterior (glass: calibrated least-squares GP
 * classifier; properties: GP regression, measurement noise included), taken as independent.
 * Over a candidate set, every model keeps a FantasyPosterior so pending experiments and earlier
 * picks of the batch can be conditioned on: by default as misses (constant liar with a
 * pessimistic lie: not a glass, and each property at its posterior mean below the threshold,
 * E[y | y < t]), so a pending experiment lowers the acquisition around it and the batch spreads
 * out; 'believer' fantasises the posterior mean instead (kriging believer).
 */
import { normalCdf, truncatedMeanBelow } from '../util/normal.js';
import { FantasyPosterior } from './fantasy-posterior.js';
import { GaussianProcess, type GpFitOptions } from './gaussian-process.js';
import type { GlassClassifier } from './glass-classifier.js';

export type FantasyMode = 'miss' | 'believer';

/** One objective's model: a GP (or none, when there are too few data) and how to read it. */
export interface ObjectiveModel {
  readonly name: string;
  readonly gp: GaussianProcess | null;
  /** P(objective met) from the standardised latent posterior. */
  probability(mean: number, variance: number): number;
  /** The fantasy value (standardised) of an experiment that misses the objective. */
  missValue(mean: number, predictiveVariance: number): number;
  /** Predictive mean and sd (noise included) in the property's units. */
  describe(mean: number, variance: number): { mean: number; std: number };
}

/** A property that must reach a threshold: P(y >= t) under the GP's predictive normal. */
export class ThresholdModel implements ObjectiveModel {
  private constructor(
    readonly name: string,
    readonly gp: GaussianProcess | null,
    readonly threshold: number,
    private readonly fallback: { probability: number; mean: number; std: number },
  ) {}

  /** Below `minPoints` values (or with all values equal) no GP: Laplace-rule probability, sample mean. */
  static fit(name: string, inputs: readonly ArrayLike<number>[], values: readonly number[], threshold: number, options: Partial<GpFitOptions> = {}, minPoints = 3): ThresholdModel {
    const n = values.length;
    const mean = n ? values.reduce((s, v) => s + v, 0) / n : 0;
    const std = n > 1 ? Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1)) : 0;
    const fallback = { probability: (values.filter((v) => v >= threshold).length + 1) / (n + 2), mean, std };
    const gp = n >= minPoints && std > 0 ? GaussianProcess.fit(inputs, values, options) : null;
    return new ThresholdModel(name, gp, threshold, fallback);
  }

  probability(mean: number, variance: number): number {
    if (!this.gp) return this.fallback.probability;
    const t = this.gp.toStandardised(this.threshold);
    return normalCdf((mean - t) / Math.sqrt(variance + this.gp.noiseVariance));
  }

  missValue(mean: number, predictiveVariance: number): number {
    if (!this.gp) return mean;
    return truncatedMeanBelow(mean, Math.sqrt(predictiveVariance), this.gp.toStandardised(this.threshold));
  }

  describe(mean: number, variance: number): { mean: number; std: number } {
    if (!this.gp) return { mean: this.fallback.mean, std: this.fallback.std };
    return { mean: this.gp.toTargetUnits(mean), std: Math.sqrt(variance + this.gp.noiseVariance) * this.gp.targetScale };
  }
}

/** The glass classifier as an objective model. */
export function glassObjective(classifier: GlassClassifier): ObjectiveModel {
  return {
    name: 'glass',
    gp: classifier.gp,
    probability: (mean, variance) => classifier.probability(mean, variance),
    missValue: () => classifier.missValue(),
    describe: (mean, variance) => {
      const p = classifier.probability(mean, variance);
      return { mean: p, std: Math.sqrt(p * (1 - p)) };
    },
  };
}

/** P(success) over a candidate set, conditionable on fantasies (pending experiments, earlier picks). */
export class SuccessAcquisition {
  private readonly posteriors: (FantasyPosterior | null)[];

  /** `factors`: the models whose probabilities multiply into P(success) (others are only reported). */
  constructor(
    readonly models: readonly ObjectiveModel[],
    readonly factors: readonly boolean[],
    readonly candidates: readonly Float64Array[],
    readonly mode: FantasyMode = 'miss',
  ) {
    this.posteriors = models.map((m) => (m.gp ? new FantasyPosterior(m.gp, candidates) : null));
  }

  /** Current P(objective k met) at candidate i. */
  probability(k: number, i: number): number {
    const post = this.posteriors[k];
    return post ? this.models[k].probability(post.mean[i], post.variance[i]) : this.models[k].probability(0, 0);
  }

  /** Current P(success) at candidate i. */
  value(i: number): number {
    let p = 1;
    for (let k = 0; k < this.models.length; k++) if (this.factors[k]) p *= this.probability(k, i);
    return p;
  }

  values(): Float64Array {
    return Float64Array.from({ length: this.candidates.length }, (_, i) => this.value(i));
  }

  /** Current predictive mean and sd of model k at candidate i (property units; glass: probability). */
  describe(k: number, i: number): { mean: number; std: number } {
    const post = this.posteriors[k];
    return post ? this.models[k].describe(post.mean[i], post.variance[i]) : this.models[k].describe(0, 0);
  }

  /** Condition every model on a fantasy experiment at `point`. */
  condition(point: ArrayLike<number>): void {
    this.posteriors.forEach((post, k) => {
      if (!post) return;
      const model = this.models[k];
      post.addFantasy(point, (mean, predictiveVariance) => (this.mode === 'believer' ? mean : model.missValue(mean, predictiveVariance)));
    });
  }
}
