/**
 * One regressor per objective property beyond yield strength and elongation (Dmax, Tg, Tx, Tl,
 * ΔTx, modulus, free-named properties), each trained on the alloys where that property is
 * measured, on the same composition features as the bundle's regressors. A property with fewer
 * than `minRows` values gets no model: the design leaves it unsteered (its prediction is NaN,
 * see domain/objectives.ts probabilityMet) until the lab measures it.
 *
 * Non-negative properties are fitted on log1p (Dmax spans 0.1-70 mm), others as they are.
 */
import { makeFeaturizer, featurize } from '../chemistry/descriptors.js';
import type { Composition } from '../chemistry/types.js';
import type { MeasuredAlloy } from '../domain/measured-alloy.js';
import type { BundleJSON } from './bundle.js';
import { propertyValue } from '../domain/objectives.js';
import type { PropertyColumns, SurrogatePredictions, Surrogates } from '../domain/predictions.js';
import { crossValidate, kFold } from './cross-validation.js';
import { DEFAULT_EDRVFL_CONFIG, EdRVFLRegressor, type EdRVFLJSON } from './edrvfl.js';
import { regressionMetrics } from './metrics.js';
import { compositionKey } from '../chemistry/composition.js';
import { Random } from '../util/random.js';

export const MIN_PROPERTY_ROWS = 5;

export interface PropertyModel {
  property: string;
  rows: number;
  model: EdRVFLRegressor;
  /** Cross-validated R² and RMSE (3 folds), null below 6 rows. */
  cv: { r2: number; rmse: number } | null;
}

export interface PropertyRegressorsJSON {
  featureNames: string[];
  models: { property: string; rows: number; cv: { r2: number; rmse: number } | null; model: EdRVFLJSON }[];
}

/**
 * A stored surrogates model version: the bundle, and the property regressors trained with it
 * (left out by versions saved before they were stored) with the objective properties that had
 * too few values for one.
 */
export interface SurrogatesArtifact extends BundleJSON {
  propertyRegressors?: PropertyRegressorsJSON;
  propertiesWithoutModel?: string[];
}

export class PropertyRegressors {
  private constructor(
    readonly featureNames: readonly string[],
    readonly models: readonly PropertyModel[],
  ) {}

  /** Properties (from `properties`) with at least `minRows` measured values get a model; the rest are listed in `missing`. */
  static train(
    alloys: readonly MeasuredAlloy[],
    properties: readonly string[],
    featureNames: readonly string[],
    seed: number,
    minRows = MIN_PROPERTY_ROWS,
  ): { regressors: PropertyRegressors; missing: string[] } {
    const models: PropertyModel[] = [];
    const missing: string[] = [];
    const rng = new Random(`property-regressors|${seed}`);
    for (const property of properties) {
      const rows = alloys.map((a) => ({ a, v: propertyValue(a, property) })).filter((r): r is { a: MeasuredAlloy; v: number } => r.v !== null);
      if (rows.length < minRows) {
        missing.push(property);
        continue;
      }
      const X = featurize(
        rows.map((r) => r.a.composition),
        featureNames,
      );
      const y = rows.map((r) => r.v);
      const config = { ...DEFAULT_EDRVFL_CONFIG, targetTransform: y.every((v) => v >= 0) ? ('log1p' as const) : ('identity' as const), seed: rng.nextUint32() };
      let cv: PropertyModel['cv'] = null;
      if (rows.length >= 6) {
        const folds = kFold(rows.length, 3, { seed: config.seed, groups: rows.map((r) => compositionKey(r.a.composition)) });
        const result = crossValidate({
          X,
          y,
          folds,
          fit: (Xt, yt) => new EdRVFLRegressor(config).fit(Xt, yt),
          predict: (m, Xt) => m.predict(Xt).mean,
          metrics: (yt, p) => regressionMetrics(yt, p),
        });
        cv = { r2: result.mean.r2, rmse: result.mean.rmse };
      }
      models.push({ property, rows: rows.length, model: new EdRVFLRegressor(config).fit(X, y), cv });
    }
    return { regressors: new PropertyRegressors([...featureNames], models), missing };
  }

  get properties(): string[] {
    return this.models.map((m) => m.property);
  }

  /** Predictions for fraction vectors over `elements`. */
  bind(elements: readonly string[]): (states: readonly Float64Array[]) => Record<string, PropertyColumns> {
    const featurizeState = makeFeaturizer(this.featureNames, elements);
    return (states) => {
      if (this.models.length === 0) return {};
      const X = states.map((x) => featurizeState(x));
      return Object.fromEntries(this.models.map((m) => [m.property, m.model.predict(X)]));
    };
  }

  /** Predictions for compositions (at.%), per modelled property. */
  predict(compositions: readonly Composition[]): Record<string, PropertyColumns> {
    if (this.models.length === 0 || compositions.length === 0) return {};
    const X = featurize(compositions, this.featureNames);
    return Object.fromEntries(this.models.map((m) => [m.property, m.model.predict(X)]));
  }

  static fromJSON(json: PropertyRegressorsJSON): PropertyRegressors {
    return new PropertyRegressors(
      [...json.featureNames],
      json.models.map((m) => ({ property: m.property, rows: m.rows, cv: m.cv, model: EdRVFLRegressor.fromJSON(m.model) })),
    );
  }

  toJSON(): PropertyRegressorsJSON {
    return { featureNames: [...this.featureNames], models: this.models.map((m) => ({ property: m.property, rows: m.rows, cv: m.cv, model: m.model.toJSON() })) };
  }
}

/**
 * The campaign's surrogates with the property regressors' predictions added (`others`), and,
 * for a campaign that does not require glass (crystalline allowed), P(glass) = 1 everywhere: the
 * design then neither ends episodes nor discounts proposals on glass formation.
 */
export function withObjectiveProperties(base: Surrogates, regressors: PropertyRegressors | null, elements: readonly string[], requireGlass: boolean): Surrogates {
  if (requireGlass && (!regressors || regressors.models.length === 0)) return base;
  const predictOthers = regressors?.bind(elements) ?? null;
  return {
    ...base,
    predictFractions(states: readonly Float64Array[]): SurrogatePredictions {
      const p = base.predictFractions(states);
      const others = predictOthers ? predictOthers(states) : {};
      return {
        ...p,
        ...(requireGlass ? {} : { pGlass: new Float64Array(states.length).fill(1) }),
        ...(Object.keys(others).length ? { others: { ...p.others, ...others } } : {}),
      };
    },
  };
}
