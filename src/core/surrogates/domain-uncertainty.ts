/**
 * Uncertainty that knows its domain: surrogates trained on a few hundred alloys are trusted only
 * near them. Two corrections on top of a bundle's predictions, both fitted on out-of-fold data:
 *
 * - the predictive spread of yield strength and elongation grows with the composition distance d
 *   (at.%) to the nearest measured alloy with that property:
 *     std = sqrt((c * s_model)^2 + (a + b * d)^2),
 *   c, a, b chosen to maximise the out-of-fold Gaussian log-likelihood among the settings whose
 *   80 % and 95 % intervals cover 80 % and 95 % of the out-of-fold rows;
 * - P(glass) shrinks toward a far-field prior p0 with the distance d to the nearest alloy with a
 *   glass label: p = p0 + (p_model - p0) * exp(-(d / L)^2), p0 the glass rate of the alloys
 *   farthest from the rest in cross-validation, L the shortest length whose out-of-fold
 *   log-likelihood is within a small tolerance of the best (the data often cannot tell lengths
 *   beyond the distances they contain apart; the shortest one they do not reject is the cautious
 *   choice for designs farther out than any held-out alloy).
 *
 * Distance: Euclidean over every element, in at.%. A design state is a fraction vector over the
 * campaign's elements; a reference alloy's elements outside the campaign count in full.
 */
import type { Composition } from '../chemistry/types.js';
import type { MeasuredAlloy } from '../domain/measured-alloy.js';
import type { SurrogatePredictions, Surrogates } from '../domain/predictions.js';
import { SurrogateBundle, type BundleCrossValidation, type BundleTrainOptions, type ModelCrossValidation } from './bundle.js';

/** Two-sided normal quantiles of the reported intervals. */
const Z80 = 1.2815515655446004;
const Z95 = 1.959963984540054;

export interface IntervalCoverage {
  /** Share of rows inside mean ± 1.2816 std. */
  coverage80: number;
  /** Share of rows inside mean ± 1.96 std. */
  coverage95: number;
  /** Mean Gaussian negative log-likelihood per row. */
  nll: number;
}

export interface PropertyCalibration {
  /** std = sqrt((modelScale * s_model)^2 + (offset + slope * d)^2), d in at.%. */
  modelScale: number;
  offset: number;
  /** Units of the property per at.% of distance. */
  slope: number;
  /** Out-of-fold rows the fit used. */
  n: number;
  /** Out-of-fold figures (in-sample for these three parameters): the model's own spread, the best fit without the distance term (slope 0), and the fit. */
  outOfFold: { model: IntervalCoverage; withoutDistance: IntervalCoverage; calibrated: IntervalCoverage };
  /** The same fit without the distance term, for comparison. */
  withoutDistance: { modelScale: number; offset: number };
}

export interface GlassCalibration {
  /** P(glass) far from every labelled alloy. */
  farFieldPGlass: number;
  /** Length (at.%) of the shrink exp(-(d / L)^2); Infinity = none (stored as null in JSON). */
  length: number | null;
  n: number;
  /** Mean out-of-fold log-loss of the classifier, and after the shrink. */
  outOfFold: { logLoss: number; calibratedLogLoss: number };
}

/** JSON-serialisable. */
export interface DomainCalibration {
  kind: 'domain-calibration';
  yieldStrength: PropertyCalibration;
  elongation: PropertyCalibration;
  glass: GlassCalibration;
}

export interface CalibrationOptions {
  featureNames: readonly string[];
  seed: number;
  folds: number;
  /** SurrogateBundle.crossValidate on the same alloys: its out-of-fold predictions are reused. */
  cv?: BundleCrossValidation;
  /** Other bundle options, used only when cv is not given. */
  bundle?: Partial<BundleTrainOptions>;
  /** Fix the far-field P(glass) instead of taking it from the data. */
  farFieldPGlass?: number;
  /** Share of the labelled alloys, farthest from the rest, whose glass rate is the far-field prior (default 0.1). */
  farFieldShare?: number;
  /** Out-of-fold log-loss (nats per alloy) a shorter glass length may cost over the best one (default 0.001). */
  glassLossTolerance?: number;
}

// ---------------------------------------------------------------------------------------------
// Compositions as sparse at.% vectors over a shared element index

