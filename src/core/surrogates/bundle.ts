/**
 * The surrogate trio the RL agent queries: P(glass) from the oblivious-boosting classifier, yield
 * strength (mean and spread) from a blend of edRVFL and oblivious boosting whose weight wins inner
 * cross-validation on the training rows (blended-regressor.ts), and elongation from edRVFL, all on
 * the same composition features.
 */
import { featurize } from '../chemistry/descriptors.js';
import { baseElementOf, compositionKey } from '../chemistry/composition.js';
import type { Composition } from '../chemistry/types.js';
import type { MeasuredAlloy } from '../domain/measured-alloy.js';
import { Random } from '../util/random.js';
import { BlendedRegressor, blendPredictions, chooseBlendWeight, type BlendedRegressorJSON } from './blended-regressor.js';
import { crossValidate, foldSplits, kFold, stratifiedKFold, summarize, type CrossValidationResult } from './cross-validation.js';
import { DEFAULT_EDRVFL_CONFIG, EdRVFLRegressor, type EdRVFLConfig, type EdRVFLJSON } from './edrvfl.js';
import { classificationMetrics, regressionMetrics } from './metrics.js';
import {
  DEFAULT_OBLIVIOUS_BOOSTING_CONFIG,
  DEFAULT_OBLIVIOUS_BOOSTING_REGRESSOR_CONFIG,
  ObliviousBoostingClassifier,
  ObliviousBoostingRegressor,
  type ObliviousBoostingConfig,
  type ObliviousBoostingJSON,
  type ObliviousBoostingRegressorConfig,
} from './oblivious-boosting.js';
import type { FeatureMatrix } from './types.js';

/**
 * Elongation is heavy-tailed (0-12 % for Zr glasses, up to 75 % for high-entropy alloys): fitting
 * log1p stops the few ductile crystalline alloys from dominating the fit, which roughly halves the
 * error on Zr-based alloys at some cost in R² over all alloys (see bench/surrogates.ts).
 */
export const DEFAULT_ELONGATION_CONFIG: Partial<EdRVFLConfig> = { targetTransform: 'log1p', ridgeLambda: 5, weightScale: 2 };

export interface BundleTrainOptions {
  /** Descriptor names or `frac:El` raw fractions, as understood by the chemistry featurizer. */
  featureNames: readonly string[];
  /**
   * The subset of featureNames the regressors see (default: all). On the 300-row property sets
   * the descriptors alone beat descriptors + 50 sparse element fractions.
   */
  regressorFeatureNames?: readonly string[];
  classifier?: Partial<ObliviousBoostingConfig>;
  /** Shared by both regressors; the per-target options below override it. */
  regressor?: Partial<EdRVFLConfig>;
  yieldRegressor?: Partial<EdRVFLConfig>;
  elongationRegressor?: Partial<EdRVFLConfig>;
  /** The boosting member of the yield blend (reads every feature in featureNames). */
  yieldBoosting?: Partial<ObliviousBoostingRegressorConfig>;
  /** Fix the yield blend's edRVFL weight instead of choosing it by inner cross-validation. */
  yieldBlendWeight?: number;
  /** Folds of the inner cross-validation that chooses the yield blend (default 3). */
  innerFolds?: number;
  /**
   * Choose the yield blend on the alloys based on this element (its largest fraction), the ones a
   * campaign designs, when at least MIN_FOCUS_ROWS of them have a yield strength; else on all.
   */
  focusBaseElement?: string;
  /**
   * SurrogateBundle.crossValidate on the same alloys and options: train then chooses the yield
   * blend from its out-of-fold predictions instead of running an inner cross-validation of its own.
   */
  cv?: BundleCrossValidation;
  seed: number;
}

/** Columnar predictions, one entry per composition. */
export interface BundlePrediction {
  pGlass: Float64Array;
  yieldMean: Float64Array;
  yieldStd: Float64Array;
  elongationMean: Float64Array;
  elongationStd: Float64Array;
}

export interface BundleJSON {
  kind: 'surrogate-bundle';
  featureNames: string[];
  regressorFeatureNames: string[];
  classifier: ObliviousBoostingJSON;
  /** A bare EdRVFLJSON in bundles saved before the blend (read as weight 1). */
  yieldRegressor: BlendedRegressorJSON | EdRVFLJSON;
  elongationRegressor: EdRVFLJSON;
}

/** One model's cross-validation, with what is needed to reuse its out-of-fold predictions. */
export interface ModelCrossValidation extends CrossValidationResult {
  n: number;
  /** Index into the alloys passed to crossValidate of each row the model was validated on. */
  rows: Int32Array;
  /** Fold of each of those rows. */
  folds: Int32Array;
}

export interface RegressorCrossValidation extends ModelCrossValidation {
  /** The model's own out-of-fold spread (std), aligned with oof. */
  oofStd: Float64Array;
}

