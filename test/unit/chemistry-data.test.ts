import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { normalize, parseFormula } from '../../src/core/chemistry/composition.js';
import { ELEMENTS, ELEMENT_SYMBOLS, getElement, UnknownElementError } from '../../src/core/chemistry/elements.js';
import { miedemaEquiatomicEnthalpy, miedemaLiquidEnthalpy } from '../../src/core/chemistry/miedema.js';
import {
  mixingEnthalpy,
  mixingEnthalpyMatrix,
  mixingEnthalpySource,
  TAKEUCHI_INOUE_ENTHALPIES,
} from '../../src/core/chemistry/mixing-enthalpy.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = resolve(repoRoot, '../shared/data/aimatdesign');
const hasData = existsSync(resolve(dataDir, 'ALL_data_grouped_processed.csv'));

type Row = Record<string, string>;
const csvCache = new Map<string, { header: string[]; rows: Row[] }>();
function readCsv(name: string): { header: string[]; rows: Row[] } {
  let table = csvCache.get(name);
  if (!table) {
    const text = readFileSync(resolve(dataDir, name), 'utf8');
    const [header] = parse(text, { to_line: 1 }) as string[][];
    table = { header, rows: parse(text, { columns: true, skip_empty_lines: true }) as Row[] };
    csvCache.set(name, table);
  }
  return table;
}

describe('element data', () => {
  it('has complete, plausible data for the 52 elements', () => {
    expect(ELEMENT_SYMBOLS).toHaveLength(52);
    expect(Object.keys(ELEMENTS).sort()).toEqual([...ELEMENT_SYMBOLS].sort());
    for (const symbol of ELEMENT_SYMBOLS) {
      const e = getElement(symbol);
      expect(e.symbol).toBe(symbol);
      expect(e.metallicRadiusPm).toBeGreaterThan(80);
      expect(e.metallicRadiusPm).toBeLessThan(220);
      expect(e.electronegativity).toBeGreaterThan(0.9);
      expect(e.electronegativity).toBeLessThan(2.6);
      expect(e.vec).toBeGreaterThanOrEqual(1);
      expect(e.vec).toBeLessThanOrEqual(12);
      expect(e.meltingPointK).toBeGreaterThan(300);
      expect(e.atomicMass).toBeGreaterThan(6);
      expect(e.miedema.phiStar).toBeGreaterThan(2);
      expect(e.miedema.nwsCubeRoot).toBeGreaterThan(0.8);
      expect(e.miedema.molarVolume23).toBeGreaterThan(2);
    }
    expect(new Set(Object.values(ELEMENTS).map((e) => e.atomicNumber)).size).toBe(52);
  });

  it('spot-checks well-known values', () => {
    expect(getElement('Zr')).toMatchObject({ atomicNumber: 40, metallicRadiusPm: 160.2, electronegativity: 1.33, vec: 4 });
    expect(getElement('Cu')).toMatchObject({ metallicRadiusPm: 127.8, electronegativity: 1.9, vec: 11, meltingPointK: 1357.77 });
    expect(getElement('Al')).toMatchObject({ metallicRadiusPm: 143.2, vec: 3, meltingPointK: 933.47 });
    expect(getElement('Ni').vec).toBe(10);
  });

  it('throws a clear error for unknown symbols', () => {
    expect(() => getElement('Xx')).toThrow(UnknownElementError);
    expect(() => getElement('Xx')).toThrow('Unknown element symbol "Xx"');
    expect(() => getElement('O')).toThrow(/"O" is not supported/);
  });
});

