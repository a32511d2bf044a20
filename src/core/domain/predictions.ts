/**
 * What the surrogates predict, and the port the agent and the design read them through: batches
 * over fraction vectors of the campaign's elements (Float64Array, sum 1).
 */

/** Mean and spread of one property for a batch of states. */
export interface PropertyColumns {
  mean: Float64Array;
  std: Float64Array;
}

/** Columnar batch of surrogate predictions, one entry per state. */
export interface SurrogatePredictions {
  pGlass: Float64Array;
  yieldMean: Float64Array;
  yieldStd: Float64Array;
  elongationMean: Float64Array;
  elongationStd: Float64Array;
  /** Other modelled properties by name (Dmax, Tg, ..., free names): one regressor each with data. */
  others?: Readonly<Record<string, PropertyColumns>>;
}

/** Batch predictor over fraction vectors of the campaign's elements (in their order). */
export interface Surrogates {
  predictFractions(states: readonly Float64Array[]): SurrogatePredictions;
}

/** Slice of a columnar prediction (for one state). */
export function predictionAt(p: SurrogatePredictions, i: number): SinglePrediction {
  const single: SinglePrediction = {
    pGlass: p.pGlass[i],
    yieldMean: p.yieldMean[i],
    yieldStd: p.yieldStd[i],
    elongationMean: p.elongationMean[i],
    elongationStd: p.elongationStd[i],
  };
  if (p.others) single.others = Object.fromEntries(Object.entries(p.others).map(([name, c]) => [name, { mean: c.mean[i], std: c.std[i] }]));
  return single;
}

export interface SinglePrediction {
  pGlass: number;
  yieldMean: number;
  yieldStd: number;
  elongationMean: number;
  elongationStd: number;
  /** Other modelled properties by name. */
  others?: Record<string, { mean: number; std: number }>;
}

/** The predicted mean of a property (NaN when no model predicts it). */
export function singleProperty(p: SinglePrediction, prop: string): number {
  if (prop === 'yieldStrengthMPa') return p.yieldMean;
  if (prop === 'elongationPct') return p.elongationMean;
  return p.others?.[prop]?.mean ?? Number.NaN;
}

/** The predicted spread of a property (0 when no model predicts it). */
export function singlePropertyStd(p: SinglePrediction, prop: string): number {
  if (prop === 'yieldStrengthMPa') return p.yieldStd;
  if (prop === 'elongationPct') return p.elongationStd;
  return p.others?.[prop]?.std ?? 0;
}
