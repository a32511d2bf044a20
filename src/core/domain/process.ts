/**
 * Process variables of a campaign's design space (issue 16, part 2): how an alloy is made, next to
 * what it is made of. The one definition of the type, its validation, its defaults and its
 * encodings (agent state and action, surrogate features).
 *
 *   { name: 'castingDiameterMm', kind: 'continuous', min: 1, max: 5, step: 0.5, unit: 'mm' }
 *   { name: 'coolingMethod', kind: 'categorical', values: ['copper-mould', 'suction', 'water-quench'] }
 *   { name: 'annealTempK', kind: 'continuous', min: 500, max: 700, step: 10, unit: 'K', default: 600 }
 *
 * Defaults (processDefault): the stated `default`, else the midpoint of a continuous variable on
 * its step grid, else the first value of a categorical one. Measurements without process values
 * (seed data, protocol-1.0 instruments) are read with the defaults.
 *
 * Encoding (encodeProcess / decodeProcess): one number in [0, 1] per variable, in the order the
 * space declares them: a continuous value scaled by its bounds, a categorical value as its index
 * scaled by the number of values; decoding clamps, rounds to the step (or the nearest index).
 * Surrogate features (processFeatures) are the same scaled continuous values and a one-hot per
 * categorical value.
 *
 * Plain TypeScript (no NestJS, no I/O).
 */
import type { Random } from '../util/random.js';

export const PROCESS_VARIABLE_KINDS = ['continuous', 'categorical'] as const;
export type ProcessVariableKind = (typeof PROCESS_VARIABLE_KINDS)[number];

/**
 * The process variable types (issue 16).
 */
export interface ContinuousProcessVariable {
  name: string;
  kind: 'continuous';
  min: number;
  max: number;
  /** Grid step of the values (in the unit); proposals lie on min + k * step. */
  step: number;
  unit: string;
  default?: number;
}

export interface CategoricalProcessVariable {
  name: string;
  kind: 'categorical';
  values: string[];
  default?: string;
}

export type ProcessVariable = ContinuousProcessVariable | CategoricalProcessVariable;
export type ProcessValue = number | string;
/** Process values by variable name. */
export type ProcessValues = Record<string, ProcessValue>;

export const PROCESS_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
export const MAX_PROCESS_VARIABLES = 8;
export const MAX_CATEGORICAL_VALUES = 32;
/** A categorical value: 1-64 printable characters. */
export const PROCESS_CATEGORY_PATTERN = /^[\x21-\x7e]([\x20-\x7e]{0,62}[\x21-\x7e])?$/;
/** Continuous variables have at most this many grid points (keeps the step meaningful). */
const MAX_GRID_POINTS = 100_000;

/** Why a campaign's process variables are inconsistent (empty when they are fine). */
export function checkProcessVariables(variables: readonly ProcessVariable[] | undefined): string[] {
  if (variables === undefined) return [];
  const problems: string[] = [];
  if (!Array.isArray(variables)) return ['process must be a list of process variables'];
  if (variables.length > MAX_PROCESS_VARIABLES) problems.push(`at most ${MAX_PROCESS_VARIABLES} process variables (got ${variables.length})`);
  const seen = new Set<string>();
  variables.forEach((v, i) => {
    const what = `process variable ${typeof v?.name === 'string' ? v.name : `#${i + 1}`}`;
    if (typeof v !== 'object' || v === null) {
      problems.push(`process variable #${i + 1} must be an object`);
      return;
    }
    if (typeof v.name !== 'string' || !PROCESS_NAME_PATTERN.test(v.name)) problems.push(`process variable #${i + 1}: name must be 1-64 letters, digits or _, starting with a letter`);
    else if (seen.has(v.name)) problems.push(`${what} is declared twice`);
    seen.add(v.name);
    if (v.kind === 'continuous') {
      const finite = [v.min, v.max, v.step].every((n) => typeof n === 'number' && Number.isFinite(n));
      if (!finite) {
        problems.push(`${what}: a continuous variable needs finite min, max and step`);
        return;
      }
      if (v.min > v.max) problems.push(`${what}: min ${v.min} > max ${v.max}`);
      if (!(v.step > 0)) problems.push(`${what}: step must be > 0 (got ${v.step})`);
      else if (!onGrid(v.max - v.min, v.step)) problems.push(`${what}: max - min (${v.max - v.min}) must be a whole number of steps of ${v.step}`);
      else if ((v.max - v.min) / v.step > MAX_GRID_POINTS) problems.push(`${what}: more than ${MAX_GRID_POINTS} steps between min and max`);
      if (typeof v.unit !== 'string' || v.unit.length > 32) problems.push(`${what}: unit must be a string of at most 32 characters (e.g. "mm", "K", "min")`);
      if ('values' in v && (v as { values?: unknown }).values !== undefined) problems.push(`${what}: a continuous variable has no values list`);
      if (v.default !== undefined) {
        const p = processValueProblem(v, v.default);
        if (p) problems.push(`${what}: default ${p}`);
      }
    } else if (v.kind === 'categorical') {
      if (!Array.isArray(v.values) || v.values.length < 1) {
        problems.push(`${what}: a categorical variable needs a non-empty values list`);
        return;
      }
      if (v.values.length > MAX_CATEGORICAL_VALUES) problems.push(`${what}: at most ${MAX_CATEGORICAL_VALUES} values`);
      for (const value of v.values) {
        if (typeof value !== 'string' || !PROCESS_CATEGORY_PATTERN.test(value)) problems.push(`${what}: value ${JSON.stringify(value)} must be 1-64 printable characters`);
      }
      if (new Set(v.values).size !== v.values.length) problems.push(`${what}: a value is listed twice`);
      for (const field of ['min', 'max', 'step'] as const) {
        if ((v as unknown as Record<string, unknown>)[field] !== undefined) problems.push(`${what}: a categorical variable has no ${field}`);
      }
      if (v.default !== undefined) {
        const p = processValueProblem(v, v.default);
        if (p) problems.push(`${what}: default ${p}`);
      }
    } else {
      problems.push(`${what}: kind must be one of ${PROCESS_VARIABLE_KINDS.join(', ')}`);
    }
  });
  return problems;
}

