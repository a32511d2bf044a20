/**
 * Binary enthalpies of mixing dH^mix_AB (kJ/mol) of equiatomic liquids for every pair of the 52
 * elements: the Miedema model (./miedema.ts) for all pairs, overridden by values of the table of
 * Takeuchi & Inoue, Mater. Trans. 46 (2005) 2817, for the pairs that matter most here (Zr-based
 * BMGs and their usual alloying elements, the Cantor and refractory families). The tabulated
 * values are integers, as published.
 */
import { ELEMENT_SYMBOLS, elementIndex } from './elements.js';
import { miedemaEquiatomicEnthalpy } from './miedema.js';

/** [A, B, dH^mix_AB in kJ/mol] from Takeuchi & Inoue (2005). */
export const TAKEUCHI_INOUE_ENTHALPIES: ReadonlyArray<readonly [string, string, number]> = Object.freeze([
  // Zr with the usual BMG partners
  ['Zr', 'Cu', -23], ['Zr', 'Ni', -49], ['Zr', 'Al', -44], ['Zr', 'Ti', 0], ['Zr', 'Be', -43],
  ['Zr', 'Nb', 4], ['Zr', 'Ag', -20], ['Zr', 'Co', -41], ['Zr', 'Fe', -25], ['Zr', 'Hf', 0],
  ['Zr', 'Y', 9], ['Zr', 'Ta', 3], ['Zr', 'Mo', -6], ['Zr', 'W', -9], ['Zr', 'V', -4],
  ['Zr', 'Cr', -12], ['Zr', 'Pd', -91], ['Zr', 'Si', -84], ['Zr', 'La', 10], ['Zr', 'B', -71],
  ['Zr', 'Au', -74], ['Zr', 'Pt', -100],
  // Cu
  ['Cu', 'Ni', 4], ['Cu', 'Al', -1], ['Cu', 'Ti', -9], ['Cu', 'Ag', 2], ['Cu', 'Be', 0],
  ['Cu', 'Co', 6], ['Cu', 'Fe', 13], ['Cu', 'Cr', 12], ['Cu', 'Mn', 4], ['Cu', 'V', 5],
  ['Cu', 'Mo', 19], ['Cu', 'W', 22], ['Cu', 'Hf', -17], ['Cu', 'Pd', -14], ['Cu', 'Mg', -3],
  ['Cu', 'Y', -22], ['Cu', 'Zn', -6], ['Cu', 'Au', -9], ['Cu', 'Nb', 3], ['Cu', 'Ta', 2],
  // Ni
  ['Ni', 'Al', -22], ['Ni', 'Ti', -35], ['Ni', 'Nb', -30], ['Ni', 'Co', 0], ['Ni', 'Fe', -2],
  ['Ni', 'Cr', -7], ['Ni', 'Mn', -8], ['Ni', 'V', -18], ['Ni', 'Mo', -7], ['Ni', 'Ta', -29],
  ['Ni', 'W', -3], ['Ni', 'Hf', -42], ['Ni', 'Pd', 0], ['Ni', 'Si', -40], ['Ni', 'B', -24],
  ['Ni', 'Mg', -4], ['Ni', 'Y', -31], ['Ni', 'Ag', 15],
  // Al
  ['Al', 'Ti', -30], ['Al', 'Y', -38], ['Al', 'Co', -19], ['Al', 'Cr', -10], ['Al', 'Fe', -11],
  ['Al', 'Mn', -19], ['Al', 'V', -16], ['Al', 'Nb', -18], ['Al', 'Mo', -5], ['Al', 'Ta', -19],
  ['Al', 'W', -2], ['Al', 'Hf', -39], ['Al', 'La', -38], ['Al', 'Ce', -38], ['Al', 'Sc', -38],
  ['Al', 'Gd', -39], ['Al', 'Ag', -4], ['Al', 'Au', -22], ['Al', 'Be', 0],
  // Ti
  ['Ti', 'Be', -30], ['Ti', 'Co', -28], ['Ti', 'Cr', -7], ['Ti', 'Fe', -17], ['Ti', 'Mn', -8],
  ['Ti', 'V', -2], ['Ti', 'Nb', 2], ['Ti', 'Mo', -4], ['Ti', 'Ta', 1], ['Ti', 'W', -6],
  ['Ti', 'Hf', 0], ['Ti', 'Ag', -2], ['Ti', 'Si', -66], ['Ti', 'B', -58], ['Ti', 'Pd', -65],
  // Fe, Co, Cr, Mn and the refractory metals
  ['Co', 'Cr', -4], ['Co', 'Fe', -1], ['Co', 'Mn', -5], ['Cr', 'Fe', -1], ['Cr', 'Mn', 2],
  ['Fe', 'Mn', 0], ['Co', 'V', -14], ['Co', 'Nb', -25], ['Co', 'Mo', -5], ['Co', 'Ta', -24],
  ['Co', 'W', -1], ['Co', 'Hf', -35], ['Cr', 'V', -2], ['Cr', 'Nb', -7], ['Cr', 'Mo', 0],
  ['Cr', 'Ta', -7], ['Cr', 'W', 1], ['Cr', 'Hf', -9], ['Fe', 'V', -7], ['Fe', 'Nb', -16],
  ['Fe', 'Mo', -2], ['Fe', 'Ta', -15], ['Fe', 'W', 0], ['Fe', 'Hf', -21], ['Fe', 'Si', -35],
  ['Fe', 'B', -26], ['Fe', 'C', -50], ['Co', 'B', -24], ['Co', 'Si', -38], ['Nb', 'Mo', -6],
  ['Nb', 'Ta', 0], ['Nb', 'W', -8], ['Nb', 'Hf', 4], ['Mo', 'Ta', -5], ['Mo', 'W', 0],
  ['Ta', 'W', -7], ['Hf', 'Ta', 3], ['Hf', 'V', -2], ['Mn', 'Nb', -4], ['Mn', 'Mo', 5],
  // light and rare-earth metals, metalloids
  ['Mg', 'Zn', -4], ['Mg', 'Y', -6], ['Mg', 'Ca', -6], ['Ca', 'Cu', -13], ['Pd', 'Si', -55],
  ['Nb', 'Si', -56], ['La', 'Ni', -27],
]);

