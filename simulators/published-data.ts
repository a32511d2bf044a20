/**
 * Reading the published AIMatDesign CSVs for the benchmarks and the data-grounded virtual lab
 * (the service imports them through src/measurements/seed-import.ts; here every row is kept,
 * including row 99 whose element columns do not sum to 100, normalised, as the paper's code does).
 *
 * The data are not part of the repository: they are read from `AIMD_DATA_DIR`, else from
 * `../shared/data/aimatdesign` beside the checkout (see the README, "Data").
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import type { Composition } from '../src/core/chemistry/types.js';
import type { MeasuredAlloy } from '../src/core/domain/measured-alloy.js';

export const YIELD_COLUMN = 'yield(MPa)';
export const ELONGATION_COLUMN = '\u0395(%)'; // Greek capital epsilon, not a Latin E
const ELEMENT = /^[A-Z][a-z]?$/;

export type CsvRow = Record<string, string>;

/** Further measured columns of the grouped file, by the property name the service uses. */
export const PROPERTY_COLUMNS: Readonly<Record<string, string>> = {
  dmaxMm: 'Dmax(mm)',
  tgK: 'Tg(K)',
  txK: 'Tx(K)',
  tlK: 'Tl(K)',
  modulusGPa: 'Modulus (GPa)',
};

export function readPublishedCsv(path: string): { header: string[]; elements: string[]; rows: CsvRow[] } {
  if (!existsSync(path)) {
    // A clone outside this project's folder layout has no ../shared: say what is missing and where it comes from.
    throw new Error(`${path} not found: the published AIMatDesign data (README, "Where the data comes from"); pass --data DIR or set AIMD_DATA_DIR`);
  }
  const rows = parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''), { columns: true, skip_empty_lines: true }) as CsvRow[];
  const header = rows.length ? Object.keys(rows[0]) : [];
  return { header, elements: header.filter((h) => ELEMENT.test(h)), rows };
}

/** Element columns in at.% -> Composition normalised to 100 (zeros skipped); null when empty. */
export function rowComposition(row: CsvRow, elements: readonly string[]): Composition | null {
  const c: Composition = {};
  let total = 0;
  for (const el of elements) {
    const v = Number(row[el] || 0);
    if (v > 0) {
      c[el] = v;
      total += v;
    }
  }
  if (total <= 0) return null;
  for (const el of Object.keys(c)) c[el] = (100 * c[el]) / total;
  return c;
}

export function numberOrNull(text: string | undefined): number | null {
  if (text === undefined || text.trim() === '') return null;
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}

export const GROUPED_FILE = 'ALL_data_grouped_processed.csv';
export const CLASSIFICATION_FILE = 'ALL_data_cls.csv';

/** Where the published CSVs are: AIMD_DATA_DIR, else ../shared/data/aimatdesign beside the repository. */
export function defaultDataDir(): string {
  if (process.env.AIMD_DATA_DIR) return path.resolve(process.env.AIMD_DATA_DIR);
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  return path.resolve(repoRoot, '../shared/data/aimatdesign');
}

/** A published row as a measured alloy, with where it came from. */
export interface PublishedAlloy extends MeasuredAlloy {
  source: typeof GROUPED_FILE | typeof CLASSIFICATION_FILE;
  /** 2-based line number in its file (the header is line 1). */
  line: number;
}

/**
 * Every row of both published files as measured alloys (what a PI importing "the literature" gets):
 * glass from `cls_label` (1 = bulk metallic glass), yield strength and elongation where measured,
 * Dmax, Tg, Tx, Tl and modulus (in `extra`, by PROPERTY_COLUMNS' names) where measured.
 * Rows without a composition are skipped.
 */
export function loadPublishedAlloys(dir = defaultDataDir()): PublishedAlloy[] {
  for (const file of [GROUPED_FILE, CLASSIFICATION_FILE]) {
    if (!existsSync(path.join(dir, file))) {
      throw new Error(`published data not found: ${path.join(dir, file)} (set AIMD_DATA_DIR to the folder holding ${GROUPED_FILE} and ${CLASSIFICATION_FILE})`);
    }
  }
  const out: PublishedAlloy[] = [];
  for (const file of [GROUPED_FILE, CLASSIFICATION_FILE] as const) {
    const { elements, rows } = readPublishedCsv(path.join(dir, file));
    rows.forEach((row, i) => {
      const composition = rowComposition(row, elements);
      if (!composition) return;
      const label = numberOrNull(row.cls_label);
      out.push({
        composition,
        isGlass: label === null ? null : label === 1,
        yieldStrengthMPa: numberOrNull(row[YIELD_COLUMN]),
        elongationPct: numberOrNull(row[ELONGATION_COLUMN]),
        extra: Object.fromEntries(
          Object.entries(PROPERTY_COLUMNS)
            .map(([name, column]) => [name, numberOrNull(row[column])] as const)
            .filter(([, v]) => v !== null),
        ),
        source: file,
        line: i + 2,
      });
    });
  }
  return out;
}
