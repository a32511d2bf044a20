import { designTargets } from '../../core/domain/objectives.js';
import { formatFormula } from '../../core/chemistry/composition.js';
import { proposeBoBatch, type BoOptions } from '../../core/bo/bayesian-optimisation.js';
import { predictionOf, type DesignContext, type DesignOutcome, type DesignStrategy } from './strategy.js';
import { fitness } from './genetic-strategy.js';

/**
 * Baseline: Bayesian optimisation (src/core/bo). Gaussian processes on the campaign's data
 * (glass classifier, yield and elongation regressions), acquisition = P(glass) x prod_k
 * P(property_k >= threshold_k), batches picked greedily with pending experiments and earlier
 * picks conditioned on as misses, at least `strategy.minProposalDistance` at.% (L1) from each
 * other and from pending compositions. Training data and local moves are anchored on the best
 * measured alloys by the genetic baseline's min-normalised fitness. With process variables the
 * models take them as inputs and the candidates carry them, so bo proposes process values too
 * (core/bo/bayesian-optimisation.ts). Deterministic per seed.
 */
export class BoStrategy implements DesignStrategy {
  readonly name = 'bo';

  constructor(private readonly options: Partial<BoOptions> = {}) {}

  async propose(ctx: DesignContext): Promise<DesignOutcome> {
    await ctx.progress(0.05, 'fitting Gaussian processes');
    const result = proposeBoBatch({
      space: ctx.space,
      // Maximise / minimise without a bound: improving on the best measured so far.
      objectives: { requireGlass: ctx.objectives.requireGlass, targets: designTargets(ctx.objectives, ctx.measured) },
      measured: ctx.measured,
      pending: ctx.pending,
      pendingProcess: ctx.pendingProcess,
      proposed: ctx.proposed,
      count: ctx.count,
      minDistance: ctx.strategy.minProposalDistance,
      seed: ctx.seed,
      score: (a) => fitness(a, ctx.objectives),
      options: this.options,
    });
    const s = result.summary as { seconds: { total: number }; training: Record<string, number>; fallback: string | null };
    ctx.log(
      `bo: ${result.proposals.length} proposals in ${s.seconds.total.toFixed(1)} s from ${s.training.glassLabels} glass labels, ` +
        `${s.training.yieldStrengthMPa} yield and ${s.training.elongationPct} elongation values${s.fallback ? ` (${s.fallback})` : ''}`,
    );
    return {
      proposals: result.proposals.map((p) => ({
        composition: p.composition,
        ...(p.process ? { process: p.process } : {}),
        prediction: predictionOf(p),
      })),
      modelVersions: [],
      agent: null,
      refinements: [],
      summary: { ...result.summary, formulas: result.proposals.map((p) => formatFormula(p.composition)), acquisition: result.proposals.map((p) => p.acquisition) },
    };
  }
}
