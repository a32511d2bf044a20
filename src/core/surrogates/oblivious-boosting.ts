/**
 * CatBoost-style gradient boosting of oblivious (symmetric) decision trees: a binary classifier
 * (log-loss; output P(class 1)) and a regressor (squared loss; output mean and ensemble spread).
 *
 * Oblivious tree: every node on one depth level uses the same (feature, threshold), so a tree of
 * depth d is d splits plus 2^d leaves, and a row's leaf index is the bit pattern of its d
 * comparisons. That makes trees strongly regularised, and both training (one histogram pass per
 * level) and prediction (d comparisons per tree, no pointer chasing) fast.
 *
 * Training, top to bottom:
 *   1. hold out a stratified, seeded share of the rows for early stopping;
 *   2. quantile-bin each feature (up to `maxBorders` borders) on the training rows;
 *   3. start from the log-odds of the base rate;
 *   4. per iteration: gradients g = p - y and hessians h = p(1 - p) of the log-loss, optionally on
 *      a Bernoulli row subsample; grow one oblivious tree level by level, choosing the split that
 *      maximises the Newton gain summed over all current leaves; leaf values are Newton steps
 *      -G / (H + l2) scaled by the learning rate;
 *   5. stop when the validation log-loss has not improved for `earlyStoppingRounds` trees and
 *      keep the trees up to the best iteration.
 * The regressor follows the same steps with squared loss (g = F - y, h = 1; base score = the
 * mean target; a random rather than stratified hold-out, off by default), see
 * ObliviousBoostingRegressor.
 */
import { Random } from '../util/random.js';
import type { FeatureMatrix, ProbabilisticClassifier, UncertainRegressor } from './types.js';

export interface ObliviousBoostingConfig {
  /** Maximum number of trees. */
  iterations: number;
  /** Shrinkage applied to each tree's leaf values. */
  learningRate: number;
  /** Tree depth (2^depth leaves). */
  depth: number;
  /** L2 regularisation of leaf values (added to the hessian sum). */
  l2LeafReg: number;
  /** Maximum quantile borders per feature (<= 255 so bins fit in a byte). */
  maxBorders: number;
  /** Bernoulli row-sampling rate per tree (1 = use every row). */
  subsample: number;
  /** Share of features considered per tree (CatBoost's rsm; 1 = all). */
  featureSubsample: number;
  /** Share of the training rows held out (stratified) for early stopping; 0 disables it. */
  validationFraction: number;
  /** Stop after this many trees without a better validation log-loss. */
  earlyStoppingRounds: number;
  seed: number;
}

export const DEFAULT_OBLIVIOUS_BOOSTING_CONFIG: ObliviousBoostingConfig = {
  iterations: 800,
  learningRate: 0.08,
  depth: 6,
  l2LeafReg: 3,
  maxBorders: 64,
  subsample: 0.8,
  featureSubsample: 1,
  validationFraction: 0.1,
  earlyStoppingRounds: 50,
  seed: 42,
};

/** One oblivious tree: split k sends a row to bit k = 1 when x[features[k]] > thresholds[k]. */
export interface ObliviousTree {
  features: number[];
  thresholds: number[];
  /** 2^depth leaf values (already multiplied by the learning rate). */
  leaves: number[];
  /** Newton gain of each split (for feature importances). */
  gains: number[];
}

export interface ObliviousBoostingJSON {
  kind: 'oblivious-boosting';
  config: ObliviousBoostingConfig;
  nFeatures: number;
  baseScore: number;
  trees: ObliviousTree[];
  bestIteration: number;
}

/** Squared-loss or log-loss: the gradient, hessian and per-row loss of a raw score. */
type LossKind = 'logloss' | 'squared';

interface BoostingData {
  X: FeatureMatrix;
  trainRows: number[];
  validRows: number[];
  /** Targets of trainRows / validRows (already transformed for regression). */
  yTrain: Float64Array;
  yValid: Float64Array;
  baseScore: number;
}

/**
 * Steps 2, 4 and 5 of the training described at the top, shared by the classifier (log-loss) and
 * the regressor (squared loss). Returns the trees kept (up to the best validation iteration).
 */
