/**
 * Ports the RL core needs from the rest of the system. The environment works in fraction space
 * over the campaign's elements (Float64Array, sum 1); the surrogates are bound to those elements.
 */

export type PropertyName = 'yieldStrengthMPa' | 'elongationPct';

/** One design target: glass formation is always required on top of these. */
export interface Objective {
  property: PropertyName;
  /** Value to reach (MPa or %). */
  threshold: number;
  /** Weight w in the reward (paper: 1 per target). */
  weight: number;
}

/** Columnar batch of surrogate predictions, one entry per state. */
export interface SurrogatePredictions {
  pGlass: Float64Array;
  yieldMean: Float64Array;
  yieldStd: Float64Array;
  elongationMean: Float64Array;
  elongationStd: Float64Array;
}

/** Batch predictor over fraction vectors of the campaign's elements (in their order). */
export interface Surrogates {
  predictFractions(states: readonly Float64Array[]): SurrogatePredictions;
}

/** Knowledge scores in [-1, 1] for a batch of states; may be async (LLM behind a cache). */
export type KnowledgeScorer = (states: readonly Float64Array[]) => Float64Array | Promise<Float64Array>;

export function propertyMean(p: SurrogatePredictions, prop: PropertyName): Float64Array {
  return prop === 'yieldStrengthMPa' ? p.yieldMean : p.elongationMean;
}

export function propertyStd(p: SurrogatePredictions, prop: PropertyName): Float64Array {
  return prop === 'yieldStrengthMPa' ? p.yieldStd : p.elongationStd;
}

/** Slice of a columnar prediction (for one state). */
export function predictionAt(p: SurrogatePredictions, i: number): SinglePrediction {
  return {
    pGlass: p.pGlass[i],
    yieldMean: p.yieldMean[i],
    yieldStd: p.yieldStd[i],
    elongationMean: p.elongationMean[i],
    elongationStd: p.elongationStd[i],
  };
}

export interface SinglePrediction {
  pGlass: number;
  yieldMean: number;
  yieldStd: number;
  elongationMean: number;
  elongationStd: number;
}

export function singleProperty(p: SinglePrediction, prop: PropertyName): number {
  return prop === 'yieldStrengthMPa' ? p.yieldMean : p.elongationMean;
}
