/**
 * Campaign analytics as pure functions (no NestJS, no I/O): Pareto front and its 2-D
 * hypervolume, success rates, best-so-far histories, pace and time to budget, model-quality
 * series. The progress API feeds them rows it aggregated in SQL; the unit tests feed them
 * hand-computed cases.
 */
import type { RefinementCheck } from '../amr/amr.js';
import type { SuccessRates } from '../rl/success-rates.js';
import type { TrainingCurvePoint } from '../aimatdesign/training-curve.js';
import { QUALITY_METRICS, type SurrogateCvMetrics } from './model-metrics.js';
import { orientedBounds, preferredSign, propertyValue, targetGap, targetScale, type TargetBounds } from '../domain/objectives.js';
import { isSuccess, type MeasuredValues, type SuccessObjectives, type SuccessProperty } from '../domain/success.js';

export interface Point2 {
  x: number;
  y: number;
}

/**
 * Non-dominated points when both coordinates are maximised: no other point is >= in both and >
 * in one. Duplicates of a front point are kept once. Sorted by x descending (y ascending).
 */
export function paretoFront<T extends Point2>(points: readonly T[]): T[] {
  const finite = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const sorted = [...finite].sort((a, b) => b.x - a.x || b.y - a.y);
  const front: T[] = [];
  let bestY = -Infinity;
  for (const p of sorted) {
    if (p.y > bestY) {
      front.push(p);
      bestY = p.y;
    }
  }
  return front;
}

/**
 * Hypervolume (area) dominated by `points` and bounded below by the reference point `ref`, both
 * coordinates maximised: the area of the union of the rectangles [ref.x, p.x] x [ref.y, p.y] over
 * the points that dominate the reference (p.x > ref.x and p.y > ref.y). Points that do not
 * dominate the reference add nothing. Units: x-unit * y-unit (MPa * % for the campaign front).
 */
export function hypervolume2d(points: readonly Point2[], ref: Point2): number {
  const inside = points.filter((p) => p.x > ref.x && p.y > ref.y);
  let area = 0;
  let coveredY = ref.y;
  for (const p of [...inside].sort((a, b) => b.x - a.x || b.y - a.y)) {
    if (p.y > coveredY) {
      area += (p.x - ref.x) * (p.y - coveredY);
      coveredY = p.y;
    }
  }
  return area;
}

/**
 * Non-dominated rows of `points` (each a vector, every coordinate maximised): no other point is
 * >= in every coordinate and > in one. Duplicates kept once. Indices into `points`, in order.
 */
export function paretoFrontNd(points: readonly (readonly number[])[]): number[] {
  const ok = points.map((p, i) => ({ p, i })).filter(({ p }) => p.every(Number.isFinite));
  const front: number[] = [];
  const seen = new Set<string>();
  for (const a of ok) {
    const dominated = ok.some((b) => b !== a && b.p.every((v, k) => v >= a.p[k]) && b.p.some((v, k) => v > a.p[k]));
    const key = a.p.join(',');
    if (!dominated && !seen.has(key)) {
      seen.add(key);
      front.push(a.i);
    }
  }
  return front;
}

/**
 * Hypervolume dominated by `points` (every coordinate maximised) above the reference point: the
 * volume of the union of the boxes [ref, p] over points that dominate the reference in every
 * coordinate. Exact, by slicing along the last coordinate (fine for the few objectives and the
 * front sizes of a campaign). In 2-D it equals hypervolume2d.
 */
export function hypervolumeNd(points: readonly (readonly number[])[], ref: readonly number[]): number {
  const d = ref.length;
  const inside = points.filter((p) => p.length === d && p.every((v, k) => v > ref[k]));
  if (inside.length === 0) return 0;
  if (d === 1) return Math.max(...inside.map((p) => p[0])) - ref[0];
  if (d === 2) return hypervolume2d(inside.map((p) => ({ x: p[0], y: p[1] })), { x: ref[0], y: ref[1] });
  const levels = [...new Set(inside.map((p) => p[d - 1]))].sort((a, b) => b - a);
  let volume = 0;
  for (let i = 0; i < levels.length; i++) {
    const top = levels[i];
    const bottom = i + 1 < levels.length ? levels[i + 1] : ref[d - 1];
    const slice = inside.filter((p) => p[d - 1] >= top).map((p) => p.slice(0, d - 1));
    volume += (top - bottom) * hypervolumeNd(slice, ref.slice(0, d - 1));
  }
  return volume;
}