function boostTrees(cfg: ObliviousBoostingConfig, loss: LossKind, data: BoostingData, rng: Random): { trees: ObliviousTree[]; bestIteration: number } {
  const { X, trainRows, validRows, yTrain, yValid, baseScore } = data;
  const nFeatures = X[0].length;
  const n = trainRows.length;

  // 2. Quantile borders from the training rows; bins stored column-major (feature f at f * n).
  const borders: Float64Array[] = [];
  for (let f = 0; f < nFeatures; f++) borders.push(quantileBorders(Float64Array.from(trainRows, (i) => X[i][f]), cfg.maxBorders));
  const bins = binRows(X, trainRows, borders);
  const validBins = binRows(X, validRows, borders);
  const nBins = cfg.maxBorders + 1;

  const raw = new Float64Array(n).fill(baseScore);
  const validRaw = new Float64Array(validRows.length).fill(baseScore);
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const leafOf = new Int32Array(n);
  const validLeafOf = new Int32Array(validRows.length);
  const maxLeaves = 1 << cfg.depth;
  // One feature's (leaf, bin) histogram at a time; the deepest level has maxLeaves / 2 leaves.
  const histG = new Float64Array((maxLeaves / 2) * nBins);
  const histH = new Float64Array((maxLeaves / 2) * nBins);
  const score = new Float64Array(nBins);
  const allFeatures = Array.from({ length: nFeatures }, (_, f) => f).filter((f) => borders[f].length > 0);

  const trees: ObliviousTree[] = [];
  let bestLoss = Infinity;
  let bestIter = -1;
  for (let iter = 0; iter < cfg.iterations; iter++) {
    // 4a. Gradients and hessians of the loss; unsampled rows get weight 0.
    for (let i = 0; i < n; i++) {
      const w = cfg.subsample < 1 && rng.next() >= cfg.subsample ? 0 : 1;
      if (loss === 'logloss') {
        const p = sigmoid(raw[i]);
        grad[i] = w * (p - yTrain[i]);
        hess[i] = w * Math.max(p * (1 - p), 1e-16);
      } else {
        grad[i] = w * (raw[i] - yTrain[i]);
        hess[i] = w;
      }
    }
    const features = cfg.featureSubsample < 1 ? sampleFeatures(allFeatures, cfg.featureSubsample, rng) : allFeatures;

    // 4b. Grow the oblivious tree level by level.
    leafOf.fill(0);
    const tree: ObliviousTree = { features: [], thresholds: [], leaves: [], gains: [] };
    const treeBorders: number[] = [];
    for (let level = 0; level < cfg.depth; level++) {
      const nLeaves = 1 << level;
      const best = bestSplit(features, bins, borders, grad, hess, leafOf, nLeaves, n, nBins, histG, histH, score, cfg.l2LeafReg);
      if (best === null || !(best.gain > 1e-12)) break; // nothing left to gain: a shallower tree
      const offset = best.feature * n;
      for (let i = 0; i < n; i++) if (bins[offset + i] > best.border) leafOf[i] |= 1 << level;
      tree.features.push(best.feature);
      tree.thresholds.push(borders[best.feature][best.border]);
      tree.gains.push(best.gain);
      treeBorders.push(best.border);
    }

    // 4c. Newton leaf values, shrunk by the learning rate.
    const nLeaves = 1 << tree.features.length;
    const G = new Float64Array(nLeaves);
    const H = new Float64Array(nLeaves);
    for (let i = 0; i < n; i++) {
      G[leafOf[i]] += grad[i];
      H[leafOf[i]] += hess[i];
    }
    tree.leaves = Array.from(G, (g, l) => (-cfg.learningRate * g) / (H[l] + cfg.l2LeafReg));
    for (let i = 0; i < n; i++) raw[i] += tree.leaves[leafOf[i]];
    trees.push(tree);

    // 5. Early stopping on the held-out rows (binned, so no float comparisons needed).
    if (validRows.length > 0) {
      validLeafOf.fill(0);
      tree.features.forEach((f, level) => {
        const border = treeBorders[level];
        const offset = f * validRows.length;
        for (let i = 0; i < validRows.length; i++) if (validBins[offset + i] > border) validLeafOf[i] |= 1 << level;
      });
      let total = 0;
      for (let i = 0; i < validRows.length; i++) {
        validRaw[i] += tree.leaves[validLeafOf[i]];
        total += loss === 'logloss' ? logLoss(validRaw[i], yValid[i]) : (validRaw[i] - yValid[i]) ** 2;
      }
      if (total < bestLoss - 1e-12) {
        bestLoss = total;
        bestIter = iter;
      } else if (iter - bestIter >= cfg.earlyStoppingRounds) break;
    } else bestIter = iter;
    if (tree.features.length === 0) break; // no split anywhere: further trees would be identical
  }
  trees.length = bestIter + 1;
  return { trees, bestIteration: bestIter };
}

