/**
 * The oracle's own chemistry: a small, fixed element table and the classic glass-forming
 * descriptors computed from it.
 *
 * Deliberately not the service's `src/core/chemistry`: the simulated lab's ground truth must not
 * move when the service's feature code changes (seeds would stop reproducing), and the agent
 * should not see the world through exactly the oracle's eyes.
 *
 * Values: 12-coordination metallic radii (pm), Pauling electronegativity, valence electron
 * count, and binary liquid mixing enthalpies (kJ/mol, as tabulated by Takeuchi & Inoue 2005
 * from Miedema's model, rounded).
 */
import type { Composition } from '../src/core/chemistry/types.js';

interface OracleElement {
  radiusPm: number;
  electronegativity: number;
  vec: number;
}

export const ORACLE_ELEMENTS: Readonly<Record<string, OracleElement>> = {
  Zr: { radiusPm: 160, electronegativity: 1.33, vec: 4 },
  Cu: { radiusPm: 128, electronegativity: 1.9, vec: 11 },
  Ni: { radiusPm: 125, electronegativity: 1.91, vec: 10 },
  Al: { radiusPm: 143, electronegativity: 1.61, vec: 3 },
  Ti: { radiusPm: 146, electronegativity: 1.54, vec: 4 },
  Nb: { radiusPm: 143, electronegativity: 1.6, vec: 5 },
  Ag: { radiusPm: 144, electronegativity: 1.93, vec: 11 },
  Fe: { radiusPm: 124, electronegativity: 1.83, vec: 8 },
  Hf: { radiusPm: 158, electronegativity: 1.3, vec: 4 },
  Co: { radiusPm: 125, electronegativity: 1.88, vec: 9 },
  Be: { radiusPm: 113, electronegativity: 1.57, vec: 2 },
  Pd: { radiusPm: 137, electronegativity: 2.2, vec: 10 },
};

// Pair mixing enthalpies, kJ/mol; the order of the two symbols in a key does not matter.
const PAIR_ENTHALPY: Record<string, number> = {
  'Zr-Cu': -23, 'Zr-Ni': -49, 'Zr-Al': -44, 'Zr-Ti': 0, 'Zr-Nb': 4, 'Zr-Ag': -20, 'Zr-Fe': -25,
  'Zr-Hf': 0, 'Zr-Co': -41, 'Zr-Be': -43,
  'Cu-Ni': 4, 'Cu-Al': -1, 'Cu-Ti': -9, 'Cu-Nb': 3, 'Cu-Ag': 2, 'Cu-Fe': 13, 'Cu-Hf': -17,
  'Cu-Co': 6, 'Cu-Be': 0,
  'Ni-Al': -22, 'Ni-Ti': -35, 'Ni-Nb': -30, 'Ni-Ag': 15, 'Ni-Fe': -2, 'Ni-Hf': -42, 'Ni-Co': 0,
  'Ni-Be': -4,
  'Al-Ti': -30, 'Al-Nb': -18, 'Al-Ag': -4, 'Al-Fe': -11, 'Al-Hf': -39, 'Al-Co': -19, 'Al-Be': 0,
  'Ti-Nb': 2, 'Ti-Ag': -2, 'Ti-Fe': -17, 'Ti-Hf': 0, 'Ti-Co': -28, 'Ti-Be': -30,
  'Nb-Ag': 16, 'Nb-Fe': -16, 'Nb-Hf': 4, 'Nb-Co': -25, 'Nb-Be': -25,
  'Ag-Fe': 28, 'Ag-Hf': -13, 'Ag-Co': 19, 'Ag-Be': 11,
  'Fe-Hf': -21, 'Fe-Co': -1, 'Fe-Be': -4,
  'Hf-Co': -35, 'Hf-Be': -37,
  'Co-Be': -4,
  // Pd (Takeuchi & Inoue 2005), so the 9-element Zr space of bench:campaign can run on this oracle too.
  'Zr-Pd': -91, 'Cu-Pd': -14, 'Ni-Pd': 0, 'Al-Pd': -46, 'Ti-Pd': -65, 'Nb-Pd': -53, 'Ag-Pd': -7,
  'Fe-Pd': -4, 'Hf-Pd': -80, 'Co-Pd': -1, 'Be-Pd': -40,
};

function pairEnthalpy(a: string, b: string): number {
  return PAIR_ENTHALPY[`${a}-${b}`] ?? PAIR_ENTHALPY[`${b}-${a}`] ?? 0;
}

const GAS_CONSTANT = 8.314; // J/(mol K)

export interface OracleDescriptors {
  /** Atomic size mismatch delta, %. */
  delta: number;
  /** Mixing enthalpy, kJ/mol (regular-solution sum over pairs). */
  mixingEnthalpy: number;
  /** Ideal mixing entropy, J/(mol K). */
  mixingEntropy: number;
  vec: number;
  /** Electronegativity difference (root mean square deviation). */
  electronegativityDiff: number;
  /** Number of elements present. */
  elementCount: number;
  /** Atomic fractions (0-1) of every oracle element, 0 when absent. */
  x: Record<string, number>;
}

export class UnsupportedElementError extends Error {
  override name = 'UnsupportedElementError';
}

/** Descriptors of a composition in at.% (normalised here, so a sum off by rounding is fine). */
export function oracleDescriptors(composition: Composition): OracleDescriptors {
  const present = Object.entries(composition).filter(([, v]) => v > 0);
  const total = present.reduce((s, [, v]) => s + v, 0);
  if (present.length === 0 || total <= 0) throw new Error('composition has no elements');
  const x: Record<string, number> = {};
  for (const symbol of Object.keys(ORACLE_ELEMENTS)) x[symbol] = 0;
  for (const [symbol, value] of present) {
    if (!ORACLE_ELEMENTS[symbol]) {
      throw new UnsupportedElementError(
        `the oracle has no data for ${symbol} (supported: ${Object.keys(ORACLE_ELEMENTS).join(', ')})`,
      );
    }
    x[symbol] = value / total;
  }
  const symbols = present.map(([s]) => s);
  const mean = (f: (e: OracleElement) => number) => symbols.reduce((s, el) => s + x[el] * f(ORACLE_ELEMENTS[el]), 0);
  const rBar = mean((e) => e.radiusPm);
  const chiBar = mean((e) => e.electronegativity);
  let delta = 0;
  let dChi = 0;
  let entropy = 0;
  for (const el of symbols) {
    const e = ORACLE_ELEMENTS[el];
    delta += x[el] * (1 - e.radiusPm / rBar) ** 2;
    dChi += x[el] * (e.electronegativity - chiBar) ** 2;
    entropy -= x[el] * Math.log(x[el]);
  }
  let enthalpy = 0;
  for (let i = 0; i < symbols.length; i++) {
    for (let j = i + 1; j < symbols.length; j++) {
      enthalpy += 4 * pairEnthalpy(symbols[i], symbols[j]) * x[symbols[i]] * x[symbols[j]];
    }
  }
  return {
    delta: 100 * Math.sqrt(delta),
    mixingEnthalpy: enthalpy,
    mixingEntropy: GAS_CONSTANT * entropy,
    vec: mean((e) => e.vec),
    electronegativityDiff: Math.sqrt(dChi),
    elementCount: symbols.length,
    x,
  };
}
