import { formatFormula } from '../../core/chemistry/composition.js';
import type { Composition } from '../../core/chemistry/types.js';
import { randomLegalComposition } from '../../core/domain/state.js';
import { toComposition } from '../../core/domain/composition-grid.js';
import { Random } from '../../core/util/random.js';
import { randomProcess, type ProcessValues } from '../../core/domain/process.js';
import type { DesignContext, DesignOutcome, DesignStrategy } from './strategy.js';

/**
 * Baseline: uniform random legal compositions on the grid, none measured or pending, each with
 * uniformly random process values (on their grid) when the campaign has process variables.
 */
export class RandomStrategy implements DesignStrategy {
  readonly name = 'random';

  async propose(ctx: DesignContext): Promise<DesignOutcome> {
    const rng = new Random(ctx.seed);
    const seen = new Set([...ctx.measured.map((a) => formatFormula(a.composition)), ...[...ctx.pending, ...(ctx.proposed ?? [])].map((c) => formatFormula(c))]);
    const variables = ctx.space.process ?? [];
    const proposals: { composition: Composition; process?: ProcessValues; prediction: null }[] = [];
    for (let tries = 0; proposals.length < ctx.count && tries < ctx.count * 50; tries++) {
      const x = randomLegalComposition(ctx.space, rng, { minCount: ctx.space.minElements, maxCount: ctx.space.maxElements });
      if (!x) break;
      const composition = toComposition(x, ctx.space.elements, 4);
      const key = formatFormula(composition);
      if (seen.has(key)) continue;
      seen.add(key);
      proposals.push({ composition, ...(variables.length ? { process: randomProcess(variables, rng) } : {}), prediction: null });
    }
    return { proposals, modelVersions: [], agent: null, refinements: [], summary: { strategy: 'random', proposals: proposals.length } };
  }
}