/** The (feature, border) maximising the summed Newton gain over all current leaves. */
function bestSplit(
  features: number[],
  bins: Uint8Array,
  borders: Float64Array[],
  grad: Float64Array,
  hess: Float64Array,
  leafOf: Int32Array,
  nLeaves: number,
  n: number,
  nBins: number,
  histG: Float64Array,
  histH: Float64Array,
  score: Float64Array,
  lambda: number,
): { feature: number; border: number; gain: number } | null {
  let best: { feature: number; border: number; gain: number } | null = null;
  for (const f of features) {
    // Histogram of (leaf, bin) gradient/hessian sums for this feature: one pass over the rows.
    const size = nLeaves * nBins;
    histG.fill(0, 0, size);
    histH.fill(0, 0, size);
    const offset = f * n;
    for (let i = 0; i < n; i++) {
      const idx = leafOf[i] * nBins + bins[offset + i];
      histG[idx] += grad[i];
      histH[idx] += hess[i];
    }
    const nb = borders[f].length;
    score.fill(0, 0, nb);
    let parent = 0;
    for (let l = 0; l < nLeaves; l++) {
      const base = l * nBins;
      let gTot = 0;
      let hTot = 0;
      for (let b = 0; b <= nb; b++) {
        gTot += histG[base + b];
        hTot += histH[base + b];
      }
      parent += (gTot * gTot) / (hTot + lambda);
      // Border j sends bins 0..j left and bins j+1..nb right.
      let gl = 0;
      let hl = 0;
      for (let j = 0; j < nb; j++) {
        gl += histG[base + j];
        hl += histH[base + j];
        const gr = gTot - gl;
        const hr = hTot - hl;
        score[j] += (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda);
      }
    }
    for (let j = 0; j < nb; j++) {
      // Half the drop in the regularised Newton objective.
      const gain = 0.5 * (score[j] - parent);
      if (best === null || gain > best.gain) best = { feature: f, border: j, gain };
    }
  }
  return best;
}

/** Flattened trees for the prediction hot path. */
interface FlatTrees {
  depth: Int32Array;
  splitOffset: Int32Array;
  leafOffset: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  leaf: Float64Array;
}

function compileTrees(trees: ObliviousTree[]): FlatTrees {
  const nTrees = trees.length;
  const depth = new Int32Array(nTrees);
  const splitOffset = new Int32Array(nTrees);
  const leafOffset = new Int32Array(nTrees);
  let splits = 0;
  let leaves = 0;
  trees.forEach((t, i) => {
    depth[i] = t.features.length;
    splitOffset[i] = splits;
    leafOffset[i] = leaves;
    splits += t.features.length;
    leaves += t.leaves.length;
  });
  const feature = new Int32Array(splits);
  const threshold = new Float64Array(splits);
  const leaf = new Float64Array(leaves);
  trees.forEach((t, i) => {
    feature.set(t.features, splitOffset[i]);
    threshold.set(t.thresholds, splitOffset[i]);
    leaf.set(t.leaves, leafOffset[i]);
  });
  return { depth, splitOffset, leafOffset, feature, threshold, leaf };
}

/**
 * Raw score per row (base score + every tree's leaf). Trees outer, rows inner (in blocks), so a
 * tree's splits and leaves stay in registers and L1 while a block of rows goes through it; each
 * row still sums its trees in order. With `columns`, the model's feature d of row i is
 * X[i][columns[d]] (no copy of the rows).
 */
