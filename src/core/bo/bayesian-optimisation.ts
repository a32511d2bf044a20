/**
 * One Bayesian-optimisation design iteration: fit the objective models on the relevant measured
 * alloys, build a candidate pool, refine it around the most promising candidates, and select a
 * batch by P(success) with pending experiments and earlier picks as fantasies.
 *
 * 1. Training data: alloys with at most `maxOutside` of foreign elements, nearest the best
 *    `anchors` alloys first, at most `maxTrainingAlloys` per model; missing labels are left out
 *    per model (a glass label without properties still trains the glass model).
 * 2. Models: GlassClassifier on the labels, a ThresholdModel per property (GP regression).
 * 3. Pool: `randomCandidates` random legal compositions + `movesPerStart` local moves around each
 *    of the `localStarts` best measured alloys of the space (by the caller's score).
 * 4. Refinement: local moves around the `refineStarts` best candidates by P(success) given the
 *    pending experiments; the final pool is the best `poolKeep` of the first plus these.
 * 5. Batch: selectBatch (fantasies + minimum L1 distance from pending and from each other).
 *
 * Process variables (domain/process.ts): the models' input is the composition's followed by the
 * process features (processFeatures: a continuous value scaled to [0, 1], a one-hot per category),
 * weighted by `processScale` (measured alloys and pending experiments without process values read
 * as the defaults).
 * Every candidate composition comes with process values (CandidatePool): random ones draw them,
 * local moves around a measured alloy keep its process, and the refinement adds `processMoves`
 * per refined candidate (its composition with one variable drawn anew). The distance rule compares
 * compositions only; a `processExploration` share of each batch goes to processes no measured
 * alloy was made with (while the pool has any). A space without process variables is unchanged
 * (same inputs, same draws, same picks).
 *
 * Deterministic for a given seed. Predictions reported for each proposal are the models' own
 * (before any fantasy); the acquisition at the pick is in `acquisition`.
 */
import type { Composition } from '../chemistry/types.js';
import type { DesignSpace } from '../domain/design-space.js';
import type { MeasuredAlloy } from '../domain/measured-alloy.js';
import type { SuccessProperty } from '../domain/success.js';
import { takenGridKeys } from '../domain/state.js';
import { toComposition, toFractions, usesOnlyElements } from '../domain/composition-grid.js';
import { Random } from '../util/random.js';
import { directionOf, orientedBounds, propertyValue, type ObjectiveTarget } from '../domain/objectives.js';
import { glassObjective, SuccessAcquisition, ThresholdModel, type FantasyMode, type ObjectiveModel } from './acquisition.js';
import { selectBatch } from './batch-selection.js';
import { CandidatePool } from './candidates.js';
import { DEFAULT_GP_FIT, type GpFitOptions } from './gaussian-process.js';
import { GlassClassifier } from './glass-classifier.js';
import { boInput, boInputFromFractions, labelled, relevantAlloys } from './training-data.js';
import { processFeatures, processKey, withProcessDefaults, type ProcessValues } from '../domain/process.js';

export interface BoOptions {
  maxOutside: number;
  anchors: number;
  maxTrainingAlloys: number;
  randomCandidates: number;
  localStarts: number;
  movesPerStart: number;
  refineStarts: number;
  movesPerRefine: number;
  poolKeep: number;
  /** Largest transfer of a local move, in grid steps. */
  maxMoveSteps: number;
  /** Process moves per refined candidate (spaces with process variables). */
  processMoves: number;
  /**
   * Weight of the process features in the models' input: a variable's whole range (a continuous
   * one) or another category (a one-hot pair) moves the input as far as this fraction of one element.
   */
  processScale: number;
  /**
   * Share of each batch (rounded up) taken among candidates whose process no measured alloy was
   * made with, while there are any: P(success) alone keeps to the process of the data (seed data
   * is all made with the defaults), so the models would never learn what the process does.
   */
  processExploration: number;
  fantasy: FantasyMode;
  gp: Partial<GpFitOptions>;
}

export const DEFAULT_BO_OPTIONS: BoOptions = {
  maxOutside: 0.1,
  anchors: 20,
  maxTrainingAlloys: 1000,
  randomCandidates: 1500,
  localStarts: 12,
  movesPerStart: 40,
  refineStarts: 16,
  movesPerRefine: 30,
  poolKeep: 600,
  maxMoveSteps: 4,
  processMoves: 8,
  processScale: 0.1,
  processExploration: 0.25,
  fantasy: 'miss',
  gp: {},
};