/**
 * A target's value oriented so larger is better (for the Pareto front): the value when maximised
 * or at least, minus it when minimised or at most, minus the gap to a range.
 */
export function orientedValue(t: TargetBounds, value: number): number {
  const sign = preferredSign(t);
  return sign === 0 ? -targetGap(t, value) : sign * value;
}

export interface Rate {
  measured: number;
  successes: number;
  /** successes / measured, null when nothing is measured. */
  rate: number | null;
}

export function rateOf(successes: number, measured: number): Rate {
  return { measured, successes, rate: measured > 0 ? successes / measured : null };
}

/** A measured experiment as the analytics see it. */
export interface MeasuredExperiment extends MeasuredValues {
  sequence: number;
  batchNumber: number;
  measuredAt?: Date | string | null;
}

/** Success rate overall and per proposal batch (batches in ascending order). */
export function successRates(
  rows: readonly MeasuredExperiment[],
  objectives: SuccessObjectives,
): { overall: Rate; perBatch: Array<Rate & { batchNumber: number }> } {
  const batches = new Map<number, { measured: number; successes: number }>();
  let successes = 0;
  for (const r of rows) {
    const ok = isSuccess(r, objectives);
    if (ok) successes++;
    const b = batches.get(r.batchNumber) ?? { measured: 0, successes: 0 };
    b.measured++;
    if (ok) b.successes++;
    batches.set(r.batchNumber, b);
  }
  return {
    overall: rateOf(successes, rows.length),
    perBatch: [...batches.entries()].sort(([a], [b]) => a - b).map(([batchNumber, b]) => ({ batchNumber, ...rateOf(b.successes, b.measured) })),
  };
}

export interface BestSoFarPoint {
  sequence: number;
  /** The value measured on this experiment (null when not measured or not eligible). */
  value: number | null;
  /** The best eligible value up to and including this experiment (null until there is one). */
  best: number | null;
  /** Whether this experiment set a new best. */
  improved: boolean;
}

/**
 * Running maximum of `property` by experiment number. With `requireGlass`, only glass formers are
 * eligible (a crystalline alloy's strength does not count towards a glass objective).
 */
export function bestSoFar(rows: readonly MeasuredExperiment[], property: SuccessProperty, requireGlass: boolean, target?: TargetBounds): BestSoFarPoint[] {
  let best: number | null = null;
  // Better = larger, smaller for a minimised / at-most target, closer to the range for a range.
  const better = (v: number, b: number) => {
    if (!target) return v > b;
    const sign = preferredSign(target);
    return sign === 1 ? v > b : sign === -1 ? v < b : targetGap(target, v) < targetGap(target, b);
  };
  return [...rows]
    .sort((a, b) => a.sequence - b.sequence)
    .map((r) => {
      const raw = propertyValue(r, property);
      const value = raw !== null && (!requireGlass || r.isGlass === true) ? raw : null;
      const improved = value !== null && (best === null || better(value, best));
      if (improved) best = value;
      return { sequence: r.sequence, value, best, improved };
    });
}

export interface PaceEstimate {
  budget: number;
  measured: number;
  remaining: number;
  /** Measured experiments per hour over the observed window, null when it cannot be estimated. */
  perHour: number | null;
  /** Seconds from `now` until the budget is measured at that pace (0 when done, null when unknown). */
  etaSeconds: number | null;
  etaAt: string | null;
  windowStart: string | null;
}

/**
 * Time to budget from the observed pace: measured experiments divided by the time from the
 * start of the campaign (or the first proposal) to the latest result. Needs at least one result
 * and a positive window.
 */