function predictTrees(flat: FlatTrees, baseScore: number, X: FeatureMatrix, columns?: ArrayLike<number>): Float64Array {
  const { depth, splitOffset, leafOffset, feature, threshold, leaf } = flat;
  const m = X.length;
  const out = new Float64Array(m).fill(baseScore);
  const idx = new Int32Array(Math.min(m, 256));
  const nTrees = depth.length;
  for (let r0 = 0; r0 < m; r0 += 256) {
    const b = Math.min(256, m - r0);
    for (let t = 0; t < nTrees; t++) {
      const so = splitOffset[t];
      const dt = depth[t];
      const lo = leafOffset[t];
      idx.fill(0, 0, b);
      for (let d = 0; d < dt; d++) {
        const f = columns === undefined ? feature[so + d] : columns[feature[so + d]];
        const th = threshold[so + d];
        const bit = 1 << d;
        for (let r = 0; r < b; r++) if (X[r0 + r][f] > th) idx[r] |= bit;
      }
      for (let r = 0; r < b; r++) out[r0 + r] += leaf[lo + idx[r]];
    }
  }
  return out;
}

/** Total split gain per feature over the trees, normalised to sum 1. */
function importances(trees: ObliviousTree[], nFeatures: number): Float64Array {
  const imp = new Float64Array(nFeatures);
  for (const t of trees) t.features.forEach((f, k) => (imp[f] += t.gains[k]));
  const total = imp.reduce((a, b) => a + b, 0);
  if (total > 0) for (let f = 0; f < imp.length; f++) imp[f] /= total;
  return imp;
}

const copyTree = (t: ObliviousTree): ObliviousTree => ({ features: [...t.features], thresholds: [...t.thresholds], leaves: [...t.leaves], gains: [...t.gains] });

export class ObliviousBoostingClassifier implements ProbabilisticClassifier {
  readonly config: ObliviousBoostingConfig;
  private trees: ObliviousTree[] = [];
  private baseScore = 0;
  private nFeatures = 0;
  private bestIteration = 0;
  // Flattened copy of the trees for the prediction hot path.
  private flat: FlatTrees | null = null;

  constructor(config: Partial<ObliviousBoostingConfig> = {}) {
    this.config = { ...DEFAULT_OBLIVIOUS_BOOSTING_CONFIG, ...config };
    validateConfig(this.config);
  }

  get treeCount(): number {
    return this.trees.length;
  }

  /** Number of trees kept (best validation iteration + 1 when early stopping ran). */
  get iterationsUsed(): number {
    return this.bestIteration + 1;
  }

  fit(X: FeatureMatrix, y: ArrayLike<number>): this {
    const cfg = this.config;
    if (X.length !== y.length || X.length === 0) throw new RangeError('X and y must be non-empty and aligned');
    const rng = new Random(cfg.seed);
    this.nFeatures = X[0].length;

    // 1. Stratified hold-out for early stopping.
    const { trainRows, validRows } = splitValidation(y, cfg.validationFraction, cfg.earlyStoppingRounds > 0, rng);
    const n = trainRows.length;
    const yTrain = Float64Array.from(trainRows, (i) => y[i]);
    const yValid = Float64Array.from(validRows, (i) => y[i]);

    // 3. Base score: log-odds of the positive rate (clamped so a one-class fold stays finite).
    let pos = 0;
    for (let i = 0; i < n; i++) pos += yTrain[i];
    const rate = Math.min(Math.max(pos / n, 1e-6), 1 - 1e-6);
    this.baseScore = Math.log(rate / (1 - rate));

    const { trees, bestIteration } = boostTrees(cfg, 'logloss', { X, trainRows, validRows, yTrain, yValid, baseScore: this.baseScore }, rng);
    this.trees = trees;
    this.bestIteration = bestIteration;
    this.flat = compileTrees(this.trees);
    return this;
  }

