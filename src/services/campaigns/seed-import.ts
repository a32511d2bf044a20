import { parse as parseCsv } from 'csv-parse/sync';
import { formatFormula, normalize, parseFormula } from '../../core/chemistry/composition.js';
import { ELEMENT_SYMBOLS } from '../../core/chemistry/elements.js';
import type { Composition } from '../../core/chemistry/types.js';
import type { Phase } from '../../repositories/entities/measurement.entity.js';

/**
 * The one place that knows seed-data layouts: CSV or JSON rows of measured alloys, with the
 * composition either as a formula string (`Zr65Cu17.5Ni10Al7.5`, `(Zr0.5Cu0.5)90Al10`) or as
 * element columns in at.% (the layout of the published AIMatDesign CSV imports as it is).
 * Every row is either kept or reported with its row number and reason; nothing is dropped silently.
 */
export interface ImportedAlloy {
  row: number;
  name: string | null;
  composition: Composition;
  formula: string;
  phase: Phase | null;
  isGlass: boolean | null;
  yieldStrengthMPa: number | null;
  elongationPct: number | null;
  extra: Record<string, unknown>;
  /** The row as it was read, kept with the measurement. */
  raw: Record<string, unknown>;
}

export interface RowProblem {
  /** 1-based data row number (CSV: line 2 is row 1; JSON: array index + 1). */
  row: number;
  reason: string;
  raw: Record<string, unknown>;
}

export interface ParsedImport {
  format: 'csv' | 'json';
  alloys: ImportedAlloy[];
  problems: RowProblem[];
}

export class ImportFormatError extends Error {}

export const PHYSICAL_RANGES = {
  yieldStrengthMPa: { min: 0, max: 10_000 },
  elongationPct: { min: 0, max: 100 },
} as const;

const KNOWN_ELEMENTS = new Set<string>(ELEMENT_SYMBOLS);

/** Column aliases, compared case-insensitively with spaces, _ and - ignored. */
const ALIASES = {
  formula: ['chemical composition', 'composition', 'formula', 'alloy'],
  name: ['bmgs', 'name', 'alloy name', 'label'],
  phase: ['phase'],
  className: ['class'],
  isGlass: ['cls_label', 'isglass', 'glass', 'is_glass', 'bmg'],
  yieldStrengthMPa: ['yield(mpa)', 'yieldstrengthmpa', 'yield_strength_mpa', 'yield strength (mpa)', 'yieldstrength', 'yield'],
  elongationPct: ['ε(%)', 'e(%)', 'elongationpct', 'elongation_pct', 'elongation (%)', 'elongation', 'plastic strain (%)'],
} as const;
const EXTRA_COLUMNS: Record<string, string> = {
  'dmax(mm)': 'dmaxMm',
  dmaxmm: 'dmaxMm',
  'tg(k)': 'tgK',
  tgk: 'tgK',
  'tx(k)': 'txK',
  txk: 'txK',
  'tl(k)': 'tlK',
  tlk: 'tlK',
  'modulus (gpa)': 'modulusGPa',
  modulusgpa: 'modulusGPa',
  gfa: 'gfa',
  class: 'class',
};

function key(column: string): string {
  return column.normalize('NFKC').toLowerCase().replace(/[\s_-]/g, '');
}
const ALIAS_KEYS = Object.fromEntries(Object.entries(ALIASES).map(([field, names]) => [field, names.map(key)])) as Record<
  keyof typeof ALIASES,
  string[]
>;
const EXTRA_KEYS = Object.fromEntries(Object.entries(EXTRA_COLUMNS).map(([k, v]) => [key(k), v]));

/**
 * `properties`: further property names the campaign takes beyond the known columns (the free names
 * its objectives name): a column of exactly that name is kept in `extra`, a finite number or empty.
 */
