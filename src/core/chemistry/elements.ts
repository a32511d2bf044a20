/**
 * Element data for the 52 elements that occur in the AIMatDesign data set.
 *
 * Sources (values written from the literature, rounded as tabulated there):
 * - metallicRadiusPm: metallic radius for 12-fold coordination, Teatum, Gschneidner & Waber,
 *   LA-2345 (1960), as reproduced in Kittel and in Greenwood & Earnshaw. For the non-metals and
 *   metalloids (B, C, Si, P, S, Ge) this is also the CN12 "metallic" radius (Pauling, Teatum),
 *   not the covalent radius, so that all size descriptors use one scale.
 * - electronegativity: Pauling scale, CRC Handbook of Chemistry and Physics (Allred 1961
 *   revision); Sn and Pb are the values for the +4 state, as in the CRC table.
 * - vec: valence electron count as used for HEA/BMG descriptors (Guo & Liu, Prog. Nat. Sci.
 *   21 (2011) 433): s + d electrons, i.e. the group number for transition metals (Cu 11, Zn 12),
 *   s + p electrons for main-group elements, 3 for the trivalent rare earths and 2 for Yb,
 *   which is divalent in the metal.
 * - meltingPointK, atomicMass: CRC Handbook / IUPAC standard atomic weights (abridged).
 *   C has no melting point at 1 atm; 3823 K (the value most tables list) is used.
 * - miedema: cohesion parameters of the Miedema model, de Boer, Boom, Mattens, Miedema &
 *   Niessen, "Cohesion in Metals" (North-Holland, 1988): phiStar (V), nwsCubeRoot (density of
 *   the Wigner-Seitz cell boundary, (d.u.)^(1/3)), molarVolume23 (V^(2/3), cm^2) and the
 *   hybridisation constant hybridR (R* ; the R/P term of a transition/non-transition pair is
 *   0.73 * R*_A * R*_B for liquids). S is not in that table: its values here are an estimate
 *   (phi* from its electronegativity, the rest like P) and are flagged by `miedemaEstimated`.
 */

export type ElementCategory =
  | 'alkali'
  | 'alkaline-earth'
  | 'rare-earth'
  | 'early-transition'
  | 'mid-transition'
  | 'late-transition'
  | 'post-transition'
  | 'metalloid'
  | 'nonmetal';

export interface MiedemaParameters {
  /** Electronegativity-like chemical potential phi*, volts. */
  phiStar: number;
  /** Cube root of the electron density at the Wigner-Seitz cell boundary, (d.u.)^(1/3). */
  nwsCubeRoot: number;
  /** Molar volume to the power 2/3, cm^2. */
  molarVolume23: number;
  /** Hybridisation constant R* for transition/non-transition pairs. */
  hybridR: number;
  /** Treated as a transition metal by the model (selects P and enables the R term). */
  transition: boolean;
}

export interface ElementData {
  symbol: string;
  name: string;
  atomicNumber: number;
  /** g/mol */
  atomicMass: number;
  /** 12-coordination metallic radius, pm. */
  metallicRadiusPm: number;
  /** Pauling electronegativity. */
  electronegativity: number;
  /** Valence electron count (VEC convention of Guo & Liu). */
  vec: number;
  meltingPointK: number;
  /** Periodic group (lanthanides: 3). */
  group: number;
  period: number;
  category: ElementCategory;
  miedema: MiedemaParameters;
  /** True where the Miedema parameters are an estimate rather than a tabulated value. */
  miedemaEstimated?: boolean;
}

type Row = [
  symbol: string,
  name: string,
  atomicNumber: number,
  atomicMass: number,
  metallicRadiusPm: number,
  electronegativity: number,
  vec: number,
  meltingPointK: number,
  group: number,
  period: number,
  category: ElementCategory,
  phiStar: number,
  nwsCubeRoot: number,
  molarVolume23: number,
  hybridR: number,
  transition: boolean,
];

