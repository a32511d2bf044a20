import { formatFormula } from '../../core/chemistry/composition.js';
import type { Composition } from '../../core/chemistry/types.js';
import { randomLegalComposition, toComposition } from '../../core/rl/design-space.js';
import { Random } from '../../core/util/random.js';
import type { DesignContext, DesignOutcome, DesignStrategy } from './strategy.js';

/** Baseline: uniform random legal compositions on the grid, none measured or pending. */
export class RandomStrategy implements DesignStrategy {
  readonly name = 'random';

  async propose(ctx: DesignContext): Promise<DesignOutcome> {
    const rng = new Random(ctx.seed);
    const seen = new Set([...ctx.measured.map((a) => formatFormula(a.composition)), ...[...ctx.pending, ...(ctx.proposed ?? [])].map((c) => formatFormula(c))]);
    const proposals: { composition: Composition; prediction: null }[] = [];
    for (let tries = 0; proposals.length < ctx.count && tries < ctx.count * 50; tries++) {
      const x = randomLegalComposition(ctx.space, rng, { minCount: ctx.space.minElements, maxCount: ctx.space.maxElements });
      if (!x) break;
      const composition = toComposition(x, ctx.space.elements, 4);
      const key = formatFormula(composition);
      if (seen.has(key)) continue;
      seen.add(key);
      proposals.push({ composition, prediction: null });
    }
    return { proposals, modelVersions: [], agent: null, refinements: [], summary: { strategy: 'random', proposals: proposals.length } };
  }
}