  predictProba(X: FeatureMatrix): Float64Array {
    const raw = this.predictRaw(X);
    for (let i = 0; i < raw.length; i++) raw[i] = sigmoid(raw[i]);
    return raw;
  }

  /** Log-odds per row (batched, see predictTrees). */
  predictRaw(X: FeatureMatrix): Float64Array {
    if (this.flat === null) throw new Error('model is not fitted');
    return predictTrees(this.flat, this.baseScore, X);
  }

  /** Total split gain per feature over all kept trees, normalised to sum 1. */
  featureImportances(): Float64Array {
    return importances(this.trees, this.nFeatures);
  }

  toJSON(): ObliviousBoostingJSON {
    return {
      kind: 'oblivious-boosting',
      config: { ...this.config },
      nFeatures: this.nFeatures,
      baseScore: this.baseScore,
      bestIteration: this.bestIteration,
      trees: this.trees.map(copyTree),
    };
  }

  static fromJSON(json: ObliviousBoostingJSON): ObliviousBoostingClassifier {
    if (json.kind !== 'oblivious-boosting') throw new Error(`not an oblivious-boosting model: ${json.kind}`);
    const m = new ObliviousBoostingClassifier(json.config);
    m.nFeatures = json.nFeatures;
    m.baseScore = json.baseScore;
    m.bestIteration = json.bestIteration;
    m.trees = json.trees.map(copyTree);
    m.flat = compileTrees(m.trees);
    return m;
  }
}

function validateConfig(cfg: ObliviousBoostingConfig): void {
  if (cfg.maxBorders < 1 || cfg.maxBorders > 255) throw new RangeError('maxBorders must be in 1..255');
  if (cfg.depth < 1 || cfg.depth > 16) throw new RangeError('depth must be in 1..16');
}

// ---------------------------------------------------------------------------------------------
// Regression

export interface ObliviousBoostingRegressorConfig extends ObliviousBoostingConfig {
  /**
   * Independently seeded boosted models (each on its own row subsample and hold-out) averaged
   * together; their standard deviation is the uncertainty, as for edRVFL's ensemble.
   */
  ensembles: number;
  /** Fit on log(y) and map back with exp (positive, right-skewed targets). */
  targetTransform: 'identity' | 'log';
}

export const DEFAULT_OBLIVIOUS_BOOSTING_REGRESSOR_CONFIG: ObliviousBoostingRegressorConfig = {
  ...DEFAULT_OBLIVIOUS_BOOSTING_CONFIG,
  iterations: 1000,
  learningRate: 0.03,
  depth: 6,
  l2LeafReg: 3,
  subsample: 0.8,
  validationFraction: 0,
  earlyStoppingRounds: 0,
  ensembles: 1,
  targetTransform: 'identity',
};

export interface ObliviousBoostingRegressorJSON {
  kind: 'oblivious-boosting-regressor';
  config: ObliviousBoostingRegressorConfig;
  nFeatures: number;
  members: { baseScore: number; bestIteration: number; trees: ObliviousTree[] }[];
}

/**
 * Squared-loss boosting of oblivious trees (gradient raw - y, hessian 1, so a leaf value is the
 * shrunk mean residual with l2LeafReg pseudo-rows at 0), optionally an ensemble of several seeded
 * boosted models for a spread. Same trees, binning and prediction kernel as the classifier.
 */
export class ObliviousBoostingRegressor implements UncertainRegressor {
  readonly config: ObliviousBoostingRegressorConfig;
  private nFeatures = 0;
  private members: { baseScore: number; bestIteration: number; trees: ObliviousTree[]; flat: FlatTrees }[] = [];

  constructor(config: Partial<ObliviousBoostingRegressorConfig> = {}) {
    this.config = { ...DEFAULT_OBLIVIOUS_BOOSTING_REGRESSOR_CONFIG, ...config };
    validateConfig(this.config);
    if (!(this.config.ensembles >= 1)) throw new RangeError('ensembles must be >= 1');
  }

  get treeCount(): number {
    return this.members.reduce((a, m) => a + m.trees.length, 0);
  }

