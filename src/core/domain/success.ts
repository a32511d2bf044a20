/**
 * When a measured alloy counts as a success: it meets every objective of its campaign.
 *
 * - objectives.requireGlass: the alloy must be a glass former (isGlass === true, i.e. amorphous);
 *   unknown (null) is not a success.
 * - each target (objectives.ts): the measured value must meet its direction's bound(s); a missing
 *   value (null) does not meet it.
 *
 * Plain TypeScript (no NestJS, no I/O) so the API, exports, plots and the loop share one rule.
 */
import { COLUMN_PROPERTIES, describeTarget, directionOf, meetsTarget, orientedBounds, PROPERTY_NAME_PATTERN, propertyValue, targetRatio, type MeasuredValues, type TargetBounds } from './objectives.js';

export type { MeasuredValues } from './objectives.js';
/** The objectives as success reads them (the campaign's; weights play no part). */
export interface SuccessObjectives {
  requireGlass: boolean;
  targets: readonly TargetBounds[];
}
/** Any property an objective may name. */
export type SuccessProperty = string;

/** The objectives a measured alloy misses, as short reasons (empty = success). */
export function missedObjectives(m: MeasuredValues, objectives: SuccessObjectives): string[] {
  const missed: string[] = [];
  if (objectives.requireGlass && m.isGlass !== true) missed.push(m.isGlass === false ? 'not a glass' : 'glass formation unknown');
  for (const t of objectives.targets) {
    const value = propertyValue(m, t.property);
    if (value === null) missed.push(`${t.property} not measured`);
    else if (!meetsTarget(t, value)) {
      const d = directionOf(t);
      missed.push(d === 'atLeast' ? `${t.property} ${value} < ${t.threshold}` : d === 'atMost' ? `${t.property} ${value} > ${t.threshold}` : `${t.property} ${value} misses ${describeTarget(t)}`);
    }
  }
  return missed;
}

/** True when the alloy meets every objective. */
export function isSuccess(m: MeasuredValues, objectives: SuccessObjectives): boolean {
  if (objectives.requireGlass && m.isGlass !== true) return false;
  return objectives.targets.every((t) => meetsTarget(t, propertyValue(m, t.property)));
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
    const value = propertyValue(m, t.property);
    out.push(value === null ? null : meetsTarget(t, value));
  }
  return out;
}

/**
 * How close a measured alloy comes to success, one number: min over targets of targetRatio
 * (value/threshold for "at least"; a target without a value counts 0); a glass-required objective
 * missed halves it (a crystalline sample has no values, so it scores 0). >= 1 exactly when every
 * objective is met. No targets: 1 for a glass, else 0. The genetic baseline's fitness, the trust
 * region's anchors, the benchmarks' best score.
 */
export function successScore(m: MeasuredValues, objectives: SuccessObjectives): number {
  let score = Infinity;
  for (const t of objectives.targets) score = Math.min(score, targetRatio(t, propertyValue(m, t.property)));
  if (!Number.isFinite(score)) score = m.isGlass === true ? 1 : 0;
  if (objectives.requireGlass && m.isGlass !== true) score *= 0.5;
  return score;
}

const SQL_COLUMNS: Record<(typeof COLUMN_PROPERTIES)[number], string> = { yieldStrengthMPa: 'yield_strength_mpa', elongationPct: 'elongation_pct' };

/** The SQL expression of a property's value (double precision, NULL when not measured). */
export function propertySql(property: string, alias = 'm'): string {
  const column = (SQL_COLUMNS as Record<string, string>)[property];
  if (column) return `${alias}.${column}`;
  if (!PROPERTY_NAME_PATTERN.test(property)) throw new RangeError(`bad property name ${JSON.stringify(property)}`);
  const own = (name: string) => `(CASE WHEN jsonb_typeof(${alias}.extra->'${name}') = 'number' THEN (${alias}.extra->>'${name}')::float8 END)`;
  return property === 'deltaTxK' ? `coalesce(${own('deltaTxK')}, ${own('txK')} - ${own('tgK')})` : own(property);
}

/**
 * The same rule as an SQL boolean expression over measurement columns (is_glass,
 * yield_strength_mpa, elongation_pct, extra) of the table alias `alias`, for aggregating in the
 * database. Bounds are inlined as numeric literals (they are validated finite numbers).
 */
export function successSql(objectives: SuccessObjectives, alias = 'm'): string {
  const terms: string[] = [];
  if (objectives.requireGlass) terms.push(`${alias}.is_glass IS TRUE`);
  for (const t of objectives.targets) {
    const value = propertySql(t.property, alias);
    const bounds = orientedBounds(t);
    if (bounds.some((b) => !Number.isFinite(b.bound))) throw new RangeError(`bad objective ${JSON.stringify(t)}`);
    terms.push(bounds.length === 0 ? `${value} IS NOT NULL` : `coalesce(${bounds.map((b) => (b.sign === 1 ? `${value} >= ${Number(b.bound)}` : `${value} <= ${-Number(b.bound)}`)).join(' AND ')}, false)`);
  }
  return terms.length === 0 ? 'true' : `(${terms.join(' AND ')})`;
}
