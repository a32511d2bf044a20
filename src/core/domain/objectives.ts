/**
 * A campaign's objectives: the one definition of the type, its validation and defaults, and the
 * per-target arithmetic every part of the loop shares (success, reward, success probability,
 * acquisition, progress).
 *
 * An objective is a measured property with a direction and a weight:
 *
 *   { property: 'yieldStrengthMPa', direction: 'atLeast',  threshold: 1800, weight: 1 }
 *   { property: 'dmaxMm',           direction: 'maximise', weight: 2 }                 (no bound: better is better)
 *   { property: 'tlK',              direction: 'minimise', threshold: 1100, weight: 1 } (and at most 1100 K to count)
 *   { property: 'tgK',              direction: 'atMost',   threshold: 700, weight: 1 }
 *   { property: 'modulusGPa',       direction: 'within',   min: 80, max: 100, weight: 1 }
 *
 * `property` is one of MEASURED_PROPERTIES or a free name an instrument reports (`[A-Za-z][A-Za-z0-9_]*`,
 * stored in the measurement's `extra`). The form stored before issue 16, `{property, threshold,
 * weight}` without a direction, means `atLeast` (normaliseObjectives; migration 1764400000000).
 *
 * Plain TypeScript (no NestJS, no I/O).
 */
import { normalCdf } from '../util/normal.js';

export const OBJECTIVE_DIRECTIONS = ['maximise', 'minimise', 'atLeast', 'atMost', 'within'] as const;
export type ObjectiveDirection = (typeof OBJECTIVE_DIRECTIONS)[number];

/** Properties the service knows by name (units in the name); anything else is free-named. */
export const MEASURED_PROPERTIES = {
  yieldStrengthMPa: { label: 'yield strength', unit: 'MPa', short: 'σy' },
  elongationPct: { label: 'elongation', unit: '%', short: 'ε' },
  dmaxMm: { label: 'critical casting diameter Dmax', unit: 'mm', short: 'Dmax' },
  tgK: { label: 'glass transition Tg', unit: 'K', short: 'Tg' },
  txK: { label: 'crystallisation onset Tx', unit: 'K', short: 'Tx' },
  tlK: { label: 'liquidus Tl', unit: 'K', short: 'Tl' },
  deltaTxK: { label: 'supercooled liquid region ΔTx = Tx − Tg', unit: 'K', short: 'ΔTx' },
  modulusGPa: { label: "Young's modulus", unit: 'GPa', short: 'E' },
} as const satisfies Record<string, { label: string; unit: string; short: string }>;
export type KnownProperty = keyof typeof MEASURED_PROPERTIES;
/** A known property or a free name. */
export type PropertyName = string;

/** The two properties stored in their own measurement columns (the rest live in `extra`). */
export const COLUMN_PROPERTIES = ['yieldStrengthMPa', 'elongationPct'] as const;
export type ColumnProperty = (typeof COLUMN_PROPERTIES)[number];

/** Plausible ranges of the known properties' bounds. */
const KNOWN_RANGES: Readonly<Record<string, { min: number; max: number }>> = {
  yieldStrengthMPa: { min: 0, max: 10_000 },
  elongationPct: { min: 0, max: 100 },
  dmaxMm: { min: 0, max: 1000 },
  tgK: { min: 0, max: 5000 },
  txK: { min: 0, max: 5000 },
  tlK: { min: 0, max: 5000 },
  deltaTxK: { min: 0, max: 1000 },
  modulusGPa: { min: 0, max: 2000 },
};

export const PROPERTY_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** Measurement fields that are not properties. */
const RESERVED_NAMES = new Set(['isGlass', 'phase', 'composition', 'formula', 'class', 'gfa', 'notes', 'name', 'extra', 'raw']);
export const MAX_OBJECTIVES = 8;