// Column order: symbol, name, Z, mass, radius (pm), chi, VEC, Tm (K), group, period, category,
// Miedema phi*, nws^(1/3), V^(2/3), R*, transition metal in the Miedema sense.
const ROWS: Row[] = [
  ['Li', 'Lithium', 3, 6.94, 156.2, 0.98, 1, 453.65, 1, 2, 'alkali', 2.85, 0.98, 5.53, 0, false],
  ['Be', 'Beryllium', 4, 9.0122, 112.8, 1.57, 2, 1560, 2, 2, 'alkaline-earth', 5.05, 1.67, 2.88, 0.4, false],
  ['B', 'Boron', 5, 10.81, 98.0, 2.04, 3, 2349, 13, 2, 'metalloid', 5.3, 1.75, 2.8, 1.9, false],
  ['C', 'Carbon', 6, 12.011, 91.4, 2.55, 4, 3823, 14, 2, 'nonmetal', 6.24, 1.77, 2.2, 2.1, false],
  ['Mg', 'Magnesium', 12, 24.305, 160.2, 1.31, 2, 923, 2, 3, 'alkaline-earth', 3.45, 1.17, 5.81, 0.4, false],
  ['Al', 'Aluminium', 13, 26.982, 143.2, 1.61, 3, 933.47, 13, 3, 'post-transition', 4.2, 1.39, 4.64, 1.9, false],
  ['Si', 'Silicon', 14, 28.085, 131.9, 1.9, 4, 1687, 14, 3, 'metalloid', 4.7, 1.5, 4.2, 2.1, false],
  ['P', 'Phosphorus', 15, 30.974, 128.0, 2.19, 5, 317.3, 15, 3, 'nonmetal', 5.55, 1.65, 4.15, 2.3, false],
  ['S', 'Sulfur', 16, 32.06, 127.0, 2.58, 6, 388.36, 16, 3, 'nonmetal', 5.6, 1.46, 4.38, 2.3, false],
  ['Ca', 'Calcium', 20, 40.078, 197.3, 1.0, 2, 1115, 2, 4, 'alkaline-earth', 2.55, 0.91, 8.82, 0.4, false],
  ['Sc', 'Scandium', 21, 44.956, 164.1, 1.36, 3, 1814, 3, 4, 'rare-earth', 3.25, 1.27, 6.09, 0.7, true],
  ['Ti', 'Titanium', 22, 47.867, 146.2, 1.54, 4, 1941, 4, 4, 'early-transition', 3.8, 1.52, 4.82, 1, true],
  ['V', 'Vanadium', 23, 50.942, 134.6, 1.63, 5, 2183, 5, 4, 'early-transition', 4.25, 1.64, 4.12, 1, true],
  ['Cr', 'Chromium', 24, 51.996, 128.2, 1.66, 6, 2180, 6, 4, 'early-transition', 4.65, 1.73, 3.74, 1, true],
  ['Mn', 'Manganese', 25, 54.938, 126.4, 1.55, 7, 1519, 7, 4, 'mid-transition', 4.45, 1.61, 3.78, 1, true],
  ['Fe', 'Iron', 26, 55.845, 127.4, 1.83, 8, 1811, 8, 4, 'late-transition', 4.93, 1.77, 3.69, 1, true],
  ['Co', 'Cobalt', 27, 58.933, 125.2, 1.88, 9, 1768, 9, 4, 'late-transition', 5.1, 1.75, 3.55, 1, true],
  ['Ni', 'Nickel', 28, 58.693, 124.6, 1.91, 10, 1728, 10, 4, 'late-transition', 5.2, 1.75, 3.52, 1, true],
  ['Cu', 'Copper', 29, 63.546, 127.8, 1.9, 11, 1357.77, 11, 4, 'late-transition', 4.45, 1.47, 3.7, 0.3, true],
  ['Zn', 'Zinc', 30, 65.38, 139.4, 1.65, 12, 692.68, 12, 4, 'post-transition', 4.1, 1.32, 4.38, 1.4, false],
  ['Ga', 'Gallium', 31, 69.723, 141.1, 1.81, 3, 302.91, 13, 4, 'post-transition', 4.1, 1.31, 5.19, 1.9, false],
  ['Ge', 'Germanium', 32, 72.63, 136.9, 2.01, 4, 1211.4, 14, 4, 'metalloid', 4.55, 1.37, 4.6, 2.1, false],
  ['Sr', 'Strontium', 38, 87.62, 215.2, 0.95, 2, 1050, 2, 5, 'alkaline-earth', 2.4, 0.84, 10.48, 0.4, false],
  ['Y', 'Yttrium', 39, 88.906, 180.1, 1.22, 3, 1799, 3, 5, 'rare-earth', 3.2, 1.21, 7.34, 0.7, true],
  ['Zr', 'Zirconium', 40, 91.224, 160.2, 1.33, 4, 2128, 4, 5, 'early-transition', 3.45, 1.41, 5.81, 1, true],
  ['Nb', 'Niobium', 41, 92.906, 146.8, 1.6, 5, 2750, 5, 5, 'early-transition', 4.05, 1.64, 4.89, 1, true],
  ['Mo', 'Molybdenum', 42, 95.95, 140.0, 2.16, 6, 2896, 6, 5, 'early-transition', 4.65, 1.77, 4.45, 1, true],
  ['Ru', 'Ruthenium', 44, 101.07, 133.9, 2.2, 8, 2607, 8, 5, 'late-transition', 5.4, 1.83, 4.06, 1, true],
  ['Rh', 'Rhodium', 45, 102.91, 134.5, 2.28, 9, 2237, 9, 5, 'late-transition', 5.4, 1.76, 4.1, 1, true],
  ['Pd', 'Palladium', 46, 106.42, 137.6, 2.2, 10, 1828.05, 10, 5, 'late-transition', 5.45, 1.67, 4.29, 1, true],
  ['Ag', 'Silver', 47, 107.87, 144.5, 1.93, 11, 1234.93, 11, 5, 'late-transition', 4.35, 1.36, 4.72, 0.15, true],
  ['In', 'Indium', 49, 114.82, 166.3, 1.78, 3, 429.75, 13, 5, 'post-transition', 3.9, 1.17, 6.28, 1.9, false],
  ['Sn', 'Tin', 50, 118.71, 162.3, 1.96, 4, 505.08, 14, 5, 'post-transition', 4.15, 1.24, 6.43, 2.1, false],
  ['La', 'Lanthanum', 57, 138.91, 187.0, 1.1, 3, 1193, 3, 6, 'rare-earth', 3.17, 1.18, 7.98, 0.7, true],
  ['Ce', 'Cerium', 58, 140.12, 182.5, 1.12, 3, 1068, 3, 6, 'rare-earth', 3.18, 1.19, 7.76, 0.7, true],
  ['Pr', 'Praseodymium', 59, 140.91, 182.8, 1.13, 3, 1208, 3, 6, 'rare-earth', 3.19, 1.2, 7.56, 0.7, true],
  ['Nd', 'Neodymium', 60, 144.24, 182.1, 1.14, 3, 1297, 3, 6, 'rare-earth', 3.19, 1.2, 7.51, 0.7, true],
  ['Sm', 'Samarium', 62, 150.36, 180.2, 1.17, 3, 1345, 3, 6, 'rare-earth', 3.2, 1.21, 7.37, 0.7, true],
  ['Gd', 'Gadolinium', 64, 157.25, 180.2, 1.2, 3, 1585, 3, 6, 'rare-earth', 3.2, 1.21, 7.34, 0.7, true],
  ['Tb', 'Terbium', 65, 158.93, 178.2, 1.1, 3, 1629, 3, 6, 'rare-earth', 3.21, 1.22, 7.2, 0.7, true],
  ['Dy', 'Dysprosium', 66, 162.5, 177.3, 1.22, 3, 1680, 3, 6, 'rare-earth', 3.21, 1.22, 7.12, 0.7, true],
  ['Ho', 'Holmium', 67, 164.93, 176.6, 1.23, 3, 1734, 3, 6, 'rare-earth', 3.22, 1.22, 7.06, 0.7, true],
  ['Er', 'Erbium', 68, 167.26, 175.7, 1.24, 3, 1802, 3, 6, 'rare-earth', 3.22, 1.23, 6.98, 0.7, true],
  ['Tm', 'Thulium', 69, 168.93, 174.6, 1.25, 3, 1818, 3, 6, 'rare-earth', 3.22, 1.23, 6.9, 0.7, true],
  // Yb is divalent in the metal (large volume, low phi*): non-transition in the Miedema sense.
  ['Yb', 'Ytterbium', 70, 173.05, 194.0, 1.1, 2, 1097, 3, 6, 'rare-earth', 2.58, 0.92, 8.52, 0.4, false],
  ['Lu', 'Lutetium', 71, 174.97, 173.4, 1.27, 3, 1925, 3, 6, 'rare-earth', 3.22, 1.24, 6.81, 0.7, true],
  ['Hf', 'Hafnium', 72, 178.49, 158.0, 1.3, 4, 2506, 4, 6, 'early-transition', 3.6, 1.45, 5.65, 1, true],
  ['Ta', 'Tantalum', 73, 180.95, 146.7, 1.5, 5, 3290, 5, 6, 'early-transition', 4.05, 1.63, 4.89, 1, true],
  ['W', 'Tungsten', 74, 183.84, 140.8, 2.36, 6, 3695, 6, 6, 'early-transition', 4.8, 1.81, 4.5, 1, true],
  ['Pt', 'Platinum', 78, 195.08, 138.7, 2.28, 10, 2041.4, 10, 6, 'late-transition', 5.65, 1.78, 4.36, 1, true],
  ['Au', 'Gold', 79, 196.97, 144.2, 2.54, 11, 1337.33, 11, 6, 'late-transition', 5.15, 1.57, 4.7, 0.3, true],
  ['Pb', 'Lead', 82, 207.2, 175.0, 2.33, 4, 600.61, 14, 6, 'post-transition', 4.1, 1.15, 6.94, 2.1, false],
];

