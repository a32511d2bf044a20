import { formatFormula } from '../../core/chemistry/composition.js';
import { successScore } from '../../core/domain/success.js';
import type { Composition } from '../../core/chemistry/types.js';
import type { DesignSpace } from '../../core/domain/design-space.js';
import type { MeasuredAlloy } from '../../core/domain/measured-alloy.js';
import { gridKey, roundToGrid, toComposition, toFractions, usesOnlyElements } from '../../core/domain/composition-grid.js';
import { isLegal } from '../../core/domain/design-space.js';
import { randomLegalComposition, takenGridKeys } from '../../core/domain/state.js';
import { Random } from '../../core/util/random.js';
import type { Objectives } from '../../repositories/entities/campaign.entity.js';
import { randomProcess, snapContinuous, withProcessDefaults, type ProcessValues, type ProcessVariable } from '../../core/domain/process.js';
import type { DesignContext, DesignOutcome, DesignStrategy } from './strategy.js';

/**
 * Baseline: a steady-state genetic algorithm over the measured alloys, the textbook
 * "no model" optimiser a materials lab would try first.
 *
 * - Fitness of a measured alloy = its min-normalised score (see `fitness`): the smallest
 *   value/threshold over the targets, lowered when the glass requirement is not met. An alloy
 *   with fitness >= 1 meets every objective.
 * - Parents: tournament selection (size `tournament`) among the elite (the best `elite` share)
 *   of the measured alloys in the design space's elements.
 * - Child: arithmetic crossover in fraction space (a random blend weight per child), then
 *   mutation (a few grid-step transfers between elements, sometimes adding or dropping an
 *   element), then repair (bounds, element count, base element largest) and rounding to the
 *   composition grid. Illegal children are discarded.
 * - Process variables (when the campaign has them) are genes too: a child takes each value from
 *   one of its parents (measured alloys without process values read as the defaults), then each
 *   mutates with probability `processMutation` (a continuous value by 1-3 grid steps, a
 *   categorical one to another value); immigrants draw them at random.
 * - A share of random immigrants (`immigrants`) keeps exploring.
 * - No proposal repeats a measured or pending composition (on the grid) or another proposal,
 *   and proposals of one batch are at least `strategy.minProposalDistance` at.% (L1) apart
 *   when that is possible.
 *
 * Deterministic for a given context seed.
 */
export interface GeneticOptions {
  tournament: number;
  /** Probability of a crossover (else the child is a mutated copy of one parent). */
  crossover: number;
  /** Expected number of grid-step transfers per mutation. */
  mutationSteps: number;
  /** Largest transfer per mutation step, in grid steps. */
  maxTransferSteps: number;
  /** Share of each batch drawn uniformly from the space. */
  immigrants: number;
  /** Parents come from this best share of the measured alloys (at least `minPopulation` of them). */
  elite: number;
  /** Below this many measured alloys in the space, propose at random. */
  minPopulation: number;
  /** Probability that a child's process value mutates (per process variable). */
  processMutation: number;
}

export const DEFAULT_GENETIC_OPTIONS: GeneticOptions = {
  tournament: 2,
  crossover: 0.7,
  mutationSteps: 2,
  maxTransferSteps: 6,
  immigrants: 0.125,
  elite: 0.2,
  minPopulation: 4,
  processMutation: 0.3,
};

/** The genetic algorithm's fitness: the campaign's success score (src/core/domain/success.ts). */
export const fitness: (alloy: MeasuredAlloy, objectives: Objectives) => number = successScore;

export class GeneticStrategy implements DesignStrategy {
  readonly name = 'genetic';
  private readonly options: GeneticOptions;

  constructor(options: Partial<GeneticOptions> = {}) {
    this.options = { ...DEFAULT_GENETIC_OPTIONS, ...options };
  }