/** The campaign's objectives, with the design's bounds (domain/objectives.ts designTargets). */
export interface BoObjectives {
  requireGlass: boolean;
  targets: readonly ObjectiveTarget[];
}

export interface BoInput {
  space: DesignSpace;
  objectives: BoObjectives;
  measured: readonly MeasuredAlloy[];
  pending: readonly Composition[];
  /** The process values of each pending experiment (aligned with `pending`; left out or null: the defaults). */
  pendingProcess?: readonly (ProcessValues | null)[];
  /** Compositions proposed before (any state): excluded, not fantasised. */
  proposed?: readonly Composition[];
  count: number;
  /** at.%, L1, from each other and from pending compositions. */
  minDistance: number;
  seed: number;
  /** How promising a measured alloy is (higher is better): anchors the training data and the local moves. */
  score: (a: MeasuredAlloy) => number;
  options?: Partial<BoOptions>;
}

export interface BoProposal {
  composition: Composition;
  /** The process values to make it with (spaces with process variables). */
  process?: ProcessValues;
  fractions: Float64Array;
  pGlass: number;
  yieldStrengthMPa: { mean: number; std: number };
  elongationPct: { mean: number; std: number };
  successProbability: number;
  /** P(success) at the pick, given pending experiments and earlier picks as misses. */
  acquisition: number;
  relaxedDistance: boolean;
}

export interface BoResult {
  proposals: BoProposal[];
  summary: Record<string, unknown>;
}

const PROPERTIES: readonly SuccessProperty[] = ['yieldStrengthMPa', 'elongationPct'];