export function estimateTimeToBudget(input: {
  budget: number;
  measured: number;
  start: Date | null;
  lastMeasuredAt: Date | null;
  now: Date;
}): PaceEstimate {
  const remaining = Math.max(0, input.budget - input.measured);
  const base = { budget: input.budget, measured: input.measured, remaining, windowStart: input.start?.toISOString() ?? null };
  if (remaining === 0) return { ...base, perHour: null, etaSeconds: 0, etaAt: input.now.toISOString() };
  if (!input.start || !input.lastMeasuredAt || input.measured === 0) return { ...base, perHour: null, etaSeconds: null, etaAt: null };
  const hours = (input.lastMeasuredAt.getTime() - input.start.getTime()) / 3_600_000;
  if (!(hours > 0)) return { ...base, perHour: null, etaSeconds: null, etaAt: null };
  const perHour = input.measured / hours;
  const etaSeconds = (remaining / perHour) * 3600;
  return { ...base, perHour, etaSeconds, etaAt: new Date(input.now.getTime() + etaSeconds * 1000).toISOString() };
}

/** Score-like CV metrics of older, nested metrics documents ({yieldStrength: {mean: {r2}}}). */
const NESTED_QUALITY_KEYS = new Set(['r2', 'accuracy', 'rocAuc', 'auc', 'f1', 'pearson']);

/**
 * The score-like CV metrics of a model version: those of SurrogateCvMetrics named in
 * QUALITY_METRICS, or for nested documents the r2/accuracy/rocAuc/... leaves by path
 * ({yieldStrength: {mean: {r2: 0.8}}} gives {'yieldStrength.r2': 0.8}).
 */
export function qualityMetrics(metrics: unknown): Record<string, number> {
  const flat: Record<string, number> = {};
  const doc = (metrics && typeof metrics === 'object' ? metrics : {}) as Partial<Record<keyof SurrogateCvMetrics, unknown>>;
  for (const key of QUALITY_METRICS) {
    const v = doc[key];
    if (typeof v === 'number' && Number.isFinite(v)) flat[key] = v;
  }
  return { ...flattenMetrics(metrics, NESTED_QUALITY_KEYS), ...flat };
}

/** Every finite numeric leaf of a metrics document (or only those named in `keys`), as in qualityMetrics. */
export function flattenMetrics(metrics: unknown, keys?: ReadonlySet<string>): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (node: unknown, path: string[]) => {
    if (typeof node === 'number') {
      const key = path[path.length - 1];
      if (Number.isFinite(node) && (!keys || keys.has(key))) out[path.join('.')] = node;
      return;
    }
    if (!node || typeof node !== 'object' || Array.isArray(node)) return;
    for (const [k, v] of Object.entries(node)) {
      if (k === 'std' || k === 'perFold' || k === 'oof') continue;
      walk(v, k === 'mean' ? path : [...path, k]);
    }
  };
  walk(metrics, []);
  return out;
}

/**
 * The points of a stored training curve (TrainingCurve, agent_checkpoint.training_curve).
 * Checkpoints written before the curve had points stored {rewardCurve, doneCurve} per tenth of
 * the run: those become points with the mean reward and SR_done only. Anything else gives [].
 */
export function trainingPoints(curve: unknown): TrainingCurvePoint[] {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  if (!curve || typeof curve !== 'object') return [];
  const doc = curve as Record<string, unknown>;
  const rows = Array.isArray(curve) ? curve : Array.isArray(doc.points) ? doc.points : null;
  if (rows) {
    return rows
      .filter((p): p is Record<string, unknown> => !!p && typeof p === 'object' && num((p as Record<string, unknown>).episode) !== null)
      .map((p) => ({
        episode: p.episode as number,
        envSteps: num(p.envSteps) ?? 0,
        meanReward: num(p.meanReward),
        meanQ: num(p.meanQ),
        qRewardCorrelation: num(p.qRewardCorrelation),
        srLegal: num(p.srLegal),
        srCls: num(p.srCls),
        sr80: Array.isArray(p.sr80) ? p.sr80.map(num) : [],
        srDone: num(p.srDone),
      }));
  }
  const rewards = Array.isArray(doc.rewardCurve) ? doc.rewardCurve : [];
  const done = Array.isArray(doc.doneCurve) ? doc.doneCurve : [];
  return Array.from({ length: Math.max(rewards.length, done.length) }, (_, i) => ({
    episode: i + 1, envSteps: 0, meanReward: num(rewards[i]), meanQ: null, qRewardCorrelation: null,
    srLegal: null, srCls: null, sr80: [], srDone: num(done[i]),
  }));
}