  async propose(ctx: DesignContext): Promise<DesignOutcome> {
    const o = this.options;
    const space = ctx.space;
    const rng = new Random(ctx.seed);
    const elements = space.elements;
    const variables = space.process ?? [];
    const measured = ctx.measured
      .filter((a) => usesOnlyElements(a.composition, elements))
      .map((a) => ({ x: toFractions(a.composition, elements), process: withProcessDefaults(a.process, variables), fitness: fitness(a, ctx.objectives) }));
    // Stable sort by fitness, best first; the parents' pool is the elite share.
    const ranked = measured.map((m, i) => ({ ...m, i })).sort((a, b) => b.fitness - a.fitness || a.i - b.i);
    const population = ranked.slice(0, Math.max(Math.ceil(ranked.length * o.elite), Math.min(ranked.length, o.minPopulation)));

    // Measured and pending compositions on the grid (as-made compositions are off the grid).
    const seen = takenGridKeys([...ctx.measured.map((a) => a.composition), ...ctx.pending, ...(ctx.proposed ?? [])], space);

    const proposals: { composition: Composition; process?: ProcessValues; prediction: null }[] = [];
    const chosen: Float64Array[] = [];
    const minDistance = ctx.strategy.minProposalDistance;
    let offspring = 0;
    let immigrants = 0;
    const wantImmigrants = population.length < o.minPopulation ? ctx.count : Math.round(ctx.count * o.immigrants);
    const maxTries = ctx.count * 400;
    for (let tries = 0; proposals.length < ctx.count && tries < maxTries; tries++) {
      // Relax the distance rule in the second half of the tries rather than propose too few.
      const distance = tries < maxTries / 2 ? minDistance : 0;
      const immigrant = immigrants < wantImmigrants && proposals.length >= ctx.count - wantImmigrants;
      let child: Float64Array | null;
      let process: ProcessValues | undefined;
      if (immigrant || population.length < o.minPopulation) {
        child = randomLegalComposition(space, rng, { minCount: space.minElements, maxCount: space.maxElements });
        if (variables.length) process = randomProcess(variables, rng);
      } else {
        const a = this.tournament(population, rng);
        const b = this.tournament(population, rng);
        const blend = rng.next() < o.crossover ? rng.uniform(0.2, 0.8) : 1;
        const mixed = new Float64Array(elements.length);
        for (let i = 0; i < elements.length; i++) mixed[i] = blend * a.x[i] + (1 - blend) * b.x[i];
        child = repair(this.mutate(mixed, space, rng), space, rng);
        if (variables.length) process = this.mutateProcess(crossProcess(a.process, b.process, blend, variables, rng), variables, rng);
      }
      if (!child) continue;
      const key = gridKey(child, space.step);
      if (seen.has(key)) continue;
      if (chosen.some((c) => l1AtPct(c, child) < distance - 1e-9)) continue;
      seen.add(key);
      chosen.push(child);
      proposals.push({ composition: toComposition(child, elements, 4), ...(process ? { process } : {}), prediction: null });
      if (immigrant || population.length < o.minPopulation) immigrants++;
      else offspring++;
    }
    return {
      proposals,
      modelVersions: [],
      agent: null,
      refinements: [],
      summary: {
        strategy: this.name,
        proposals: proposals.length,
        offspring,
        immigrants,
        population: measured.length,
        parents: population.length,
        bestFitness: population.reduce((m, p) => Math.max(m, p.fitness), 0),
        formulas: proposals.map((p) => formatFormula(p.composition)),
      },
    };
  }

  private tournament<T extends { fitness: number }>(population: T[], rng: Random): T {
    let best = population[rng.int(population.length)];
    for (let k = 1; k < this.options.tournament; k++) {
      const other = population[rng.int(population.length)];
      if (other.fitness > best.fitness) best = other;
    }
    return best;
  }

  /** Each process value mutates with probability processMutation: 1-3 grid steps either way, or another categorical value. */
  private mutateProcess(process: ProcessValues, variables: readonly ProcessVariable[], rng: Random): ProcessValues {
    const out = { ...process };
    for (const v of variables) {
      if (rng.next() >= this.options.processMutation) continue;
      if (v.kind === 'categorical') {
        const others = v.values.filter((x) => x !== out[v.name]);
        if (others.length) out[v.name] = rng.pick(others);
      } else {
        const steps = (1 + rng.int(3)) * (rng.next() < 0.5 ? -1 : 1);
        out[v.name] = snapContinuous(v, Number(out[v.name]) + steps * v.step);
      }
    }
    return out;
  }