export interface YieldCrossValidation extends RegressorCrossValidation {
  /** Out-of-fold means and spreads of the two blend members, aligned with rows. */
  members: { edrvfl: { mean: Float64Array; std: Float64Array }; boosting: { mean: Float64Array; std: Float64Array } };
  /** The edRVFL weight used for each fold, chosen on the other folds' rows only. */
  foldWeights: number[];
}

export interface BundleCrossValidation {
  classifier: ModelCrossValidation;
  yieldStrength: YieldCrossValidation;
  elongation: RegressorCrossValidation;
}

/** The three per-model configs with the seeds derived from the bundle seed. */
function resolveConfigs(options: BundleTrainOptions) {
  const rng = new Random(options.seed);
  const seeds = [rng.nextUint32(), rng.nextUint32(), rng.nextUint32(), rng.nextUint32()];
  return {
    classifier: { ...DEFAULT_OBLIVIOUS_BOOSTING_CONFIG, ...options.classifier, seed: seeds[0] },
    yieldRegressor: { ...DEFAULT_EDRVFL_CONFIG, ...options.regressor, ...options.yieldRegressor, seed: seeds[1] },
    elongationRegressor: {
      ...DEFAULT_EDRVFL_CONFIG,
      ...DEFAULT_ELONGATION_CONFIG,
      ...options.regressor,
      ...options.elongationRegressor,
      seed: seeds[2],
    },
    yieldBoosting: { ...DEFAULT_OBLIVIOUS_BOOSTING_REGRESSOR_CONFIG, ...options.yieldBoosting, seed: seeds[3] },
  };
}

/** Column indices of the regressor features within featureNames. */
function regressorColumns(featureNames: readonly string[], regressorFeatureNames?: readonly string[]): Int32Array {
  const names = regressorFeatureNames ?? featureNames;
  return Int32Array.from(names, (name) => {
    const j = featureNames.indexOf(name);
    if (j < 0) throw new RangeError(`regressor feature "${name}" is not among featureNames`);
    return j;
  });
}

function selectColumns(X: FeatureMatrix, columns: Int32Array): Float64Array[] {
  return X.map((row) => Float64Array.from(columns, (j) => row[j]));
}

/** The rows each model trains on: the alloys where its label is known (X: the model's columns, Xall: every feature). */
function trainingSets(alloys: readonly MeasuredAlloy[], X: FeatureMatrix, columns: Int32Array) {
  const Xr = selectColumns(X, columns);
  const pick = (source: FeatureMatrix, keep: (a: MeasuredAlloy) => number | null) => {
    const rows: number[] = [];
    const y: number[] = [];
    alloys.forEach((a, i) => {
      const v = keep(a);
      if (v !== null && Number.isFinite(v)) {
        rows.push(i);
        y.push(v);
      }
    });
    return { rows, X: rows.map((i) => source[i]), Xall: rows.map((i) => X[i]), y, groups: rows.map((i) => compositionKey(alloys[i].composition)) };
  };
  return {
    glass: pick(X, (a) => (a.isGlass === null ? null : a.isGlass ? 1 : 0)),
    yieldStrength: pick(Xr, (a) => a.yieldStrengthMPa),
    elongation: pick(Xr, (a) => a.elongationPct),
  };
}

type TrainingSet = ReturnType<typeof trainingSets>['yieldStrength'];

/** The fewest focus alloys the yield blend is chosen on (below that: all alloys). */
export const MIN_FOCUS_ROWS = 20;

/** Positions (within the set) of the rows the yield blend is judged on, among `candidates` (default all). */
function selectionRows(set: TrainingSet, alloys: readonly MeasuredAlloy[], focus: string | undefined, candidates?: number[]): number[] {
  const all = candidates ?? set.rows.map((_, j) => j);
  if (focus === undefined) return all;
  const focused = all.filter((j) => baseElementOf(alloys[set.rows[j]].composition) === focus);
  return focused.length >= MIN_FOCUS_ROWS ? focused : all;
}
type ResolvedConfigs = ReturnType<typeof resolveConfigs>;
type Predictive = { mean: Float64Array; std: Float64Array };

/** Out-of-fold mean and spread of a model fitted on each fold's training rows. */
function outOfFold(n: number, folds: Int32Array, k: number, fitPredict: (train: number[], test: number[]) => Predictive) {
  const mean = new Float64Array(n).fill(NaN);
  const std = new Float64Array(n).fill(NaN);
  const fitSeconds: number[] = [];
  for (const { train, test } of foldSplits(folds, k)) {
    const t0 = performance.now();
    const p = fitPredict(train, test);
    fitSeconds.push((performance.now() - t0) / 1000);
    test.forEach((row, j) => {
      mean[row] = p.mean[j];
      std[row] = p.std[j];
    });
  }
  return { mean, std, fitSeconds };
}