/** Elements whose Miedema parameters are estimates (not in the de Boer et al. table). */
const ESTIMATED_MIEDEMA = new Set(['S']);

function toElementData(row: Row): ElementData {
  const [symbol, name, atomicNumber, atomicMass, metallicRadiusPm, electronegativity, vec, meltingPointK] = row;
  const [, , , , , , , , group, period, category, phiStar, nwsCubeRoot, molarVolume23, hybridR, transition] = row;
  const data: ElementData = {
    symbol,
    name,
    atomicNumber,
    atomicMass,
    metallicRadiusPm,
    electronegativity,
    vec,
    meltingPointK,
    group,
    period,
    category,
    miedema: Object.freeze({ phiStar, nwsCubeRoot, molarVolume23, hybridR, transition }),
  };
  if (ESTIMATED_MIEDEMA.has(symbol)) data.miedemaEstimated = true;
  return Object.freeze(data);
}

export const ELEMENTS: Readonly<Record<string, ElementData>> = Object.freeze(
  Object.fromEntries(ROWS.map((row) => [row[0], toElementData(row)])),
);

/**
 * The 52 element symbols in the column order of the AIMatDesign CSV files (and of the RL state
 * vector of the paper's code), so that fraction vectors line up with the data.
 */
export const ELEMENT_SYMBOLS: readonly string[] = Object.freeze([
  'Ni', 'Cr', 'Nb', 'P', 'B', 'Si', 'Fe', 'C', 'Mo', 'Y', 'Co', 'Au', 'Ge', 'Pd', 'Cu', 'Zr', 'Ti', 'Al',
  'Mg', 'Ag', 'Gd', 'La', 'Ga', 'Hf', 'Sn', 'In', 'Ca', 'Zn', 'Nd', 'Er', 'Dy', 'Pr', 'Ho', 'Ce', 'Sc',
  'Ta', 'Mn', 'Tm', 'Pt', 'V', 'W', 'Tb', 'Li', 'Sm', 'Lu', 'Yb', 'Pb', 'Sr', 'Ru', 'Be', 'Rh', 'S',
]);

