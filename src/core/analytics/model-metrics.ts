/**
 * A surrogate model version's cross-validated metrics as the design strategy records them
 * (model_version.metrics) and the progress report reads them: classifier ROC AUC and accuracy,
 * R², RMSE and MAE of the two property regressors, the combined CV error AMR compares, the folds.
 */
import type { CrossValidatedMetrics } from '../amr/acceptance-error.js';

export interface SurrogateCvMetrics extends CrossValidatedMetrics {
  /** AMR's acceptance error (src/core/amr/acceptance-error.ts), lower is better. */
  cvError: number;
  folds: number;
}

/** The score-like metrics (higher is better, at most 1) the model-quality plot shows. */
export const QUALITY_METRICS = ['classifierRocAuc', 'classifierAccuracy', 'yieldR2', 'elongationR2'] as const satisfies ReadonlyArray<keyof SurrogateCvMetrics>;
