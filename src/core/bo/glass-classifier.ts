/**
 * Glass formation as Gaussian-process least-squares classification with a calibrated probit link
 * (Rasmussen & Williams 2006, sec. 6.5): a GP regression with prior mean 0 and signal variance 1 on
 * the labels (+1 glass, -1 not; not centred on the labels' mean, since published seeds
 * over-represent glass formers), then
 *
 *   P(glass | x) = Phi((a mu(x) + b) / sqrt(1 + a^2 s^2(x)))
 *
 * with mu, s^2 the GP's predictive mean and variance (observation noise included) and a, b
 * maximising the leave-one-out log likelihood of the labels (closed-form LOO predictions, R&W
 * eq. 5.12). Far from every labelled alloy mu returns to 0 and s^2 grows to the prior, so P(glass)
 * drifts towards Phi(b / sqrt(1 + a^2 s^2)), near even odds; next to labelled alloys it follows them.
 * With labels of one class only (the published seeds of a space are often all glass formers)
 * there is nothing to calibrate and the marginal likelihood would spread the class over the whole
 * space: the GP then has a prior mean of 0 (even odds) and fixed hyperparameters
 * (ONE_CLASS_PRIOR: the correlation halves about 10 at.% away), with a = 2, b = 0, so P(glass)
 * is about 0.9 next to the labelled alloys and falls back to 0.5 away from them. No labels: 0.5.
 */
import { normalCdf } from '../util/normal.js';
import { GaussianProcess, type GpFitOptions, type GpHyperparameters } from './gaussian-process.js';

export const GLASS_LABEL = 1;
export const NOT_GLASS_LABEL = -1;

/** Hyperparameters of the one-class GP (fraction space): lengthscale 0.1 = 10 at.% (Euclidean). */
export const ONE_CLASS_PRIOR: GpHyperparameters = { lengthscale: 0.1, signalVariance: 1, noiseRatio: 0.1 };
const ONE_CLASS_SLOPE = 2;
/** Labels as they are: the latent's prior mean is 0, even odds where no label is near. */
const EVEN_ODDS = { mean: 0, scale: 1 };

const SLOPES = [0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8];
const OFFSETS = Array.from({ length: 21 }, (_, i) => -2 + i * 0.2);

export class GlassClassifier {
  private constructor(
    /** Null without labels. */
    readonly gp: GaussianProcess | null,
    readonly slope: number,
    readonly offset: number,
    readonly labels: number,
  ) {}

  static fit(inputs: readonly ArrayLike<number>[], isGlass: readonly boolean[], options: Partial<GpFitOptions> = {}): GlassClassifier {
    if (isGlass.length === 0) return new GlassClassifier(null, 0, 0, 0);
    const glasses = isGlass.filter(Boolean).length;
    const y = isGlass.map((g) => (g ? GLASS_LABEL : NOT_GLASS_LABEL));
    if (glasses === 0 || glasses === isGlass.length) {
      const gp = GaussianProcess.fit(inputs, y, { hyperparameters: ONE_CLASS_PRIOR, standardisation: EVEN_ODDS });
      return new GlassClassifier(gp, ONE_CLASS_SLOPE, 0, isGlass.length);
    }
    const gp = GaussianProcess.fit(inputs, y, { ...options, standardisation: EVEN_ODDS, signalVariance: 1 });
    const loo = gp.leaveOneOut();
    let best = { slope: 1, offset: 0, ll: -Infinity };
    for (const slope of SLOPES) {
      for (const offset of OFFSETS) {
        let ll = 0;
        for (let i = 0; i < y.length; i++) {
          const p = normalCdf((slope * loo.mean[i] + offset) / Math.sqrt(1 + slope * slope * loo.variance[i]));
          ll += Math.log(Math.min(Math.max(y[i] > 0 ? p : 1 - p, 1e-12), 1));
        }
        if (ll > best.ll) best = { slope, offset, ll };
      }
    }
    return new GlassClassifier(gp, best.slope, best.offset, isGlass.length);
  }

  /** P(glass) from the GP's standardised latent posterior (mean, variance without noise). */
  probability(meanStandardised: number, varianceStandardised: number): number {
    if (!this.gp) return 0.5;
    const mu = this.gp.toTargetUnits(meanStandardised);
    const s2 = (varianceStandardised + this.gp.noiseVariance) * this.gp.targetScale ** 2;
    return normalCdf((this.slope * mu + this.offset) / Math.sqrt(1 + this.slope * this.slope * s2));
  }

  /** The fantasy of an experiment that does not form a glass: the label -1 (standardised). */
  missValue(): number {
    return this.gp ? this.gp.toStandardised(NOT_GLASS_LABEL) : 0;
  }
}