describe('mixing enthalpies', () => {
  it('has a finite, symmetric value for every pair and 0 on the diagonal', () => {
    const matrix = mixingEnthalpyMatrix(ELEMENT_SYMBOLS);
    const n = ELEMENT_SYMBOLS.length;
    for (let i = 0; i < n; i++) {
      expect(matrix[i * n + i]).toBe(0);
      for (let j = 0; j < n; j++) {
        const value = matrix[i * n + j];
        expect(Number.isFinite(value)).toBe(true);
        expect(value).toBe(matrix[j * n + i]);
        expect(Math.abs(value)).toBeLessThan(200);
      }
    }
    expect(mixingEnthalpy('Zr', 'Zr')).toBe(0);
    expect(mixingEnthalpy('Cu', 'Zr')).toBe(mixingEnthalpy('Zr', 'Cu'));
    expect(() => mixingEnthalpy('Zr', 'Xx')).toThrow(UnknownElementError);
  });

  it('uses the Takeuchi-Inoue values for the tabulated pairs', () => {
    expect(mixingEnthalpy('Zr', 'Cu')).toBe(-23);
    expect(mixingEnthalpy('Ni', 'Zr')).toBe(-49);
    expect(mixingEnthalpy('Zr', 'Al')).toBe(-44);
    expect(mixingEnthalpy('Cu', 'Al')).toBe(-1);
    expect(mixingEnthalpy('Zr', 'Be')).toBe(-43);
    expect(mixingEnthalpySource('Zr', 'Cu')).toBe('takeuchi-inoue');
    expect(mixingEnthalpySource('Zr', 'Gd')).toBe('miedema');
    expect(mixingEnthalpySource('Zr', 'Zr')).toBe('same-element');
  });

  it('Miedema liquid model: symmetric in composition, zero at the ends', () => {
    for (const [a, b] of [['Zr', 'Cu'], ['Ni', 'Al'], ['Fe', 'B']]) {
      expect(miedemaLiquidEnthalpy(a, b, 0)).toBe(0);
      expect(miedemaLiquidEnthalpy(a, b, 1)).toBe(0);
      for (const x of [0.1, 0.3, 0.5, 0.8]) expect(miedemaLiquidEnthalpy(a, b, x)).toBeCloseTo(miedemaLiquidEnthalpy(b, a, 1 - x), 10);
    }
    expect(() => miedemaLiquidEnthalpy('Zr', 'Cu', 1.5)).toThrow(RangeError);
  });

  it('Miedema model reproduces the Takeuchi-Inoue table', () => {
    const rows = TAKEUCHI_INOUE_ENTHALPIES.map(([a, b, tabulated]) => {
      const computed = miedemaEquiatomicEnthalpy(a, b);
      return { pair: `${a}-${b}`, tabulated, computed, error: computed - tabulated };
    });
    // Pairs with Si are offset by a nearly constant ~17 kJ/mol (the published values for Si are
    // more negative than the plain model gives), so they are reported separately.
    const withSi = rows.filter((r) => r.pair.split('-').includes('Si'));
    const others = rows.filter((r) => !r.pair.split('-').includes('Si'));
    const meanAbs = (list: typeof rows) => list.reduce((s, r) => s + Math.abs(r.error), 0) / list.length;
    // Same sign, or both within 2 kJ/mol of zero (the table rounds to integers).
    const agrees = (r: (typeof rows)[number]) =>
      Math.sign(r.computed) === Math.sign(r.tabulated) || Math.abs(r.error) <= 2 || (Math.abs(r.computed) < 2 && Math.abs(r.tabulated) < 2);
    const signAgreement = rows.filter(agrees).length / rows.length;
    const worst = [...rows].sort((x, y) => Math.abs(y.error) - Math.abs(x.error)).slice(0, 10);
    console.log(
      [
        `Miedema vs Takeuchi-Inoue over ${rows.length} tabulated pairs:`,
        `  mean |error| all pairs ${meanAbs(rows).toFixed(2)} kJ/mol, without Si (${others.length}) ${meanAbs(others).toFixed(2)}, Si pairs (${withSi.length}) ${meanAbs(withSi).toFixed(2)}`,
        `  within 2 kJ/mol: ${rows.filter((r) => Math.abs(r.error) <= 2).length}/${rows.length}; sign agreement ${(100 * signAgreement).toFixed(1)} %`,
        `  largest differences: ${worst.map((r) => `${r.pair} ${r.tabulated} vs ${r.computed.toFixed(1)}`).join(', ')}`,
      ].join('\n'),
    );
    expect(signAgreement).toBeGreaterThan(0.95);
    expect(meanAbs(others)).toBeLessThan(1.5);
    for (const r of others.filter((x) => x.pair !== 'Cu-Al')) expect(Math.abs(r.error)).toBeLessThan(4);
  });
});