const N = ELEMENT_SYMBOLS.length;

/** Row-major N x N table over ELEMENT_SYMBOLS, plus which entries come from the published table. */
const ENTHALPY = new Float64Array(N * N);
const FROM_TABLE = new Uint8Array(N * N);

for (let i = 0; i < N; i++) {
  for (let j = i + 1; j < N; j++) {
    const value = miedemaEquiatomicEnthalpy(ELEMENT_SYMBOLS[i], ELEMENT_SYMBOLS[j]);
    ENTHALPY[i * N + j] = value;
    ENTHALPY[j * N + i] = value;
  }
}
for (const [a, b, value] of TAKEUCHI_INOUE_ENTHALPIES) {
  const i = elementIndex(a);
  const j = elementIndex(b);
  if (FROM_TABLE[i * N + j]) throw new Error(`Duplicate tabulated enthalpy for ${a}-${b}`);
  ENTHALPY[i * N + j] = ENTHALPY[j * N + i] = value;
  FROM_TABLE[i * N + j] = FROM_TABLE[j * N + i] = 1;
}

/** dH^mix_AB of the equiatomic liquid, kJ/mol; symmetric, 0 for a === b, throws for unknown symbols. */
export function mixingEnthalpy(a: string, b: string): number {
  return ENTHALPY[elementIndex(a) * N + elementIndex(b)];
}

/** Where mixingEnthalpy(a, b) comes from. */
export function mixingEnthalpySource(a: string, b: string): 'takeuchi-inoue' | 'miedema' | 'same-element' {
  const i = elementIndex(a);
  const j = elementIndex(b);
  if (i === j) return 'same-element';
  return FROM_TABLE[i * N + j] ? 'takeuchi-inoue' : 'miedema';
}

/** The pair enthalpies of `elements` as a row-major k x k matrix (for fast featurizers). */
export function mixingEnthalpyMatrix(elements: readonly string[]): Float64Array {
  const k = elements.length;
  const indices = elements.map(elementIndex);
  const matrix = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) matrix[i * k + j] = ENTHALPY[indices[i] * N + indices[j]];
  }
  return matrix;
}