export function parseSeedData(text: string, options: { format?: 'csv' | 'json'; maxRows?: number; properties?: readonly string[] } = {}): ParsedImport {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed.length === 0) throw new ImportFormatError('the upload is empty');
  const format = options.format ?? (trimmed.startsWith('[') || trimmed.startsWith('{') ? 'json' : 'csv');
  const records = format === 'json' ? readJson(trimmed) : readCsv(trimmed);
  if (records.length === 0) throw new ImportFormatError('the upload has no data rows');
  if (options.maxRows !== undefined && records.length > options.maxRows) {
    throw new ImportFormatError(`the upload has ${records.length} rows; at most ${options.maxRows} are accepted at once`);
  }
  const columns = new Set(records.flatMap((r) => Object.keys(r)));
  const elementColumns = [...columns].filter((c) => KNOWN_ELEMENTS.has(c.trim()));
  const formulaColumn = findColumn(columns, 'formula');
  if (!formulaColumn && elementColumns.length === 0 && !columns.has('composition')) {
    throw new ImportFormatError(
      `no composition found: expected a formula column (${ALIASES.formula.join(', ')}) or element columns in at.% (e.g. Zr, Cu, Al)`,
    );
  }
  const alloys: ImportedAlloy[] = [];
  const problems: RowProblem[] = [];
  records.forEach((raw, index) => {
    const row = index + 1;
    try {
      alloys.push(readRow(raw, row, columns, elementColumns, formulaColumn, options.properties ?? []));
    } catch (error) {
      problems.push({ row, reason: error instanceof Error ? error.message : String(error), raw });
    }
  });
  return { format, alloys, problems };
}

function readJson(text: string): Record<string, unknown>[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ImportFormatError(`invalid JSON: ${(error as Error).message}`);
  }
  const rows = Array.isArray(data) ? data : (data as { rows?: unknown; measurements?: unknown }).rows ?? (data as { measurements?: unknown }).measurements;
  if (!Array.isArray(rows)) throw new ImportFormatError('JSON must be an array of rows, or an object with a "rows" array');
  return rows.map((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new ImportFormatError(`row ${i + 1} is not an object`);
    return r as Record<string, unknown>;
  });
}

function readCsv(text: string): Record<string, unknown>[] {
  try {
    return parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, relax_column_count: false, bom: true }) as Record<string, unknown>[];
  } catch (error) {
    throw new ImportFormatError(`invalid CSV: ${(error as Error).message}`);
  }
}

function findColumn(columns: Set<string>, field: keyof typeof ALIASES): string | undefined {
  const wanted = ALIAS_KEYS[field];
  for (const alias of wanted) for (const c of columns) if (key(c) === alias) return c;
  return undefined;
}

function readRow(
  raw: Record<string, unknown>,
  row: number,
  columns: Set<string>,
  elementColumns: string[],
  formulaColumn: string | undefined,
  properties: readonly string[],
): ImportedAlloy {
  const composition = readComposition(raw, elementColumns, formulaColumn);
  const name = text(raw[findColumn(columns, 'name') ?? '']);
  const yieldStrengthMPa = number(raw, findColumn(columns, 'yieldStrengthMPa'), 'yield strength', PHYSICAL_RANGES.yieldStrengthMPa, 'MPa');
  const elongationPct = number(raw, findColumn(columns, 'elongationPct'), 'elongation', PHYSICAL_RANGES.elongationPct, '%');
  const { phase, isGlass } = readPhase(raw, columns);
  if (isGlass === null && phase === null && yieldStrengthMPa === null && elongationPct === null) {
    throw new Error('no measured property: give at least one of phase/class/cls_label, yield strength or elongation');
  }
  const extra: Record<string, unknown> = {};
  for (const c of columns) {
    const target = EXTRA_KEYS[key(c)];
    const value = raw[c];
    if (!target || value === undefined || value === null || value === '') continue;
    const n = Number(value);
    extra[target] = typeof value === 'string' && Number.isFinite(n) && value.trim() !== '' ? n : value;
  }
  // The campaign's free-named objective properties, by their exact name.
  for (const property of properties) {
    const value = raw[property];
    if (value === undefined || value === null || value === '' || property in extra) continue;
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n)) throw new Error(`${property} ${JSON.stringify(value)} is not a finite number`);
    extra[property] = n;
  }
  return { row, name, composition, formula: formatFormula(composition), phase, isGlass, yieldStrengthMPa, elongationPct, extra, raw };
}