interface SparseSet {
  /** Element indices and at.% per alloy, concatenated; alloy j spans start[j]..start[j+1]. */
  index: Int32Array;
  value: Float64Array;
  start: Int32Array;
  /** Squared norm per alloy. */
  norm2: Float64Array;
  size: number;
}

function sparseSet(compositions: readonly Composition[], elementIndex: Map<string, number>): SparseSet {
  const index: number[] = [];
  const value: number[] = [];
  const start = new Int32Array(compositions.length + 1);
  const norm2 = new Float64Array(compositions.length);
  compositions.forEach((c, j) => {
    let total = 0;
    for (const v of Object.values(c)) total += v;
    for (const [el, v] of Object.entries(c)) {
      if (!(v > 0)) continue;
      let e = elementIndex.get(el);
      if (e === undefined) elementIndex.set(el, (e = elementIndex.size));
      const pct = (100 * v) / total;
      index.push(e);
      value.push(pct);
      norm2[j] += pct * pct;
    }
    start[j + 1] = index.length;
  });
  return { index: Int32Array.from(index), value: Float64Array.from(value), start, norm2, size: compositions.length };
}

/**
 * For each alloy, the distance (at.%) to the nearest alloy of the same set in another fold: what
 * a model trained without the alloy's fold had seen nearest to it.
 */
export function outOfFoldNearestDistance(compositions: readonly Composition[], folds: ArrayLike<number>): Float64Array {
  const set = sparseSet(compositions, new Map());
  const n = set.size;
  const best = new Float64Array(n).fill(Infinity);
  let dims = 0;
  for (const e of set.index) dims = Math.max(dims, e + 1);
  const dense = new Float64Array(dims);
  for (let i = 0; i < n; i++) {
    for (let q = set.start[i]; q < set.start[i + 1]; q++) dense[set.index[q]] = set.value[q];
    const fi = folds[i];
    for (let j = i + 1; j < n; j++) {
      if (folds[j] === fi) continue;
      let dot = 0;
      for (let q = set.start[j]; q < set.start[j + 1]; q++) dot += dense[set.index[q]] * set.value[q];
      const d2 = set.norm2[i] + set.norm2[j] - 2 * dot;
      if (d2 < best[i]) best[i] = d2;
      if (d2 < best[j]) best[j] = d2;
    }
    for (let q = set.start[i]; q < set.start[i + 1]; q++) dense[set.index[q]] = 0;
  }
  for (let i = 0; i < n; i++) best[i] = Math.sqrt(Math.max(best[i], 0));
  return best;
}

// ---------------------------------------------------------------------------------------------
// Fitting

/** Coverage and Gaussian NLL of mean ± z std over rows. */
export function intervalCoverage(y: ArrayLike<number>, mean: ArrayLike<number>, std: ArrayLike<number>): IntervalCoverage {
  const n = y.length;
  let in80 = 0;
  let in95 = 0;
  let nll = 0;
  for (let i = 0; i < n; i++) {
    const s = Math.max(std[i], 1e-9);
    const z = Math.abs(y[i] - mean[i]) / s;
    if (z <= Z80) in80++;
    if (z <= Z95) in95++;
    nll += 0.5 * z * z + Math.log(s) + 0.9189385332046727;
  }
  return { coverage80: in80 / n, coverage95: in95 / n, nll: nll / n };
}

/** The calibrated spread (see PropertyCalibration). */
export function calibratedStd(c: Pick<PropertyCalibration, 'modelScale' | 'offset' | 'slope'>, modelStd: number, distance: number): number {
  const m = c.modelScale * modelStd;
  const t = c.offset + c.slope * distance;
  return Math.sqrt(m * m + t * t);
}

const linspace = (lo: number, hi: number, n: number) => Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));

function quantile(values: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(values).sort();
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))] : NaN;
}

/**
 * Grid search for (modelScale, offset, slope): the best out-of-fold log-likelihood among the
 * settings whose 80 % / 95 % coverage is within 2.5 / 1.5 points of nominal (or, when none is,
 * the smallest coverage error).
 */
