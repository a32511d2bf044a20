/**
 * The surrogate trio the RL agent queries: P(glass) from the oblivious-boosting classifier, and
 * yield strength and elongation (mean and spread) from two edRVFL regressors, all on the same
 * composition features.
 */
import { featurize } from '../chemistry/descriptors.js';
import { compositionKey } from '../chemistry/composition.js';
import type { Composition, MeasuredAlloy } from '../chemistry/types.js';
import { Random } from '../util/random.js';
import { crossValidate, kFold, stratifiedKFold, type CrossValidationResult } from './cross-validation.js';
import { DEFAULT_EDRVFL_CONFIG, EdRVFLRegressor, type EdRVFLConfig, type EdRVFLJSON } from './edrvfl.js';
import { classificationMetrics, regressionMetrics } from './metrics.js';
import {
  DEFAULT_OBLIVIOUS_BOOSTING_CONFIG,
  ObliviousBoostingClassifier,
  type ObliviousBoostingConfig,
  type ObliviousBoostingJSON,
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
  yieldRegressor: EdRVFLJSON;
  elongationRegressor: EdRVFLJSON;
}

export interface BundleCrossValidation {
  classifier: CrossValidationResult & { n: number };
  yieldStrength: CrossValidationResult & { n: number };
  elongation: CrossValidationResult & { n: number };
}

/** The three per-model configs with the seeds derived from the bundle seed. */
function resolveConfigs(options: BundleTrainOptions) {
  const rng = new Random(options.seed);
  const seeds = [rng.nextUint32(), rng.nextUint32(), rng.nextUint32()];
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

/** The rows each model trains on: the alloys where its label is known. */
function trainingSets(alloys: MeasuredAlloy[], X: FeatureMatrix, columns: Int32Array) {
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
    return { rows, X: rows.map((i) => source[i]), y, groups: rows.map((i) => compositionKey(alloys[i].composition)) };
  };
  return {
    glass: pick(X, (a) => (a.isGlass === null ? null : a.isGlass ? 1 : 0)),
    yieldStrength: pick(Xr, (a) => a.yieldStrengthMPa),
    elongation: pick(Xr, (a) => a.elongationPct),
  };
}

export class SurrogateBundle {
  private readonly columns: Int32Array;

  private constructor(
    readonly featureNames: readonly string[],
    readonly regressorFeatureNames: readonly string[],
    readonly classifier: ObliviousBoostingClassifier,
    readonly yieldRegressor: EdRVFLRegressor,
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
    return new SurrogateBundle(
      [...options.featureNames],
      [...(options.regressorFeatureNames ?? options.featureNames)],
      new ObliviousBoostingClassifier(configs.classifier).fit(sets.glass.X, sets.glass.y),
      new EdRVFLRegressor(configs.yieldRegressor).fit(sets.yieldStrength.X, sets.yieldStrength.y),
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
   * in one fold (stratified by class for the classifier).
   */
  static crossValidate(alloys: MeasuredAlloy[], options: BundleTrainOptions & { folds?: number }): BundleCrossValidation {
    const k = options.folds ?? 5;
    const configs = resolveConfigs(options);
    const X = featurize(
      alloys.map((a) => a.composition),
      options.featureNames,
    );
    const sets = trainingSets(alloys, X, regressorColumns(options.featureNames, options.regressorFeatureNames));
    const classifier = crossValidate({
      X: sets.glass.X,
      y: sets.glass.y,
      folds: stratifiedKFold(sets.glass.y, k, { seed: options.seed, groups: sets.glass.groups }),
      fit: (Xt, yt) => new ObliviousBoostingClassifier(configs.classifier).fit(Xt, yt),
      predict: (m, Xt) => m.predictProba(Xt),
      metrics: (yt, p) => classificationMetrics(yt, p),
    });
    const regress = (set: (typeof sets)['yieldStrength'], config: EdRVFLConfig) => ({
      n: set.rows.length,
      ...crossValidate({
        X: set.X,
        y: set.y,
        folds: kFold(set.rows.length, k, { seed: options.seed, groups: set.groups }),
        fit: (Xt, yt) => new EdRVFLRegressor(config).fit(Xt, yt),
        predict: (m, Xt) => m.predict(Xt).mean,
        metrics: regressionMetrics,
      }),
    });
    return {
      classifier: { n: sets.glass.rows.length, ...classifier },
      yieldStrength: regress(sets.yieldStrength, configs.yieldRegressor),
      elongation: regress(sets.elongation, configs.elongationRegressor),
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
      EdRVFLRegressor.fromJSON(json.yieldRegressor),
      EdRVFLRegressor.fromJSON(json.elongationRegressor),
    );
  }
}
