import type { Composition } from '../../src/core/chemistry/types.js';
import type { DesignSpace } from '../../src/core/domain/design-space.js';
import type { MeasuredAlloy } from '../../src/core/domain/measured-alloy.js';
import { DEFAULT_STRATEGY, type StrategyMethod } from '../../src/core/domain/strategy.js';
import type { SurrogatePredictions, Surrogates } from '../../src/core/domain/predictions.js';
import type { Objectives } from '../../src/repositories/entities/campaign.entity.js';
import type { DesignContext } from '../../src/services/design/strategy.js';

/** A 4-element toy design space (Zr base). */
export const TOY_SPACE: DesignSpace = {
  elements: ['Zr', 'Cu', 'Al', 'Ni'],
  bounds: { Zr: { min: 30, max: 80 }, Cu: { min: 0, max: 50 }, Al: { min: 0, max: 30 }, Ni: { min: 0, max: 30 } },
  step: 0.5,
  minElements: 3,
  maxElements: 4,
  baseElement: 'Zr',
};

/** A design iteration small enough for a unit test (a few seconds): 16 envs, tiny networks, 1,024 steps, 4 proposals. */
export const TINY_DESIGN_CONFIG = {
  env: { numEnvs: 16, maxSteps: 32 },
  td3: { actorHidden: [16], criticHidden: [16], batchSize: 32 },
  train: { totalSteps: 1_024, learningStarts: 256 },
  proposals: { batchSize: 4, rollouts: 8, rolloutSteps: 8 },
};

/**
 * Hand-made surrogates: yield peaks at `target` (2000 MPa there, falling with distance),
 * elongation is 2 + 20 * Al fraction, P(glass) is 0.9 unless Ni exceeds 25 at.%.
 */
export function toySurrogates(target: number[] = [0.5, 0.3, 0.1, 0.1]): Surrogates & { calls: number } {
  const s = {
    calls: 0,
    predictFractions(states: readonly Float64Array[]): SurrogatePredictions {
      s.calls += states.length;
      const n = states.length;
      const out: SurrogatePredictions = {
        pGlass: new Float64Array(n),
        yieldMean: new Float64Array(n),
        yieldStd: new Float64Array(n),
        elongationMean: new Float64Array(n),
        elongationStd: new Float64Array(n),
      };
      states.forEach((x, i) => {
        let d2 = 0;
        for (let k = 0; k < 4; k++) d2 += (x[k] - target[k]) ** 2;
        out.pGlass[i] = x[3] > 0.25 ? 0.2 : 0.9;
        out.yieldMean[i] = 1000 + 1000 * Math.exp(-d2 / 0.1);
        out.yieldStd[i] = 50;
        out.elongationMean[i] = 2 + 20 * x[2];
        out.elongationStd[i] = 1;
      });
      return out;
    },
  };
  return s;
}

/** A first design iteration's context for a strategy test (default settings, no progress or log). */
export function designContext(o: {
  method: StrategyMethod;
  space: DesignSpace;
  objectives: Objectives;
  measured: MeasuredAlloy[];
  pending: Composition[];
  count: number;
  seed: number;
}): DesignContext {
  return {
    campaignId: 'c',
    space: o.space,
    objectives: o.objectives,
    strategy: { ...DEFAULT_STRATEGY, method: o.method },
    measured: o.measured,
    pending: o.pending,
    count: o.count,
    seed: o.seed,
    iteration: 1,
    previous: { featureNames: null, agentCheckpoint: null },
    progress: async () => undefined,
    log: () => undefined,
  };
}