  fit(X: FeatureMatrix, y: ArrayLike<number>): this {
    const cfg = this.config;
    if (X.length !== y.length || X.length === 0) throw new RangeError('X and y must be non-empty and aligned');
    const t = Float64Array.from(y, (v) => this.forwardTarget(v));
    if (t.some((v) => !Number.isFinite(v))) throw new RangeError('targets must be finite (and > 0 for the log transform)');
    this.nFeatures = X[0].length;
    const rng = new Random(cfg.seed);
    this.members = [];
    for (let e = 0; e < cfg.ensembles; e++) {
      const memberRng = rng.fork();
      const { trainRows, validRows } = randomHoldOut(t.length, cfg.validationFraction, cfg.earlyStoppingRounds > 0, memberRng);
      const yTrain = Float64Array.from(trainRows, (i) => t[i]);
      const yValid = Float64Array.from(validRows, (i) => t[i]);
      let baseScore = 0;
      for (const v of yTrain) baseScore += v;
      baseScore /= yTrain.length;
      const { trees, bestIteration } = boostTrees(cfg, 'squared', { X, trainRows, validRows, yTrain, yValid, baseScore }, memberRng);
      this.members.push({ baseScore, bestIteration, trees, flat: compileTrees(trees) });
    }
    return this;
  }

  /**
   * Mean and spread over the members, in the target's units (batched; `columns` as in
   * EdRVFLRegressor.predict). With the log transform members are averaged in log space.
   */
  predict(X: FeatureMatrix, columns?: ArrayLike<number>): { mean: Float64Array; std: Float64Array } {
    if (this.members.length === 0) throw new Error('model is not fitted');
    if (columns !== undefined && columns.length !== this.nFeatures) throw new RangeError(`expected ${this.nFeatures} columns, got ${columns.length}`);
    const m = X.length;
    const sum = new Float64Array(m);
    const sumSq = new Float64Array(m);
    for (const member of this.members) {
      const raw = predictTrees(member.flat, member.baseScore, X, columns);
      for (let i = 0; i < m; i++) {
        sum[i] += raw[i];
        sumSq[i] += raw[i] * raw[i];
      }
    }
    const k = this.members.length;
    const mean = new Float64Array(m);
    const std = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const mu = sum[i] / k;
      const sd = Math.sqrt(Math.max(sumSq[i] / k - mu * mu, 0));
      mean[i] = this.inverseTarget(mu);
      std[i] = this.config.targetTransform === 'identity' ? sd : (this.inverseTarget(mu + sd) - this.inverseTarget(mu - sd)) / 2;
    }
    return { mean, std };
  }

  /** Total split gain per feature over all members' trees, normalised to sum 1. */
  featureImportances(): Float64Array {
    return importances(
      this.members.flatMap((m) => m.trees),
      this.nFeatures,
    );
  }

  private forwardTarget(v: number): number {
    return this.config.targetTransform === 'log' ? Math.log(v) : v;
  }

  private inverseTarget(v: number): number {
    return this.config.targetTransform === 'log' ? Math.exp(v) : v;
  }

  toJSON(): ObliviousBoostingRegressorJSON {
    return {
      kind: 'oblivious-boosting-regressor',
      config: { ...this.config },
      nFeatures: this.nFeatures,
      members: this.members.map((m) => ({ baseScore: m.baseScore, bestIteration: m.bestIteration, trees: m.trees.map(copyTree) })),
    };
  }

  static fromJSON(json: ObliviousBoostingRegressorJSON): ObliviousBoostingRegressor {
    if (json.kind !== 'oblivious-boosting-regressor') throw new Error(`not an oblivious-boosting regressor: ${json.kind}`);
    const m = new ObliviousBoostingRegressor(json.config);
    m.nFeatures = json.nFeatures;
    m.members = json.members.map((mb) => {
      const trees = mb.trees.map(copyTree);
      return { baseScore: mb.baseScore, bestIteration: mb.bestIteration, trees, flat: compileTrees(trees) };
    });
    return m;
  }
}