export interface ObjectiveTarget {
  property: PropertyName;
  /** Left out: atLeast (the form before issue 16; stored campaigns are migrated to say it). */
  direction?: ObjectiveDirection;
  /** atLeast / atMost: the bound; maximise / minimise: an optional bound the value must also reach to count as a success. */
  threshold?: number;
  /** within: the range [min, max]. */
  min?: number;
  max?: number;
  /** Weight in the reward (paper: 1 per target) and in the ranking. */
  weight: number;
}

/** A target without its weight: all success and the bounds need. */
export type TargetBounds = Omit<ObjectiveTarget, 'weight'>;

export interface Objectives {
  /** Glass formation (amorphous phase) required for success. */
  requireGlass: boolean;
  targets: ObjectiveTarget[];
}

/** Values of one measured alloy, as success and progress read them. */
export interface MeasuredValues {
  isGlass: boolean | null;
  yieldStrengthMPa: number | null;
  elongationPct: number | null;
  /** Other properties by name (Dmax, Tg, ..., free names), as stored in the measurement's `extra`. */
  extra?: Readonly<Record<string, unknown>> | null;
}

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The measured value of `property`, or null. ΔTx is Tx − Tg when not reported itself. */
export function propertyValue(m: MeasuredValues, property: PropertyName): number | null {
  if (property === 'yieldStrengthMPa') return finite(m.yieldStrengthMPa);
  if (property === 'elongationPct') return finite(m.elongationPct);
  const own = finite(m.extra?.[property]);
  if (own !== null || property !== 'deltaTxK') return own;
  const tx = finite(m.extra?.txK);
  const tg = finite(m.extra?.tgK);
  return tx !== null && tg !== null ? tx - tg : null;
}

/** At most this many further properties in one result (instrument protocol 1.1, technician entries). */
export const MAX_REPORTED_PROPERTIES = 32;

const isColumn = (p: string) => (COLUMN_PROPERTIES as readonly string[]).includes(p);

/**
 * The further properties (stored in a measurement's `extra`) a campaign takes in a result entered
 * by a technician: the known properties beyond the two columns, and every free name its
 * objectives name.
 */
export function acceptedProperties(objectives: Objectives): string[] {
  return [...new Set([...Object.keys(MEASURED_PROPERTIES), ...objectives.targets.map((t) => t.property)])].filter((p) => !isColumn(p));
}

/**
 * Why a result's further properties do not fit the campaign (empty when they do): a name it does
 * not take (acceptedProperties), a value that is not a finite number, a known property outside its
 * physical range. A null value means "not measured" and is allowed.
 */
export function reportedPropertyProblems(values: Readonly<Record<string, unknown>>, objectives: Objectives): string[] {
  const accepted = acceptedProperties(objectives);
  const problems: string[] = [];
  const entries = Object.entries(values);
  if (entries.length > MAX_REPORTED_PROPERTIES) problems.push(`at most ${MAX_REPORTED_PROPERTIES} properties, got ${entries.length}`);
  for (const [name, value] of entries) {
    if (isColumn(name)) problems.push(`property ${name} has its own field`);
    else if (!accepted.includes(name)) problems.push(`property ${name} is not a property of this campaign (it takes ${accepted.join(', ')})`);
    else if (value === null) continue;
    else if (typeof value !== 'number' || !Number.isFinite(value)) problems.push(`property ${name} must be a finite number or null, got ${typeof value === 'number' ? String(value) : JSON.stringify(value)}`);
    else {
      const range = KNOWN_RANGES[name];
      if (range && (value < range.min || value > range.max)) problems.push(`property ${name} ${value} is outside ${range.min}-${range.max} ${propertyUnit(name)}`);
    }
  }
  return problems;
}

/** The measured values among reported properties (nulls and non-finite values left out), as a measurement's `extra` stores them. */
export function measuredProperties(values: Readonly<Record<string, unknown>> | null | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(values ?? {}).filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1])));
}

export function isKnownProperty(property: string): property is KnownProperty {
  return Object.prototype.hasOwnProperty.call(MEASURED_PROPERTIES, property);
}

/** A property's unit ('' for a free name). */
export function propertyUnit(property: string): string {
  return isKnownProperty(property) ? MEASURED_PROPERTIES[property].unit : '';
}