/** The success rates over a whole stored training run (TrainingCurve.rates), or null when not recorded. */
export function trainingRates(curve: unknown): SuccessRates | null {
  const rates = curve && typeof curve === 'object' && !Array.isArray(curve) ? (curve as { rates?: unknown }).rates : null;
  if (!rates || typeof rates !== 'object') return null;
  const r = rates as Record<string, unknown>;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  return { srLegal: n(r.srLegal), srCls: n(r.srCls), sr80: Array.isArray(r.sr80) ? r.sr80.map(n) : [], srDone: n(r.srDone), srEpisodes: n(r.srEpisodes) };
}

/** AMR's checks of one iteration as stored with its training curve (TrainingCurve.amrChecks); [] when not recorded. */
export function amrChecks(curve: unknown): RefinementCheck[] {
  const checks = curve && typeof curve === 'object' && !Array.isArray(curve) ? (curve as { amrChecks?: unknown }).amrChecks : null;
  return Array.isArray(checks) ? checks.filter((c): c is RefinementCheck => !!c && typeof c === 'object' && ((c as RefinementCheck).kind === 'rollouts' || (c as RefinementCheck).kind === 'lab')) : [];
}

export interface ObjectiveFrontPoint<T> {
  row: T;
  /** The objectives' measured values, in the objectives' order. */
  values: number[];
}

/**
 * The Pareto front over the campaign's objectives (two or more): rows eligible for success's
 * glass rule with every objective property measured, each objective oriented so larger is better
 * (orientedValue), and the hypervolume beyond the reference point: each target's bound (a range:
 * a gap of its scale; maximise / minimise without a bound: the worst measured value).
 * Units of the hypervolume: the product of the properties' units.
 */
export function objectiveFront<T extends MeasuredValues>(
  rows: readonly T[],
  objectives: SuccessObjectives,
): { properties: string[]; reference: number[]; points: ObjectiveFrontPoint<T>[]; front: ObjectiveFrontPoint<T>[]; hypervolume: number } | null {
  const targets = objectives.targets;
  if (targets.length < 2) return null;
  const points: ObjectiveFrontPoint<T>[] = [];
  for (const row of rows) {
    if (objectives.requireGlass && row.isGlass !== true) continue;
    const values = targets.map((t) => propertyValue(row, t.property));
    if (values.every((v): v is number => v !== null)) points.push({ row, values: values as number[] });
  }
  const oriented = points.map((p) => targets.map((t, k) => orientedValue(t, p.values[k])));
  const refOriented = targets.map((t, k) => {
    const bounds = orientedBounds(t);
    if (preferredSign(t) === 0) return -targetScale(t);
    if (bounds.length) return bounds[0].bound;
    const column = oriented.map((o) => o[k]);
    return column.length ? Math.min(...column) : 0;
  });
  const frontIdx = paretoFrontNd(oriented);
  return {
    properties: targets.map((t) => t.property),
    // In the properties' units (a range's entry: the gap to it).
    reference: targets.map((t, k) => (preferredSign(t) === 0 ? -refOriented[k] : preferredSign(t) * refOriented[k])),
    points,
    front: frontIdx.map((i) => points[i]),
    hypervolume: hypervolumeNd(
      frontIdx.map((i) => oriented[i]),
      refOriented,
    ),
  };
}
