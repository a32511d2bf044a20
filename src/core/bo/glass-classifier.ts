/**
 * Glass formation as Gaussian-process least-squares classification with a calibrated probit link
 * (Rasmussen & Williams 2006, sec. 6.5): a GP regression on the labels (+1 glass, -1 not), then
 *
 *   P(glass | x) = Phi((a mu(x) + b) / sqrt(1 + a^2 s^2(x)))
 *
 * with mu, s^2 the GP's predictive mean and variance (observation noise included) and a, b
 * maximising the leave-one-out log likelihood of the labels (closed-form LOO predictions, R&W
 * eq. 5.12). Far from every labelled alloy s^2 grows to the prior and P(glass) drifts to the
 * prior rate, with the uncertainty showing; next to labelled alloys it follows them.
 * With labels of one class only (or none) there is nothing to calibrate: P(glass) is the
 * Laplace rule (glasses + 1) / (labels + 2) everywhere.
 */
import { normalCdf } from '../util/normal.js';
import { GaussianProcess, type GpFitOptions } from './gaussian-process.js';

export const GLASS_LABEL = 1;
export const NOT_GLASS_LABEL = -1;

const SLOPES = [0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8];
const OFFSETS = Array.from({ length: 21 }, (_, i) => -2 + i * 0.2);

export class GlassClassifier {
  private constructor(
    /** Null when the labels are all of one class (or absent). */
    readonly gp: GaussianProcess | null,
    readonly slope: number,
    readonly offset: number,
    /** P(glass) without a GP. */
    readonly constant: number,
    readonly labels: number,
  ) {}

  static fit(inputs: readonly ArrayLike<number>[], isGlass: readonly boolean[], options: Partial<GpFitOptions> = {}): GlassClassifier {
    const glasses = isGlass.filter(Boolean).length;
    const constant = (glasses + 1) / (isGlass.length + 2);
    if (glasses === 0 || glasses === isGlass.length) return new GlassClassifier(null, 0, 0, constant, isGlass.length);
    const y = isGlass.map((g) => (g ? GLASS_LABEL : NOT_GLASS_LABEL));
    const gp = GaussianProcess.fit(inputs, y, options);
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
    return new GlassClassifier(gp, best.slope, best.offset, constant, isGlass.length);
  }

  /** P(glass) from the GP's standardised latent posterior (mean, variance without noise). */
  probability(meanStandardised: number, varianceStandardised: number): number {
    if (!this.gp) return this.constant;
    const mu = this.gp.toTargetUnits(meanStandardised);
    const s2 = (varianceStandardised + this.gp.noiseVariance) * this.gp.targetScale ** 2;
    return normalCdf((this.slope * mu + this.offset) / Math.sqrt(1 + this.slope * this.slope * s2));
  }

  /** The fantasy of an experiment that does not form a glass: the label -1 (standardised). */
  missValue(): number {
    return this.gp ? this.gp.toStandardised(NOT_GLASS_LABEL) : 0;
  }
}