/**
 * A request's process variables in the stored form: only the fields of each kind (a continuous
 * variable without a unit gets ""). Unknown kinds are kept as given for checkProcessVariables to name.
 */
export function normaliseProcessVariables(raw: readonly Record<string, unknown>[]): ProcessVariable[] {
  return raw.map((v) => {
    const base = { name: v.name as string, kind: v.kind as ProcessVariableKind };
    if (v.kind === 'continuous') {
      return { ...base, kind: 'continuous', min: v.min as number, max: v.max as number, step: v.step as number, unit: (v.unit as string | undefined) ?? '', ...(v.default !== undefined ? { default: v.default as number } : {}), ...(v.values !== undefined ? { values: v.values } : {}) } as ContinuousProcessVariable;
    }
    if (v.kind === 'categorical') {
      return { ...base, kind: 'categorical', values: v.values as string[], ...(v.default !== undefined ? { default: v.default as string } : {}), ...(['min', 'max', 'step'].some((f) => v[f] !== undefined) ? { min: v.min, max: v.max, step: v.step } : {}) } as CategoricalProcessVariable;
    }
    return { ...v } as unknown as ProcessVariable;
  });
}

/** The variable's default value (the one place defaults are decided, see the header). */
export function processDefault(v: ProcessVariable): ProcessValue {
  if (v.kind === 'categorical') return v.default ?? v.values[0];
  return v.default ?? snapContinuous(v, (v.min + v.max) / 2);
}