/** Out-of-fold predictions of both yield blend members on the given folds. */
function yieldMemberOof(set: TrainingSet, configs: ResolvedConfigs, folds: Int32Array, k: number) {
  const pickRows = (M: FeatureMatrix, idx: number[]) => idx.map((i) => M[i]);
  const pickY = (idx: number[]) => idx.map((i) => set.y[i]);
  const edrvfl = outOfFold(set.rows.length, folds, k, (train, test) =>
    new EdRVFLRegressor(configs.yieldRegressor).fit(pickRows(set.X, train), pickY(train)).predict(pickRows(set.X, test)),
  );
  const boosting = outOfFold(set.rows.length, folds, k, (train, test) =>
    new ObliviousBoostingRegressor(configs.yieldBoosting).fit(pickRows(set.Xall, train), pickY(train)).predict(pickRows(set.Xall, test)),
  );
  return { edrvfl, boosting, fitSeconds: edrvfl.fitSeconds.map((s, f) => s + boosting.fitSeconds[f]) };
}

/**
 * The yield blend's edRVFL weight: fixed by the options, or the winner of a cross-validation on
 * the training rows (the given bundle CV's, or an inner one of its own).
 */
function chooseYieldWeight(
  set: TrainingSet,
  alloys: readonly MeasuredAlloy[],
  configs: ResolvedConfigs,
  options: BundleTrainOptions,
): { weight: number; mae: number[] | null } {
  if (options.yieldBlendWeight !== undefined) return { weight: options.yieldBlendWeight, mae: null };
  const rows = selectionRows(set, alloys, options.focusBaseElement);
  const cv = options.cv?.yieldStrength;
  if (cv) {
    if (cv.n !== set.rows.length || cv.rows.some((r, j) => r !== set.rows[j])) throw new RangeError('options.cv was computed on other alloys');
    return chooseBlendWeight(cv.members.edrvfl.mean, cv.members.boosting.mean, set.y, rows);
  }
  const k = Math.min(options.innerFolds ?? 3, set.rows.length);
  const folds = kFold(set.rows.length, k, { seed: options.seed, groups: set.groups });
  const oof = yieldMemberOof(set, configs, folds, k);
  return chooseBlendWeight(oof.edrvfl.mean, oof.boosting.mean, set.y, rows);
}

/** Metrics per fold of pooled out-of-fold predictions, in the shape crossValidate returns. */
function foldMetrics(y: number[], oof: Float64Array, folds: Int32Array, k: number) {
  const perFold = foldSplits(folds, k).map(({ test }) =>
    regressionMetrics(
      test.map((i) => y[i]),
      test.map((i) => oof[i]),
    ),
  );
  return { perFold, ...summarize(perFold) };
}

export class SurrogateBundle {
  private readonly columns: Int32Array;

  private constructor(
    readonly featureNames: readonly string[],
    readonly regressorFeatureNames: readonly string[],
    readonly classifier: ObliviousBoostingClassifier,
    readonly yieldRegressor: BlendedRegressor,
    readonly elongationRegressor: EdRVFLRegressor,
  ) {
    this.columns = regressorColumns(featureNames, regressorFeatureNames);
  }

  static train(alloys: MeasuredAlloy[], options: BundleTrainOptions): SurrogateBundle {
    const configs = resolveConfigs(options);
    const X = featurize(
      alloys.map((a) => a.composition),
      options.featureNames,
    );
    const sets = trainingSets(alloys, X, regressorColumns(options.featureNames, options.regressorFeatureNames));
    for (const [name, set] of Object.entries(sets)) if (set.rows.length < 2) throw new RangeError(`too few alloys with ${name} known`);
    const ys = sets.yieldStrength;
    const choice = chooseYieldWeight(ys, alloys, configs, options);
    return new SurrogateBundle(
      [...options.featureNames],
      [...(options.regressorFeatureNames ?? options.featureNames)],
      new ObliviousBoostingClassifier(configs.classifier).fit(sets.glass.X, sets.glass.y),
      BlendedRegressor.fit(ys.X, ys.Xall, ys.y, { weight: choice.weight, edrvfl: configs.yieldRegressor, boosting: configs.yieldBoosting, innerMae: choice.mae }),
      new EdRVFLRegressor(configs.elongationRegressor).fit(sets.elongation.X, sets.elongation.y),
    );
  }

  predict(compositions: Composition[]): BundlePrediction {
    return this.predictFeatures(featurize(compositions, this.featureNames));
  }

  /** Hot path for the RL agent: rows already featurized with `featureNames` (all of them). */
  predictFeatures(X: FeatureMatrix): BundlePrediction {
    // The regressors read their columns straight from the rows: no per-row copies.
    const y = this.yieldRegressor.predict(X, this.columns);
    const e = this.elongationRegressor.predict(X, this.columns);
    return {
      pGlass: this.classifier.predictProba(X),
      yieldMean: y.mean,
      yieldStd: y.std,
      elongationMean: e.mean,
      elongationStd: e.std,
    };
  }

