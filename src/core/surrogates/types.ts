/** Row-major feature matrix: one row per sample. */
export type FeatureMatrix = ArrayLike<number>[];

export interface ProbabilisticClassifier {
  /** P(class 1) per row. */
  predictProba(X: FeatureMatrix): Float64Array;
}

export interface UncertainRegressor {
  /** Mean prediction and its spread (model uncertainty) per row. */
  predict(X: FeatureMatrix): { mean: Float64Array; std: Float64Array };
}