/** A short label: `σy`, `Dmax`, or the free name. */
export function propertyShort(property: string): string {
  return isKnownProperty(property) ? MEASURED_PROPERTIES[property].short : property;
}

/** How a target reads: `yieldStrengthMPa >= 1800`, `tlK minimised`, `modulusGPa in [80, 100]`. */
export function describeTarget(t: TargetBounds): string {
  const unit = propertyUnit(t.property) ? ` ${propertyUnit(t.property)}` : '';
  switch (directionOf(t)) {
    case 'atLeast':
      return `${t.property} >= ${t.threshold}${unit}`;
    case 'atMost':
      return `${t.property} <= ${t.threshold}${unit}`;
    case 'within':
      return `${t.property} in [${t.min}, ${t.max}]${unit}`;
    case 'maximise':
      return `${t.property} maximised${t.threshold !== undefined ? ` (>= ${t.threshold}${unit})` : ''}`;
    case 'minimise':
      return `${t.property} minimised${t.threshold !== undefined ? ` (<= ${t.threshold}${unit})` : ''}`;
  }
}

/** A target's direction (left out: atLeast). */
export function directionOf(t: TargetBounds): ObjectiveDirection {
  return t.direction ?? 'atLeast';
}

// ---------------------------------------------------------------------------------------------
// Validation and the old form
// ---------------------------------------------------------------------------------------------

/**
 * Reads objectives in the current or the pre-issue-16 form (a target without `direction` but
 * with a `threshold` is `atLeast`); missing weight = 1. Does not validate: see objectiveProblems.
 */
export function normaliseObjectives(raw: { requireGlass?: unknown; targets?: unknown }): Objectives {
  const targets = Array.isArray(raw.targets) ? raw.targets : [];
  return {
    requireGlass: raw.requireGlass === undefined ? true : raw.requireGlass === true,
    targets: targets.map((t: Record<string, unknown>) => {
      const direction = (t.direction ?? (t.threshold !== undefined ? 'atLeast' : undefined)) as ObjectiveDirection;
      const out: ObjectiveTarget = { property: t.property as string, direction, weight: t.weight === undefined ? 1 : (t.weight as number) };
      if (t.threshold !== undefined && t.threshold !== null) out.threshold = t.threshold as number;
      if (t.min !== undefined && t.min !== null) out.min = t.min as number;
      if (t.max !== undefined && t.max !== null) out.max = t.max as number;
      return out;
    }),
  };
}