export function fitPropertyCalibration(y: ArrayLike<number>, mean: ArrayLike<number>, modelStd: ArrayLike<number>, distance: ArrayLike<number>): PropertyCalibration {
  const n = y.length;
  if (n < 3) throw new RangeError('too few out-of-fold rows to calibrate');
  const absRes = Float64Array.from({ length: n }, (_, i) => Math.abs(y[i] - mean[i]));
  const resScale = Math.max(quantile(absRes, 0.9), 1e-6);
  const dScale = Math.max(quantile(distance, 0.9), 1e-6);
  const scales = linspace(0, 3, 13);
  const offsets = linspace(0, 1.5 * resScale, 31).slice(1);
  const slopes = linspace(0, (2 * resScale) / dScale, 31);
  const std = new Float64Array(n);
  const search = (slopeGrid: number[]) => {
    let best: { c: number; a: number; b: number; fit: IntervalCoverage; feasible: boolean; err: number } | null = null;
    for (const c of scales) {
      for (const a of offsets) {
        for (const b of slopeGrid) {
          for (let i = 0; i < n; i++) std[i] = calibratedStd({ modelScale: c, offset: a, slope: b }, modelStd[i], distance[i]);
          const fit = intervalCoverage(y, mean, std);
          const err = Math.abs(fit.coverage80 - 0.8) + Math.abs(fit.coverage95 - 0.95);
          const feasible = Math.abs(fit.coverage80 - 0.8) <= 0.025 && Math.abs(fit.coverage95 - 0.95) <= 0.015;
          const better =
            !best ||
            (feasible && !best.feasible) ||
            (feasible === best.feasible && (feasible ? fit.nll < best.fit.nll : err < best.err - 1e-12 || (Math.abs(err - best.err) <= 1e-12 && fit.nll < best.fit.nll)));
          if (better) best = { c, a, b, fit, feasible, err };
        }
      }
    }
    return best!;
  };
  const full = search(slopes);
  const flat = search([0]);
  return {
    modelScale: full.c,
    offset: full.a,
    slope: full.b,
    n,
    outOfFold: { model: intervalCoverage(y, mean, modelStd), withoutDistance: flat.fit, calibrated: full.fit },
    withoutDistance: { modelScale: flat.c, offset: flat.a },
  };
}

/** The shrunk P(glass) (see GlassCalibration). */
export function shrinkPGlass(g: Pick<GlassCalibration, 'farFieldPGlass' | 'length'>, p: number, distance: number): number {
  if (g.length === null || !Number.isFinite(g.length)) return p;
  const r = distance / g.length;
  return g.farFieldPGlass + (p - g.farFieldPGlass) * Math.exp(-r * r);
}

function logLoss(labels: ArrayLike<number>, p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < labels.length; i++) {
    const q = Math.min(1 - 1e-6, Math.max(1e-6, p[i]));
    s -= labels[i] === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return s / labels.length;
}

export function fitGlassCalibration(
  labels: ArrayLike<number>,
  pModel: ArrayLike<number>,
  distance: ArrayLike<number>,
  opts: { farFieldPGlass?: number; farFieldShare?: number; glassLossTolerance?: number } = {},
): GlassCalibration {
  const n = labels.length;
  if (n < 3) throw new RangeError('too few out-of-fold rows to calibrate');
  let p0 = opts.farFieldPGlass;
  if (p0 === undefined) {
    // Glass rate of the alloys farthest from the rest, kept away from 0 and 1.
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => distance[b] - distance[a]);
    const far = order.slice(0, Math.max(1, Math.round((opts.farFieldShare ?? 0.1) * n)));
    p0 = Math.min(0.5, Math.max(0.01, far.reduce((s, i) => s + labels[i], 0) / far.length));
  }
  const base = logLoss(labels, pModel);
  const shrunk = new Float64Array(n);
  const lengths = [0.5, 1, 1.5, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 70, 100];
  const losses = lengths.map((L) => {
    for (let i = 0; i < n; i++) shrunk[i] = shrinkPGlass({ farFieldPGlass: p0, length: L }, pModel[i], distance[i]);
    return logLoss(labels, shrunk);
  });
  const best = Math.min(base, ...losses);
  const q = losses.findIndex((loss) => loss <= best + (opts.glassLossTolerance ?? 0.001));
  return { farFieldPGlass: p0, length: q < 0 ? null : lengths[q], n, outOfFold: { logLoss: base, calibratedLogLoss: q < 0 ? base : losses[q] } };
}