  /**
   * k-fold CV of each model on its own rows, with repeated measurements of one composition kept
   * in one fold (stratified by class for the classifier). The yield blend's weight for a fold is
   * chosen on the out-of-fold predictions of the other folds' rows (cross-fitted: one CV, not a
   * nested one, so the design engine's first iteration stays fast); bench/surrogates.ts reports
   * the fully nested figure.
   */
  static crossValidate(alloys: MeasuredAlloy[], options: BundleTrainOptions & { folds?: number }): BundleCrossValidation {
    const k = options.folds ?? 5;
    const configs = resolveConfigs(options);
    const X = featurize(
      alloys.map((a) => a.composition),
      options.featureNames,
    );
    const sets = trainingSets(alloys, X, regressorColumns(options.featureNames, options.regressorFeatureNames));
    const glassFolds = stratifiedKFold(sets.glass.y, k, { seed: options.seed, groups: sets.glass.groups });
    const classifier = crossValidate({
      X: sets.glass.X,
      y: sets.glass.y,
      folds: glassFolds,
      fit: (Xt, yt) => new ObliviousBoostingClassifier(configs.classifier).fit(Xt, yt),
      predict: (m, Xt) => m.predictProba(Xt),
      metrics: (yt, p) => classificationMetrics(yt, p),
    });
    const foldsOf = (set: TrainingSet) => kFold(set.rows.length, k, { seed: options.seed, groups: set.groups });

    const ys = sets.yieldStrength;
    const yFolds = foldsOf(ys);
    const members = yieldMemberOof(ys, configs, yFolds, k);
    const yMean = new Float64Array(ys.rows.length);
    const yStd = new Float64Array(ys.rows.length);
    const foldWeights = foldSplits(yFolds, k).map(({ train, test }) => {
      const w =
        options.yieldBlendWeight ?? chooseBlendWeight(members.edrvfl.mean, members.boosting.mean, ys.y, selectionRows(ys, alloys, options.focusBaseElement, train)).weight;
      const sub = (p: Predictive) => ({ mean: Float64Array.from(test, (i) => p.mean[i]), std: Float64Array.from(test, (i) => p.std[i]) });
      const blended = blendPredictions(w, sub(members.edrvfl), sub(members.boosting));
      test.forEach((row, j) => {
        yMean[row] = blended.mean[j];
        yStd[row] = blended.std[j];
      });
      return w;
    });

    const es = sets.elongation;
    const eFolds = foldsOf(es);
    const elong = outOfFold(es.rows.length, eFolds, k, (train, test) =>
      new EdRVFLRegressor(configs.elongationRegressor)
        .fit(
          train.map((i) => es.X[i]),
          train.map((i) => es.y[i]),
        )
        .predict(test.map((i) => es.X[i])),
    );
    return {
      classifier: { n: sets.glass.rows.length, rows: Int32Array.from(sets.glass.rows), folds: glassFolds, ...classifier },
      yieldStrength: {
        n: ys.rows.length,
        rows: Int32Array.from(ys.rows),
        folds: yFolds,
        ...foldMetrics(ys.y, yMean, yFolds, k),
        oof: yMean,
        oofStd: yStd,
        fitSeconds: members.fitSeconds,
        members: { edrvfl: { mean: members.edrvfl.mean, std: members.edrvfl.std }, boosting: { mean: members.boosting.mean, std: members.boosting.std } },
        foldWeights,
      },
      elongation: {
        n: es.rows.length,
        rows: Int32Array.from(es.rows),
        folds: eFolds,
        ...foldMetrics(es.y, elong.mean, eFolds, k),
        oof: elong.mean,
        oofStd: elong.std,
        fitSeconds: elong.fitSeconds,
      },
    };
  }

  toJSON(): BundleJSON {
    return {
      kind: 'surrogate-bundle',
      featureNames: [...this.featureNames],
      regressorFeatureNames: [...this.regressorFeatureNames],
      classifier: this.classifier.toJSON(),
      yieldRegressor: this.yieldRegressor.toJSON(),
      elongationRegressor: this.elongationRegressor.toJSON(),
    };
  }

  static fromJSON(json: BundleJSON): SurrogateBundle {
    if (json.kind !== 'surrogate-bundle') throw new Error(`not a surrogate bundle: ${json.kind}`);
    return new SurrogateBundle(
      [...json.featureNames],
      [...json.regressorFeatureNames],
      ObliviousBoostingClassifier.fromJSON(json.classifier),
      BlendedRegressor.fromJSON(json.yieldRegressor),
      EdRVFLRegressor.fromJSON(json.elongationRegressor),
    );
  }
}