/** What is wrong with a set of objectives, as reasons a person can act on (empty = valid). */
export function objectiveProblems(o: Objectives): string[] {
  const problems: string[] = [];
  if (typeof o.requireGlass !== 'boolean') problems.push('requireGlass must be true or false');
  if (!Array.isArray(o.targets)) return [...problems, 'targets must be an array'];
  if (o.targets.length > MAX_OBJECTIVES) problems.push(`at most ${MAX_OBJECTIVES} objectives, got ${o.targets.length}`);
  const seen = new Set<string>();
  o.targets.forEach((t, i) => {
    const at = `targets[${i}]`;
    if (typeof t.property !== 'string' || !PROPERTY_NAME_PATTERN.test(t.property)) {
      problems.push(`${at}.property must be a property name such as yieldStrengthMPa or dmaxMm (letters, digits, _), got ${JSON.stringify(t.property)}`);
      return;
    }
    if (RESERVED_NAMES.has(t.property)) problems.push(`${at}.property "${t.property}" is not a measured property`);
    if (seen.has(t.property)) problems.push('each objective property may appear once');
    seen.add(t.property);
    const direction = t.direction ?? 'atLeast';
    if (!OBJECTIVE_DIRECTIONS.includes(direction)) {
      problems.push(`${at}.direction must be one of ${OBJECTIVE_DIRECTIONS.join(', ')} (or leave it out with a threshold: at least), got ${JSON.stringify(direction)}`);
      return;
    }
    const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
    if (!num(t.weight) || t.weight < 0 || t.weight > 100) problems.push(`${at}.weight must be a number in [0, 100]`);
    if ((direction === 'atLeast' || direction === 'atMost') && !num(t.threshold)) problems.push(`${at}: direction ${direction} needs a finite threshold`);
    if ((direction === 'maximise' || direction === 'minimise') && t.threshold !== undefined && !num(t.threshold)) problems.push(`${at}.threshold must be a finite number`);
    if (direction === 'within') {
      if (!num(t.min) || !num(t.max)) problems.push(`${at}: direction within needs finite min and max`);
      else if (t.min! > t.max!) problems.push(`${at}: min ${t.min} exceeds max ${t.max}`);
    } else if (t.min !== undefined || t.max !== undefined) {
      problems.push(`${at}: min and max belong to direction within`);
    }
    if (direction === 'within' && t.threshold !== undefined) problems.push(`${at}: direction within takes min and max, not threshold`);
    // Known properties are physical quantities: no bound outside their range (a unit slip, a sign error).
    const range = KNOWN_RANGES[t.property];
    if (range) {
      for (const [field, v] of [['threshold', t.threshold], ['min', t.min], ['max', t.max]] as const) {
        if (typeof v === 'number' && Number.isFinite(v) && (v < range.min || v > range.max)) problems.push(`${at}.${field} ${v} is outside ${range.min}-${range.max} ${propertyUnit(t.property)}`);
      }
    }
  });
  if (o.requireGlass === false && o.targets.length === 0) problems.push('objectives need glass formation or at least one property target');
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Per-target arithmetic
// ---------------------------------------------------------------------------------------------

/**
 * A target as conjunction of oriented bounds `sign * value >= bound` (within: two of them;
 * maximise / minimise without a threshold: none, so any measured value meets it).
 */
export function orientedBounds(t: TargetBounds): { sign: 1 | -1; bound: number }[] {
  switch (directionOf(t)) {
    case 'atLeast':
      return [{ sign: 1, bound: t.threshold! }];
    case 'atMost':
      return [{ sign: -1, bound: -t.threshold! }];
    case 'within':
      return [
        { sign: 1, bound: t.min! },
        { sign: -1, bound: -t.max! },
      ];
    case 'maximise':
      return t.threshold === undefined ? [] : [{ sign: 1, bound: t.threshold }];
    case 'minimise':
      return t.threshold === undefined ? [] : [{ sign: -1, bound: -t.threshold }];
  }
}

/** +1 when larger values are better, -1 when smaller are, 0 for a range. */
export function preferredSign(t: TargetBounds): 1 | -1 | 0 {
  const d = directionOf(t);
  if (d === 'maximise' || d === 'atLeast') return 1;
  if (d === 'minimise' || d === 'atMost') return -1;
  return 0;
}

/** A measured value meets the target (null: not measured, never meets). */
export function meetsTarget(t: TargetBounds, value: number | null | undefined): boolean {
  if (value === null || value === undefined || !Number.isFinite(value)) return false;
  return orientedBounds(t).every((b) => b.sign * value >= b.bound);
}

/** Distance (in the property's unit) from meeting the target; 0 when met. */
export function targetGap(t: TargetBounds, value: number): number {
  let gap = 0;
  for (const b of orientedBounds(t)) gap = Math.max(gap, b.bound - b.sign * value);
  return gap;
}

/** A typical size of the target's values: scales improvements and spreads (never 0). */
export function targetScale(t: TargetBounds): number {
  if (directionOf(t) === 'within') return Math.max(Math.abs(t.max! - t.min!), Math.abs(t.min!), Math.abs(t.max!), 1e-9);
  return Math.max(Math.abs(t.threshold ?? 0), 1e-9);
}

/**
 * How close a value comes to the target, >= 1 exactly when met: value/threshold for at least
 * (the pre-issue-16 rule), threshold/value for at most, 1 - gap/scale outside a range, 1 for a
 * measured maximise/minimise without a bound. Not measured: 0.
 */
export function targetRatio(t: TargetBounds, value: number | null | undefined): number {
  if (value === null || value === undefined || !Number.isFinite(value)) return 0;
  const bounds = orientedBounds(t);
  if (bounds.length === 0) return 1;
  const sign = preferredSign(t);
  if (meetsTarget(t, value)) {
    if (sign === 1) return t.threshold! > 0 ? value / t.threshold! : 1;
    if (sign === -1) return value > 0 && t.threshold! > 0 ? t.threshold! / value : 1;
    return 1;
  }
  if (sign === 1 && t.threshold! > 0) return Math.max(0, value / t.threshold!);
  if (sign === -1 && value > 0 && t.threshold! > 0) return t.threshold! / value;
  return Math.max(0, Math.min(0.999, 1 - targetGap(t, value) / targetScale(t)));
}

/** P(target met) for a normal predictive distribution N(mean, std²). */
export function probabilityMet(t: TargetBounds, mean: number, std: number): number {
  if (!Number.isFinite(mean)) return 1; // not modelled (no data yet): the design cannot tell
  if (directionOf(t) === 'within') {
    if (!(std > 0)) return meetsTarget(t, mean) ? 1 : 0;
    return Math.max(0, normalCdf((t.max! - mean) / std) - normalCdf((t.min! - mean) / std));
  }
  let p = 1;
  for (const b of orientedBounds(t)) p *= std > 0 ? normalCdf((b.sign * mean - b.bound) / std) : b.sign * mean >= b.bound ? 1 : 0;
  return p;
}

/**
 * The reward's improvement of s -> s' on one target, before tanh: larger-is-better targets
 * (cur - prev) / max(threshold, prev) as the paper; smaller-is-better the mirror; a range the
 * shrinking of the gap, relative to the range's scale.
 */
export function targetImprovement(t: TargetBounds, previous: number, current: number): number {
  const sign = preferredSign(t);
  if (sign === 1) return (current - previous) / Math.max(t.threshold ?? 0, previous, 1e-9);
  if (sign === -1) return (previous - current) / Math.max(Math.abs(t.threshold ?? 0), Math.abs(previous), 1e-9);
  return (targetGap(t, previous) - targetGap(t, current)) / targetScale(t);
}

/** Met with margin: at least reaches factor x threshold, at most stays under threshold / factor (factor 1: met). */
export function meetsWithFactor(t: TargetBounds, value: number, factor: number): boolean {
  if (factor === 1 || directionOf(t) === 'within') return meetsTarget(t, value);
  if (t.threshold === undefined) return Number.isFinite(value);
  const sign = preferredSign(t);
  return sign === 1 ? value >= factor * t.threshold : value <= t.threshold / factor;
}

/**
 * Targets as the design models see them: a maximise / minimise target without a threshold gets
 * the best value measured so far (among alloys meeting the glass requirement), so "meeting" it
 * means improving on it (probability of improvement). Without any measured value it stays open.
 */
export function designTargets(objectives: Objectives, measured: readonly MeasuredValues[]): ObjectiveTarget[] {
  return objectives.targets.map((t) => {
    const d = directionOf(t);
    if ((d !== 'maximise' && d !== 'minimise') || t.threshold !== undefined) return t;
    let best: number | null = null;
    for (const m of measured) {
      if (objectives.requireGlass && m.isGlass !== true) continue;
      const v = propertyValue(m, t.property);
      if (v === null) continue;
      if (best === null || (d === 'maximise' ? v > best : v < best)) best = v;
    }
    return best === null ? t : { ...t, threshold: best };
  });
}

/** Every property the objectives name, in their order. */
export function objectiveProperties(objectives: Objectives | readonly ObjectiveTarget[]): string[] {
  const targets = Array.isArray(objectives) ? objectives : (objectives as Objectives).targets;
  return targets.map((t: ObjectiveTarget) => t.property);
}

/**
 * One design target (this file): the campaign's target with its bounds as
 * the design sees them (designTargets); glass formation is required on top when the campaign asks.
 */
export type Objective = ObjectiveTarget;
