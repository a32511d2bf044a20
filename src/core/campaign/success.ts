/**
 * When a measured alloy counts as a success: it meets every objective of its campaign.
 *
 * - objectives.requireGlass: the alloy must be a glass former (isGlass === true, i.e. amorphous);
 *   unknown (null) is not a success.
 * - each target {property, threshold}: the measured value must be >= threshold; a missing value
 *   (null) does not meet it.
 *
 * Plain TypeScript (no NestJS, no I/O) so the API, exports, plots and the loop share one rule.
 */

export type SuccessProperty = 'yieldStrengthMPa' | 'elongationPct';

export interface SuccessObjectives {
  requireGlass: boolean;
  targets: ReadonlyArray<{ property: SuccessProperty; threshold: number }>;
}

export interface MeasuredValues {
  isGlass: boolean | null;
  yieldStrengthMPa: number | null;
  elongationPct: number | null;
}

/** The objectives a measured alloy misses, as short reasons (empty = success). */
export function missedObjectives(m: MeasuredValues, objectives: SuccessObjectives): string[] {
  const missed: string[] = [];
  if (objectives.requireGlass && m.isGlass !== true) missed.push(m.isGlass === false ? 'not a glass' : 'glass formation unknown');
  for (const t of objectives.targets) {
    const value = m[t.property];
    if (value === null || value === undefined || !Number.isFinite(value)) missed.push(`${t.property} not measured`);
    else if (value < t.threshold) missed.push(`${t.property} ${value} < ${t.threshold}`);
  }
  return missed;
}

/** True when the alloy meets every objective. */
export function isSuccess(m: MeasuredValues, objectives: SuccessObjectives): boolean {
  if (objectives.requireGlass && m.isGlass !== true) return false;
  for (const t of objectives.targets) {
    const value = m[t.property];
    if (value === null || value === undefined || !Number.isFinite(value) || value < t.threshold) return false;
  }
  return true;
}

/**
 * The same rule, factor by factor: [glass (when required), then each target], true = met,
 * false = missed, null = not measured (a missing value, or glass formation unknown). isSuccess is
 * true exactly when every factor is true. The proposals' local evidence counts each factor on its own.
 */
export function objectiveOutcomes(m: MeasuredValues, objectives: SuccessObjectives): (boolean | null)[] {
  const out: (boolean | null)[] = [];
  if (objectives.requireGlass) out.push(m.isGlass === null || m.isGlass === undefined ? null : m.isGlass);
  for (const t of objectives.targets) {
    const value = m[t.property];
    out.push(value === null || value === undefined || !Number.isFinite(value) ? null : value >= t.threshold);
  }
  return out;
}

/**
 * How close a measured alloy comes to success, one number: min over targets of value/threshold
 * (a target without a value counts 0); a glass-required objective missed halves it (a crystalline
 * sample has no values, so it scores 0). >= 1 exactly when every objective is met. No targets: 1
 * for a glass, else 0. The genetic baseline's fitness, the trust region's anchors, the benchmarks'
 * best score.
 */
export function successScore(m: MeasuredValues, objectives: SuccessObjectives): number {
  let score = Infinity;
  for (const t of objectives.targets) {
    const v = m[t.property];
    const ratio = v === null || v === undefined || !Number.isFinite(v) || t.threshold <= 0 ? 0 : v / t.threshold;
    score = Math.min(score, ratio);
  }
  if (!Number.isFinite(score)) score = m.isGlass === true ? 1 : 0;
  if (objectives.requireGlass && m.isGlass !== true) score *= 0.5;
  return score;
}

const SQL_COLUMNS: Record<SuccessProperty, string> = { yieldStrengthMPa: 'yield_strength_mpa', elongationPct: 'elongation_pct' };

/**
 * The same rule as an SQL boolean expression over measurement columns (is_glass,
 * yield_strength_mpa, elongation_pct) of the table alias `alias`, for aggregating in the database.
 * Thresholds are inlined as numeric literals (they are validated finite numbers).
 */
export function successSql(objectives: SuccessObjectives, alias = 'm'): string {
  const terms: string[] = [];
  if (objectives.requireGlass) terms.push(`${alias}.is_glass IS TRUE`);
  for (const t of objectives.targets) {
    const column = SQL_COLUMNS[t.property];
    if (!column || !Number.isFinite(t.threshold)) throw new RangeError(`bad objective ${JSON.stringify(t)}`);
    terms.push(`coalesce(${alias}.${column} >= ${Number(t.threshold)}, false)`);
  }
  return terms.length === 0 ? 'true' : `(${terms.join(' AND ')})`;
}