/** A seeded random hold-out (regression has no classes to stratify by). */
function randomHoldOut(n: number, fraction: number, enabled: boolean, rng: Random): { trainRows: number[]; validRows: number[] } {
  const all = Array.from({ length: n }, (_, i) => i);
  if (!enabled || fraction <= 0) return { trainRows: all, validRows: [] };
  const rows = rng.shuffle([...all]);
  const nValid = Math.round(n * fraction);
  const validRows = rows.slice(0, nValid).sort((a, b) => a - b);
  const trainRows = rows.slice(nValid).sort((a, b) => a - b);
  if (validRows.length === 0 || trainRows.length === 0) return { trainRows: all, validRows: [] };
  return { trainRows, validRows };
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** Log-loss of one row from its log-odds, computed stably. */
function logLoss(raw: number, y: number): number {
  // -[y log p + (1 - y) log(1 - p)] = log(1 + e^z) - y z
  const softplus = raw > 0 ? raw + Math.log1p(Math.exp(-raw)) : Math.log1p(Math.exp(raw));
  return softplus - y * raw;
}

function splitValidation(
  y: ArrayLike<number>,
  fraction: number,
  enabled: boolean,
  rng: Random,
): { trainRows: number[]; validRows: number[] } {
  const all = Array.from({ length: y.length }, (_, i) => i);
  if (!enabled || fraction <= 0) return { trainRows: all, validRows: [] };
  const trainRows: number[] = [];
  const validRows: number[] = [];
  for (const cls of [0, 1]) {
    const rows = rng.shuffle(all.filter((i) => (y[i] === 1 ? 1 : 0) === cls));
    const nValid = Math.round(rows.length * fraction);
    validRows.push(...rows.slice(0, nValid));
    trainRows.push(...rows.slice(nValid));
  }
  // Sorted so training does not depend on the shuffle beyond which rows were held out.
  trainRows.sort((a, b) => a - b);
  validRows.sort((a, b) => a - b);
  if (validRows.length === 0 || trainRows.length === 0) return { trainRows: all, validRows: [] };
  return { trainRows, validRows };
}

/**
 * Up to `maxBorders` borders splitting the values into bins of about equal counts. Borders sit
 * halfway between distinct neighbouring values, so each distinct value falls wholly in one bin.
 */
export function quantileBorders(values: Float64Array, maxBorders: number): Float64Array {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort();
  const n = sorted.length;
  const distinct: number[] = [];
  const upTo: number[] = []; // rows with value <= distinct[k]
  for (let i = 0; i < n; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]);
    upTo[distinct.length - 1] = i + 1;
  }
  const out: number[] = [];
  if (distinct.length - 1 <= maxBorders) {
    for (let k = 0; k + 1 < distinct.length; k++) out.push((distinct[k] + distinct[k + 1]) / 2);
    return Float64Array.from(out);
  }
  // Greedy: cut after a distinct value once the cumulative count reaches the next quantile target.
  let q = 1;
  for (let k = 0; k + 1 < distinct.length && out.length < maxBorders; k++) {
    const target = (q * n) / (maxBorders + 1);
    if (upTo[k] >= target) {
      out.push((distinct[k] + distinct[k + 1]) / 2);
      while ((q * n) / (maxBorders + 1) <= upTo[k]) q++;
    }
  }
  return Float64Array.from(out);
}

/** Index of the first border >= x, i.e. the number of borders < x (= the bin of x). */
function lowerBound(borders: Float64Array, x: number): number {
  let lo = 0;
  let hi = borders.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (borders[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Column-major bins of the given rows: bins[f * rows.length + i]. NaN goes to bin 0. */
function binRows(X: FeatureMatrix, rows: number[], borders: Float64Array[]): Uint8Array {
  const m = rows.length;
  const out = new Uint8Array(borders.length * m);
  for (let f = 0; f < borders.length; f++) {
    const offset = f * m;
    for (let i = 0; i < m; i++) {
      const x = X[rows[i]][f];
      out[offset + i] = Number.isNaN(x) ? 0 : lowerBound(borders[f], x);
    }
  }
  return out;
}

function sampleFeatures(features: number[], share: number, rng: Random): number[] {
  const k = Math.max(1, Math.round(features.length * share));
  return rng
    .shuffle([...features])
    .slice(0, k)
    .sort((a, b) => a - b);
}
