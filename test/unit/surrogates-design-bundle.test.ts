import { describe, expect, it } from 'vitest';
import type { MeasuredAlloy } from '../../src/core/domain/measured-alloy.js';
import { surrogatesFromBundle } from '../../src/core/aimatdesign/bundle-surrogates.js';
import { toComposition } from '../../src/core/domain/composition-grid.js';
import { SurrogateBundle } from '../../src/core/surrogates/bundle.js';
import { Random } from '../../src/core/util/random.js';
import { TOY_SPACE } from './design-helpers.js';

describe('surrogate bundle adapter', () => {
  it('predicts on fraction vectors exactly what the bundle predicts on compositions', () => {
    const rng = new Random(3);
    const alloys: MeasuredAlloy[] = Array.from({ length: 40 }, () => {
      const zr = rng.uniform(40, 70);
      const cu = rng.uniform(10, 100 - zr - 5);
      const al = 100 - zr - cu;
      return { composition: { Zr: zr, Cu: cu, Al: al }, isGlass: al > 8, yieldStrengthMPa: 1200 + 10 * al, elongationPct: cu / 10 };
    });
    const bundle = SurrogateBundle.train(alloys, { featureNames: ['delta', 'dHmix', 'frac:Zr', 'frac:Al'], seed: 1, regressor: { ensembles: 2, layers: 2, hiddenUnits: 8 } });
    const s = surrogatesFromBundle(bundle, TOY_SPACE.elements);
    const states = [Float64Array.from([0.6, 0.3, 0.1, 0]), Float64Array.from([0.5, 0.2, 0.15, 0.15])];
    const a = s.predictFractions(states);
    const b = bundle.predict(states.map((x) => toComposition(x, TOY_SPACE.elements)));
    for (const k of ['pGlass', 'yieldMean', 'yieldStd', 'elongationMean', 'elongationStd'] as const) {
      for (let i = 0; i < 2; i++) expect(a[k][i]).toBeCloseTo(b[k][i], 6);
    }
  });
});