export function proposeBoBatch(input: BoInput): BoResult {
  const started = performance.now();
  const o = { ...DEFAULT_BO_OPTIONS, ...(input.options ?? {}) };
  const { space } = input;
  const elements = space.elements;
  const rng = new Random(input.seed);
  const gpOptions: Partial<GpFitOptions> = { ...DEFAULT_GP_FIT, ...o.gp, seed: rng.nextUint32() };

  // Process variables: appended to every model input (encoded; missing values read as the defaults).
  const variables = space.process ?? [];
  const withProcess = (x: Float64Array, process: Readonly<Record<string, unknown>> | null | undefined): Float64Array => {
    if (variables.length === 0) return x;
    const features = processFeatures(withProcessDefaults(process, variables), variables);
    const out = new Float64Array(x.length + features.length);
    out.set(x);
    features.forEach((f, i) => (out[x.length + i] = f * o.processScale));
    return out;
  };

  // 1-2. Models.
  const relevant = relevantAlloys(input.measured, elements, { maxOutside: o.maxOutside, anchors: o.anchors, score: input.score });
  const data = variables.length ? { ...relevant, inputs: relevant.inputs.map((x, i) => withProcess(x, relevant.alloys[i].process)) } : relevant;
  const glassData = labelled(data, (a) => a.isGlass, o.maxTrainingAlloys);
  const glass = GlassClassifier.fit(glassData.inputs, glassData.values, gpOptions);
  const models: ObjectiveModel[] = [glassObjective(glass)];
  const factors: boolean[] = [input.objectives.requireGlass];
  const counts: Record<string, number> = { relevant: data.alloys.length, foreign: data.foreign, glassLabels: glassData.values.length };
  // Yield strength and elongation always (they describe every proposal); an "at least" target on
  // one of them is its model's factor, any other target gets one model per oriented bound
  // (sign * value >= bound: at most and minimise fit the negated values; a range is two factors).
  const atLeast = (property: string) => input.objectives.targets.find((t) => t.property === property && directionOf(t) === 'atLeast');
  for (const property of PROPERTIES) {
    const target = atLeast(property);
    const d = labelled(data, (a) => propertyValue(a, property), o.maxTrainingAlloys);
    models.push(ThresholdModel.fit(property, d.inputs, d.values, target?.threshold ?? 0, gpOptions));
    factors.push(target !== undefined);
    counts[property] = d.values.length;
  }
  for (const target of input.objectives.targets) {
    if (target === atLeast(target.property) && PROPERTIES.includes(target.property)) continue;
    const d = labelled(data, (a) => propertyValue(a, target.property), o.maxTrainingAlloys);
    counts[target.property] = d.values.length;
    for (const b of orientedBounds(target)) {
      models.push(ThresholdModel.fit(`${b.sign < 0 ? '-' : ''}${target.property}`, d.inputs, d.values.map((v) => b.sign * v), b.bound, gpOptions));
      factors.push(true);
    }
  }
  const fitted = performance.now();

  // 3. Pool, without measured or pending compositions.
  const excluded = takenGridKeys([...input.measured.map((a) => a.composition), ...input.pending, ...(input.proposed ?? [])], space);
  const pool = new CandidatePool(space, excluded);
  const starts = input.measured
    .map((a, index) => ({ a, index, score: input.score(a) }))
    .filter((s) => usesOnlyElements(s.a.composition, elements))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, o.localStarts);
  for (const s of starts) {
    pool.addLocalMoves(toFractions(s.a.composition, elements), o.movesPerStart, o.maxMoveSteps, rng, variables.length ? withProcessDefaults(s.a.process, variables) : null);
  }
  pool.addRandom(o.randomCandidates, rng);
  const firstPool = rng.shuffle(pool.points.map((x, i) => ({ x, process: pool.processes[i] })));
  const inputOf = (c: { x: Float64Array; process: ProcessValues | null }) => withProcess(boInputFromFractions(c.x), c.process);
  const pending = input.pending.map((c, i) => withProcess(boInput(c, elements), input.pendingProcess?.[i] ?? null));
  const anyModel = models.some((m) => m.gp !== null);

  // 4. Refine around the best candidates (given the pending experiments).
  let finalPool = firstPool;
  if (anyModel && firstPool.length > 0) {
    const first = new SuccessAcquisition(models, factors, firstPool.map(inputOf), o.fantasy);
    for (const p of pending) first.condition(p);
    const values = first.values();
    const ranked = Array.from({ length: firstPool.length }, (_, i) => i).sort((a, b) => values[b] - values[a] || a - b);
    const refine = new CandidatePool(space, excluded);
    for (const i of ranked.slice(0, o.poolKeep)) refine.add(firstPool[i].x, firstPool[i].process);
    for (const i of ranked.slice(0, o.refineStarts)) {
      const c = firstPool[i];
      refine.addLocalMoves(c.x, o.movesPerRefine, o.maxMoveSteps, rng, c.process);
      if (c.process) refine.addProcessMoves(c.x, c.process, o.processMoves, rng);
    }
    finalPool = refine.points.map((x, i) => ({ x, process: refine.processes[i] }));
  }
  const pooled = performance.now();

  // 5. Batch.
  const acquisition = new SuccessAcquisition(models, factors, finalPool.map(inputOf), o.fantasy);
  const before = finalPool.map((_, i) => ({
    success: acquisition.value(i),
    glass: acquisition.probability(0, i),
    yield: acquisition.describe(1, i),
    elongation: acquisition.describe(2, i),
  }));
  let reserve: { eligible: Uint8Array; count: number } | undefined;
  if (variables.length > 0) {
    const made = new Set(input.measured.map((a) => processKey(a.process, variables)));
    reserve = { eligible: Uint8Array.from(finalPool, (c) => (made.has(processKey(c.process, variables)) ? 0 : 1)), count: Math.ceil(o.processExploration * input.count) };
  }
  const picks = selectBatch(acquisition, { count: input.count, minDistance: input.minDistance, pending, dims: elements.length + 1, reserve });
  const proposals: BoProposal[] = picks.map((p) => ({
    composition: toComposition(finalPool[p.index].x, elements, 4),
    ...(finalPool[p.index].process ? { process: finalPool[p.index].process! } : {}),
    fractions: finalPool[p.index].x,
    pGlass: before[p.index].glass,
    yieldStrengthMPa: before[p.index].yield,
    elongationPct: before[p.index].elongation,
    successProbability: before[p.index].success,
    acquisition: p.acquisition,
    relaxedDistance: p.relaxed,
  }));
  const done = performance.now();

  const hyper = (m: ObjectiveModel) => (m.gp ? { ...m.gp.hyperparameters, n: m.gp.n, logMarginalLikelihood: m.gp.logMarginalLikelihood } : null);
  return {
    proposals,
    summary: {
      strategy: 'bo',
      proposals: proposals.length,
      fallback: anyModel ? null : 'no labels: random legal compositions',
      training: counts,
      models: {
        glass: glass.gp ? { ...hyper(models[0]), slope: glass.slope, offset: glass.offset, labels: glass.labels } : null,
        yieldStrengthMPa: hyper(models[1]),
        elongationPct: hyper(models[2]),
      },
      candidates: { first: firstPool.length, final: finalPool.length },
      pending: pending.length,
      relaxedDistance: picks.filter((p) => p.relaxed).length,
      ...(reserve ? { processExploration: picks.filter((p) => reserve.eligible[p.index]).length } : {}),
      seconds: { fit: (fitted - started) / 1000, pool: (pooled - fitted) / 1000, select: (done - pooled) / 1000, total: (done - started) / 1000 },
    },
  };
}