  /** Grid-step transfers between elements; sometimes one element appears or disappears. */
  private mutate(x: Float64Array, space: DesignSpace, rng: Random): Float64Array {
    const out = Float64Array.from(x);
    const n = out.length;
    const step = space.step / 100;
    const transfers = 1 + poisson(this.options.mutationSteps - 1, rng);
    for (let k = 0; k < transfers; k++) {
      const present = indices(out, (v) => v > 1e-9);
      const absent = indices(out, (v) => v <= 1e-9);
      const r = rng.next();
      if (r < 0.1 && absent.length > 0 && present.length < space.maxElements) {
        // Add an element at its lower bound (or one step), taken from a present one.
        const to = rng.pick(absent);
        const amount = Math.max(space.bounds[space.elements[to]]?.min ?? 0, space.step) / 100 + step * rng.int(this.options.maxTransferSteps);
        const from = rng.pick(present);
        const moved = Math.min(amount, out[from]);
        out[from] -= moved;
        out[to] += moved;
      } else if (r < 0.2 && present.length > space.minElements) {
        // Drop an element that may be absent, giving its share to another present one.
        const droppable = present.filter((i) => (space.bounds[space.elements[i]]?.min ?? 0) <= 0 && space.elements[i] !== space.baseElement);
        if (droppable.length === 0) continue;
        const from = rng.pick(droppable);
        const to = rng.pick(present.filter((i) => i !== from));
        out[to] += out[from];
        out[from] = 0;
      } else if (present.length >= 2) {
        const from = rng.pick(present);
        const to = rng.pick(present.filter((i) => i !== from));
        const moved = Math.min(out[from], step * (1 + rng.int(this.options.maxTransferSteps)));
        out[from] -= moved;
        out[to] += moved;
      }
    }
    for (let i = 0; i < n; i++) if (out[i] < 1e-9) out[i] = 0;
    return out;
  }
}

/**
 * Make a blend legal: too many elements -> drop the smallest optional ones; clamp to bounds and
 * renormalise a few times; round to the grid; the base element takes the largest share. Null
 * when it cannot be repaired.
 */
export function repair(x: Float64Array, space: DesignSpace, rng: Random): Float64Array | null {
  const elements = space.elements;
  const n = elements.length;
  const out = Float64Array.from(x);
  const bound = (i: number) => ({ min: (space.bounds[elements[i]]?.min ?? 0) / 100, max: (space.bounds[elements[i]]?.max ?? 100) / 100 });
  const optional = (i: number) => bound(i).min <= 0 && elements[i] !== space.baseElement;
  // Element count.
  let present = indices(out, (v) => v > 1e-9);
  while (present.length > space.maxElements) {
    const drop = present.filter(optional).sort((a, b) => out[a] - out[b])[0];
    if (drop === undefined) return null;
    out[drop] = 0;
    present = indices(out, (v) => v > 1e-9);
  }
  // Required elements present.
  for (let i = 0; i < n; i++) if (!optional(i) && out[i] <= 1e-9) out[i] = Math.max(bound(i).min, space.step / 100);
  present = indices(out, (v) => v > 1e-9);
  while (present.length < space.minElements) {
    const absent = indices(out, (v) => v <= 1e-9);
    if (absent.length === 0) return null;
    const add = rng.pick(absent);
    out[add] = Math.max(bound(add).min, space.step / 100);
    present = indices(out, (v) => v > 1e-9);
  }
  // Bounds and sum: clamp, then renormalise by spreading the residue over elements with room.
  for (let round = 0; round < 20; round++) {
    for (const i of present) out[i] = Math.min(Math.max(out[i], Math.max(bound(i).min, space.step / 100)), bound(i).max);
    const residue = 1 - present.reduce((s, i) => s + out[i], 0);
    if (Math.abs(residue) < 1e-12) break;
    const room = present.filter((i) => (residue > 0 ? out[i] < bound(i).max : out[i] > Math.max(bound(i).min, space.step / 100)));
    if (room.length === 0) return null;
    const total = room.reduce((s, i) => s + out[i], 0);
    for (const i of room) out[i] += residue * (out[i] / total);
  }
  // The base element must hold the largest share: swap if not.
  if (space.baseElement) {
    const b = elements.indexOf(space.baseElement);
    let m = b;
    for (const i of present) if (out[i] > out[m]) m = i;
    if (m !== b) [out[b], out[m]] = [out[m], out[b]];
  }
  const g = roundToGrid(out, space.step);
  return isLegal(g, space) ? g : null;
}

/** Crossover of process values: each from parent a with the blend weight's probability, else from b. */
function crossProcess(a: ProcessValues, b: ProcessValues, blend: number, variables: readonly ProcessVariable[], rng: Random): ProcessValues {
  return Object.fromEntries(variables.map((v) => [v.name, rng.next() < blend ? a[v.name] : b[v.name]]));
}

function indices(x: Float64Array, keep: (v: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < x.length; i++) if (keep(x[i])) out.push(i);
  return out;
}

function l1AtPct(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]) * 100;
  return s;
}

function poisson(mean: number, rng: Random): number {
  if (mean <= 0) return 0;
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}