describe.skipIf(!hasData)('the AIMatDesign data files', () => {
  it('every element column of both CSV files has element data and pair enthalpies', () => {
    const grouped = readCsv('ALL_data_grouped_processed.csv').header;
    const cls = readCsv('ALL_data_cls.csv').header;
    const groupedElements = grouped.slice(grouped.indexOf('Ε(%)') + 1, grouped.indexOf('cls_label'));
    const clsElements = cls.slice(cls.indexOf('Chemical composition') + 1, cls.indexOf('Class'));
    expect(groupedElements).toEqual([...ELEMENT_SYMBOLS]);
    expect(clsElements).toEqual([...ELEMENT_SYMBOLS]);
    for (const a of groupedElements) {
      expect(ELEMENTS[a]).toBeDefined();
      for (const b of groupedElements) expect(Number.isFinite(mixingEnthalpy(a, b))).toBe(true);
    }
  });

  it('every composition string in ALL_data_grouped_processed.csv parses and matches the element columns', () => {
    const { rows } = readCsv('ALL_data_grouped_processed.csv');
    const failures: string[] = [];
    const mismatches: string[] = [];
    for (const [i, row] of rows.entries()) {
      const text = row['Chemical composition'];
      let parsed;
      try {
        parsed = parseFormula(text);
      } catch (error) {
        failures.push(`row ${i + 2} (${row.BMGs}): ${(error as Error).message}`);
        continue;
      }
      const columns = normalize(Object.fromEntries(ELEMENT_SYMBOLS.map((s) => [s, Number(row[s])])));
      for (const symbol of new Set([...Object.keys(parsed), ...Object.keys(columns)])) {
        if (Math.abs((parsed[symbol] ?? 0) - (columns[symbol] ?? 0)) > 0.05) {
          mismatches.push(`row ${i + 2}: "${text}" gives ${symbol} ${(parsed[symbol] ?? 0).toFixed(2)}, columns ${(columns[symbol] ?? 0).toFixed(2)}`);
          break;
        }
      }
    }
    console.log(`Chemical composition: ${rows.length - failures.length}/${rows.length} parse; ${failures.length} fail:\n  ${failures.join('\n  ')}`);
    console.log(`Parsed compositions differing from the element columns by > 0.05 at.%: ${mismatches.length}\n  ${mismatches.join('\n  ')}`);
    // The only failures are cells left empty in the data (their element columns are filled).
    expect(failures.every((f) => f.includes('Empty formula'))).toBe(true);
    expect(failures.length).toBeLessThanOrEqual(6);
    // One row has a data-entry slip in its element columns, not in the formula:
    // Zr52.25Cu28.5Al9.5Ta5.0Ni4.75 with Ni = 1.17 in the Ni column.
    expect(mismatches.length).toBeLessThanOrEqual(1);
  });

  it('the alloy names and GFA formulas (with brackets) parse too', () => {
    const names = readCsv('ALL_data_grouped_processed.csv').rows.map((r) => r.BMGs);
    const gfa = readCsv('ALL_data_cls.csv').rows.map((r) => r.GFA);
    const failuresOf = (texts: string[]) =>
      texts.filter((text) => {
        try {
          parseFormula(text);
          return false;
        } catch {
          return true;
        }
      });
    const gfaFailures = failuresOf(gfa);
    const nameFailures = failuresOf(names);
    console.log(
      `GFA column: ${gfa.length - gfaFailures.length}/${gfa.length} parse (failing: ${gfaFailures.slice(0, 10).join(' | ')}); ` +
        `BMGs names: ${names.length - nameFailures.length}/${names.length} parse ${nameFailures.length ? ` (failing: ${nameFailures.slice(0, 5).join(' | ')})` : ''}`,
    );
    expect(gfaFailures.length).toBe(0);
  });
});