/** Fit the calibration from out-of-fold predictions (reusing `cv` when given, else one CV of the bundle). */
export function calibrateDomainUncertainty(alloys: readonly MeasuredAlloy[], opts: CalibrationOptions): DomainCalibration {
  const cv =
    opts.cv ??
    SurrogateBundle.crossValidate([...alloys], { ...opts.bundle, featureNames: opts.featureNames, seed: opts.seed, folds: opts.folds });
  const distances = (m: ModelCrossValidation) =>
    outOfFoldNearestDistance(
      Array.from(m.rows, (r) => alloys[r].composition),
      m.folds,
    );
  const property = (m: BundleCrossValidation['yieldStrength' | 'elongation'], value: (a: MeasuredAlloy) => number | null) =>
    fitPropertyCalibration(
      Array.from(m.rows, (r) => value(alloys[r])!),
      m.oof,
      m.oofStd,
      distances(m),
    );
  const glass = cv.classifier;
  return {
    kind: 'domain-calibration',
    yieldStrength: property(cv.yieldStrength, (a) => a.yieldStrengthMPa),
    elongation: property(cv.elongation, (a) => a.elongationPct),
    glass: fitGlassCalibration(
      Array.from(glass.rows, (r) => (alloys[r].isGlass ? 1 : 0)),
      glass.oof,
      distances(glass),
      opts,
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// Applying: nearest reference alloy of a design state, fast

/**
 * Reference alloys projected on the campaign's elements: at.% inside (row-major, m per alloy) and
 * the squared at.% outside. Two lower bounds on a state's squared distance prune the search: the
 * outside part alone, and the gap in one inside coordinate (the one that varies most, e.g. the
 * base element's at.%). So the references sit in tiers of outside mass (a tier is skipped once its
 * smallest outside part exceeds the best distance found), each tier sorted by that coordinate and
 * scanned outward from the state's value until the gap rules out the rest.
 */
interface Tier {
  inside: Float64Array;
  outside2: Float64Array;
  /** Sort coordinate per reference, ascending. */
  key: Float64Array;
  minOutside2: number;
  size: number;
}

interface ReferenceSet {
  tiers: Tier[];
  keyColumn: number;
}

/** Upper bounds (squared at.%) of the outside-mass tiers. */
const TIER_BOUNDS = [1e-9, 4, 25, 100, 400, Infinity];

function referenceSet(compositions: readonly Composition[], elements: readonly string[]): ReferenceSet {
  const m = elements.length;
  const col = new Map(elements.map((e, j) => [e, j]));
  const seen = new Set<string>();
  const rows: { inside: Float64Array; outside2: number }[] = [];
  for (const c of compositions) {
    let total = 0;
    for (const v of Object.values(c)) total += v;
    if (!(total > 0)) continue;
    const inside = new Float64Array(m);
    let outside2 = 0;
    for (const [el, v] of Object.entries(c)) {
      const pct = (100 * v) / total;
      const j = col.get(el);
      if (j === undefined) outside2 += pct * pct;
      else inside[j] = pct;
    }
    const id = `${Array.from(inside, (v) => v.toFixed(6)).join(',')}|${outside2.toFixed(6)}`;
    if (seen.has(id)) continue;
    seen.add(id);
    rows.push({ inside, outside2 });
  }
  // The coordinate with the largest variance over the references.
  let keyColumn = 0;
  let bestVar = -1;
  for (let j = 0; j < m; j++) {
    let s = 0;
    let s2 = 0;
    for (const r of rows) {
      s += r.inside[j];
      s2 += r.inside[j] * r.inside[j];
    }
    const v = rows.length ? s2 / rows.length - (s / rows.length) ** 2 : 0;
    if (v > bestVar) [bestVar, keyColumn] = [v, j];
  }
  const tiers: Tier[] = [];
  let lower = -Infinity;
  for (const upper of TIER_BOUNDS) {
    const members = rows.filter((r) => r.outside2 > lower && r.outside2 <= upper).sort((a, b) => a.inside[keyColumn] - b.inside[keyColumn]);
    lower = upper;
    if (members.length === 0) continue;
    const inside = new Float64Array(members.length * m);
    members.forEach((r, i) => inside.set(r.inside, i * m));
    const outside2 = Float64Array.from(members, (r) => r.outside2);
    tiers.push({ inside, outside2, key: Float64Array.from(members, (r) => r.inside[keyColumn]), minOutside2: Math.min(...outside2), size: members.length });
  }
  return { tiers, keyColumn };
}

/** The largest Euclidean distance between two compositions in at.% (two different pure elements). */
export const MAX_COMPOSITION_DISTANCE = 100 * Math.SQRT2;

/** Distance (at.%) from each state (fractions over the campaign's elements) to the nearest reference (MAX_COMPOSITION_DISTANCE for an empty set). */
function nearest(ref: ReferenceSet, m: number, states: readonly Float64Array[], out: Float64Array): Float64Array {
  const x = new Float64Array(m);
  for (let s = 0; s < states.length; s++) {
    const st = states[s];
    for (let j = 0; j < m; j++) x[j] = 100 * st[j];
    const xk = x[ref.keyColumn];
    let best = Infinity;
    for (const { inside, outside2, key, minOutside2, size } of ref.tiers) {
      if (minOutside2 >= best) break; // tiers come in increasing outside mass
      // First reference with key >= xk.
      let lo = 0;
      let hi = size;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (key[mid] < xk) lo = mid + 1;
        else hi = mid;
      }
      let up = lo;
      let down = lo - 1;
      // Scan outward, nearer key first, until the key gap (plus the tier's least outside part) rules out the rest.
      while (up < size || down >= 0) {
        const gapUp = up < size ? key[up] - xk : Infinity;
        const gapDown = down >= 0 ? xk - key[down] : Infinity;
        const gap = gapUp <= gapDown ? gapUp : gapDown;
        const r = gapUp <= gapDown ? up++ : down--;
        if (gap * gap + minOutside2 >= best) break;
        let d2 = outside2[r];
        const o = r * m;
        for (let j = 0; j < m && d2 < best; j++) {
          const d = x[j] - inside[o + j];
          d2 += d * d;
        }
        if (d2 < best) best = d2;
      }
    }
    out[s] = Math.min(Math.sqrt(best), MAX_COMPOSITION_DISTANCE);
  }
  return out;
}

export type DomainAwareSurrogates = Surrogates & {
  /** Distance (at.%) to the nearest reference alloy with any measurement (glass label, yield or elongation). */
  nearestDistance(states: readonly Float64Array[]): Float64Array;
  /** Distance (at.%) to the nearest reference alloy with each measurement. */
  distances(states: readonly Float64Array[]): { glass: Float64Array; yieldStrength: Float64Array; elongation: Float64Array };
};

/**
 * Surrogates bound to `elements` whose yield and elongation spreads grow, and whose P(glass)
 * shrinks toward the far-field prior, with the distance to the nearest `reference` alloy that has
 * that measurement.
 */
export function withDomainUncertainty(
  base: Surrogates,
  reference: readonly MeasuredAlloy[],
  elements: readonly string[],
  calibration: DomainCalibration,
): DomainAwareSurrogates {
  const m = elements.length;
  const setOf = (keep: (a: MeasuredAlloy) => boolean) =>
    referenceSet(
      reference.filter(keep).map((a) => a.composition),
      elements,
    );
  const glassRef = setOf((a) => a.isGlass !== null);
  const yieldRef = setOf((a) => a.yieldStrengthMPa !== null && Number.isFinite(a.yieldStrengthMPa));
  const elongRef = setOf((a) => a.elongationPct !== null && Number.isFinite(a.elongationPct));
  const anyRef = setOf((a) => a.isGlass !== null || a.yieldStrengthMPa !== null || a.elongationPct !== null);
  const { yieldStrength: yc, elongation: ec, glass: gc } = calibration;
  const distances = (states: readonly Float64Array[]) => ({
    glass: nearest(glassRef, m, states, new Float64Array(states.length)),
    yieldStrength: nearest(yieldRef, m, states, new Float64Array(states.length)),
    elongation: nearest(elongRef, m, states, new Float64Array(states.length)),
  });
  return {
    distances,
    predictFractions(states: readonly Float64Array[]): SurrogatePredictions {
      const p = base.predictFractions(states);
      const n = states.length;
      const { glass: dG, yieldStrength: dY, elongation: dE } = distances(states);
      const pGlass = new Float64Array(n);
      const yieldStd = new Float64Array(n);
      const elongationStd = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        pGlass[i] = shrinkPGlass(gc, p.pGlass[i], dG[i]);
        yieldStd[i] = calibratedStd(yc, p.yieldStd[i], dY[i]);
        elongationStd[i] = calibratedStd(ec, p.elongationStd[i], dE[i]);
      }
      return { pGlass, yieldMean: p.yieldMean, yieldStd, elongationMean: p.elongationMean, elongationStd };
    },
    nearestDistance(states: readonly Float64Array[]): Float64Array {
      return nearest(anyRef, m, states, new Float64Array(states.length));
    },
  };
}
