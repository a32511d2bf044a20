/**
 * Reading the published AIMatDesign CSVs for the benchmarks (the service imports them through
 * src/measurements/seed-import.ts; the benchmarks keep every row, including row 99 whose element
 * columns do not sum to 100, normalised, as the paper's code does).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Composition } from '../src/core/chemistry/types.js';

export const YIELD_COLUMN = 'yield(MPa)';
export const ELONGATION_COLUMN = '\u0395(%)'; // Greek capital epsilon, not a Latin E
const ELEMENT = /^[A-Z][a-z]?$/;

export type CsvRow = Record<string, string>;

export function readPublishedCsv(path: string): { header: string[]; elements: string[]; rows: CsvRow[] } {
  if (!existsSync(path)) {
    // a clone outside this project's folder layout has no ../shared: say what is missing and where it comes from
    console.error(`${path} not found: the published AIMatDesign data (README, "Where the data comes from"); pass --data DIR with its folder`);
    process.exit(2);
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