/** Why `value` is not a legal value of `v` (null when it is). */
export function processValueProblem(v: ProcessVariable, value: unknown): string | null {
  if (v.kind === 'categorical') {
    return typeof value === 'string' && v.values.includes(value) ? null : `${JSON.stringify(value)} is not one of ${v.values.map((x) => JSON.stringify(x)).join(', ')}`;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${JSON.stringify(value)} is not a number (${v.unit})`;
  if (value < v.min - 1e-9 || value > v.max + 1e-9) return `${value} ${v.unit} is outside [${v.min}, ${v.max}] ${v.unit}`;
  if (!onGrid(value - v.min, v.step)) return `${value} ${v.unit} is not on the ${v.step} ${v.unit} grid from ${v.min}`;
  return null;
}

/** Why a set of process values does not fit the variables: unknown names, illegal values (missing ones are allowed: they take the default). */
export function checkProcessValues(values: Readonly<Record<string, unknown>>, variables: readonly ProcessVariable[]): string[] {
  const problems: string[] = [];
  const byName = new Map(variables.map((v) => [v.name, v]));
  for (const [name, value] of Object.entries(values)) {
    const v = byName.get(name);
    if (!v) {
      problems.push(`process value ${name} names no process variable of the campaign (${variables.map((x) => x.name).join(', ') || 'it has none'})`);
      continue;
    }
    const p = processValueProblem(v, value);
    if (p) problems.push(`process value ${name}: ${p}`);
  }
  return problems;
}

/**
 * Every variable's value: the given one when it is legal, else the default (seed data and
 * results without process values). Names the campaign does not declare are dropped.
 */
export function withProcessDefaults(values: Readonly<Record<string, unknown>> | null | undefined, variables: readonly ProcessVariable[]): ProcessValues {
  const out: ProcessValues = {};
  for (const v of variables) {
    const given = values?.[v.name];
    out[v.name] = given !== undefined && processValueProblem(v, given) === null ? (given as ProcessValue) : processDefault(v);
  }
  return out;
}

/** A continuous value clamped to the bounds and rounded to the step grid. */
export function snapContinuous(v: ContinuousProcessVariable, x: number): number {
  const clamped = Math.min(v.max, Math.max(v.min, Number.isFinite(x) ? x : v.min));
  const k = Math.round((clamped - v.min) / v.step);
  const snapped = Math.min(v.max, v.min + k * v.step);
  return Math.round(snapped * 1e9) / 1e9;
}

/** One number in [0, 1] per variable (see the header). */
export function encodeProcess(values: ProcessValues, variables: readonly ProcessVariable[]): number[] {
  return variables.map((v) => {
    const value = values[v.name] ?? processDefault(v);
    if (v.kind === 'categorical') {
      const i = Math.max(0, v.values.indexOf(String(value)));
      return v.values.length > 1 ? i / (v.values.length - 1) : 0;
    }
    return v.max > v.min ? (Number(value) - v.min) / (v.max - v.min) : 0;
  });
}

/** The inverse of encodeProcess: clamped to [0, 1], rounded to the step grid or the nearest value. */
export function decodeProcess(u: ArrayLike<number>, variables: readonly ProcessVariable[]): ProcessValues {
  const out: ProcessValues = {};
  variables.forEach((v, i) => {
    const t = Math.min(1, Math.max(0, Number.isFinite(u[i]) ? u[i] : 0));
    if (v.kind === 'categorical') out[v.name] = v.values[Math.round(t * (v.values.length - 1))];
    else out[v.name] = snapContinuous(v, v.min + t * (v.max - v.min));
  });
  return out;
}

/** A uniformly random legal value of each variable (on the step grid). */
export function randomProcess(variables: readonly ProcessVariable[], rng: Random): ProcessValues {
  const out: ProcessValues = {};
  for (const v of variables) {
    if (v.kind === 'categorical') out[v.name] = v.values[rng.int(v.values.length)];
    else out[v.name] = snapContinuous(v, v.min + v.step * rng.int(Math.round((v.max - v.min) / v.step) + 1));
  }
  return out;
}

/** A stable text key of process values (with defaults filled), for "same experiment" checks. */
export function processKey(values: Readonly<Record<string, unknown>> | null | undefined, variables: readonly ProcessVariable[]): string {
  if (variables.length === 0) return '';
  const full = withProcessDefaults(values, variables);
  return variables.map((v) => `${v.name}=${full[v.name]}`).join(';');
}

/** Names of the surrogate features processFeatures returns, in order. */
export function processFeatureNames(variables: readonly ProcessVariable[]): string[] {
  return variables.flatMap((v) => (v.kind === 'categorical' ? v.values.map((x) => `process:${v.name}=${x}`) : [`process:${v.name}`]));
}

/** Surrogate features of process values: a continuous value scaled to [0, 1] by its bounds, a one-hot per categorical value. */
export function processFeatures(values: ProcessValues, variables: readonly ProcessVariable[]): number[] {
  return variables.flatMap((v) => {
    const value = values[v.name] ?? processDefault(v);
    if (v.kind === 'categorical') return v.values.map((x) => (x === value ? 1 : 0));
    return [v.max > v.min ? (Number(value) - v.min) / (v.max - v.min) : 0];
  });
}

/** A result whose reported process differs from the one dispatched is kept, with this flag. */
export const PROCESS_DEVIATION_FLAG = 'process_deviation';

/** True when a result reports a process value other than the one its experiment was dispatched with (a value not reported is not a deviation). */
export function processDeviates(reported: Readonly<ProcessValues> | null | undefined, dispatched: Readonly<ProcessValues> | null | undefined): boolean {
  if (!reported) return false;
  return Object.entries(reported).some(([name, value]) => dispatched?.[name] !== undefined && dispatched[name] !== value);
}

/** A short text of process values for logs and formulas, e.g. "castingDiameterMm=2, coolingMethod=suction". */
export function describeProcess(values: ProcessValues | null | undefined): string {
  return values ? Object.entries(values).map(([k, v]) => `${k}=${v}`).join(', ') : '';
}

function onGrid(value: number, step: number): boolean {
  const units = value / step;
  return Math.abs(units - Math.round(units)) < 1e-6;
}

/**
 * What an instrument can make (protocol 1.3, in its capabilities): per process variable, the
 * numeric range or the categorical values. A variable it does not list, it cannot set.
 */
export type ProcessSupport = Record<string, { min: number; max: number } | { values: string[] }>;

/**
 * Why an instrument that can make `support` cannot make these process values (null when it can,
 * or when it does not say what it can make). The one rule the dispatcher routes by and a virtual
 * instrument rejects by.
 */
export function processRejection(process: Readonly<Record<string, unknown>> | null | undefined, support: ProcessSupport | null | undefined): string | null {
  if (!process || !support) return null;
  for (const [name, value] of Object.entries(process)) {
    const s = support[name];
    if (!s) return `process variable ${name} is not supported (supported: ${Object.keys(support).join(', ') || 'none'})`;
    if ('values' in s) {
      if (typeof value !== 'string' || !s.values.includes(value)) return `cannot honour ${name}=${String(value)} (supported: ${s.values.join(', ')})`;
    } else if (typeof value !== 'number' || value < s.min || value > s.max) {
      return `cannot honour ${name}=${String(value)} (supported: ${s.min}..${s.max})`;
    }
  }
  return null;
}