function readComposition(raw: Record<string, unknown>, elementColumns: string[], formulaColumn: string | undefined): Composition {
  // An object composition (JSON rows) comes first, then element columns, then the formula string.
  const objectComposition = raw.composition;
  if (objectComposition && typeof objectComposition === 'object' && !Array.isArray(objectComposition)) {
    const parts: Composition = {};
    for (const [el, v] of Object.entries(objectComposition as Record<string, unknown>)) {
      if (!KNOWN_ELEMENTS.has(el)) throw new Error(`unknown element "${el}" in composition`);
      parts[el] = finite(v, `composition ${el}`);
    }
    return normalizeChecked(parts);
  }
  if (elementColumns.length > 0) {
    const parts: Composition = {};
    for (const c of elementColumns) {
      const v = raw[c];
      if (v === undefined || v === null || v === '') continue;
      const n = finite(v, `column ${c}`);
      if (n !== 0) parts[c.trim()] = n;
    }
    if (Object.keys(parts).length > 0) return normalizeChecked(parts, true);
  }
  const formula = text(raw[formulaColumn ?? 'composition']);
  if (!formula) throw new Error('no composition: the element columns are all empty or zero and there is no formula');
  return normalizeChecked(parseFormula(formula));
}

/** Element columns must already be at.% (sum 100 within 1 %): a sum far off means a wrong layout. */
function normalizeChecked(parts: Composition, requireAtPct = false): Composition {
  for (const [el, v] of Object.entries(parts)) if (v < 0) throw new Error(`negative amount ${v} for ${el}`);
  const sum = Object.values(parts).reduce((s, v) => s + v, 0);
  if (requireAtPct && Math.abs(sum - 100) > 1) throw new Error(`element columns sum to ${Math.round(sum * 100) / 100} at.%, not 100`);
  return normalize(parts);
}

function readPhase(raw: Record<string, unknown>, columns: Set<string>): { phase: Phase | null; isGlass: boolean | null } {
  let phase: Phase | null = null;
  const phaseText = text(raw[findColumn(columns, 'phase') ?? '']);
  if (phaseText) {
    const p = phaseText.toLowerCase().replace(/[\s-]/g, '_');
    if (p !== 'amorphous' && p !== 'partially_crystalline' && p !== 'crystalline') {
      throw new Error(`phase "${phaseText}" must be amorphous, partially_crystalline or crystalline`);
    }
    phase = p;
  }
  const classText = text(raw[findColumn(columns, 'className') ?? '']);
  let isGlass: boolean | null = null;
  if (classText) {
    const c = classText.toUpperCase();
    if (c === 'BMG') isGlass = true;
    else if (c === 'RMG' || c === 'CRA') isGlass = false; // ribbon-only glass or crystalline: no bulk glass
    else throw new Error(`class "${classText}" must be BMG, RMG or CRA`);
    phase ??= c === 'CRA' ? 'crystalline' : null;
  }
  const label = raw[findColumn(columns, 'isGlass') ?? ''];
  if (label !== undefined && label !== null && label !== '') {
    const l = String(label).trim().toLowerCase();
    if (['1', 'true', 'yes'].includes(l)) isGlass = true;
    else if (['0', 'false', 'no'].includes(l)) isGlass = false;
    else throw new Error(`glass label "${label}" must be 1/0 or true/false`);
  }
  if (phase !== null && isGlass === null) isGlass = phase === 'amorphous';
  if (phase === null && isGlass === true) phase = 'amorphous';
  return { phase, isGlass };
}

function number(
  raw: Record<string, unknown>,
  column: string | undefined,
  label: string,
  range: { min: number; max: number },
  unit: string,
): number | null {
  if (!column) return null;
  const v = raw[column];
  if (v === undefined || v === null || v === '') return null;
  const n = finite(v, label);
  if (n < range.min || n > range.max) throw new Error(`${label} ${n} ${unit} is outside the physical range ${range.min}..${range.max} ${unit}`);
  return n;
}

function finite(v: unknown, label: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) throw new Error(`${label} "${String(v)}" is not a number`);
  return n;
}

function text(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  const s = String(v).trim();
  return s === '' ? null : s;
}