const ELEMENT_INDEX: ReadonlyMap<string, number> = new Map(ELEMENT_SYMBOLS.map((symbol, i) => [symbol, i]));

/** All 118 element symbols, only to tell "not an element" from "an element without data". */
const PERIODIC_TABLE = new Set(
  (
    'H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr ' +
    'Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm ' +
    'Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No ' +
    'Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og'
  ).split(' '),
);

export class UnknownElementError extends Error {
  constructor(readonly symbol: string) {
    super(describeUnknownElement(symbol));
    this.name = 'UnknownElementError';
  }
}

/** A message saying why `symbol` has no data: not an element at all, or an element outside the 52. */
export function describeUnknownElement(symbol: string): string {
  if (PERIODIC_TABLE.has(symbol)) {
    return `Element "${symbol}" is not supported: only the 52 elements of the AIMatDesign data set have data`;
  }
  return `Unknown element symbol "${symbol}"`;
}

export function isKnownElement(symbol: string): boolean {
  return ELEMENT_INDEX.has(symbol);
}

/** Data for one element; throws UnknownElementError for symbols outside the 52. */
export function getElement(symbol: string): ElementData {
  const data = ELEMENT_INDEX.has(symbol) ? ELEMENTS[symbol] : undefined;
  if (!data) throw new UnknownElementError(symbol);
  return data;
}

/** Position of `symbol` in ELEMENT_SYMBOLS; throws for unknown symbols. */
export function elementIndex(symbol: string): number {
  const index = ELEMENT_INDEX.get(symbol);
  if (index === undefined) throw new UnknownElementError(symbol);
  return index;
}
