/**
 * Physical descriptors of a composition (the candidate features of the surrogates) and fast
 * featurizers. c_i are atomic fractions (sum 1); pair enthalpies dH_ij come from
 * ./mixing-enthalpy.ts, element properties from ./elements.ts.
 *
 * Hot path: makeFeaturizer() precomputes per-element arrays for a fixed element list and returns
 * a function that fills a feature row from a fraction vector without allocating (pass `out`).
 */
import { ELEMENT_SYMBOLS, elementIndex, getElement, isKnownElement, type ElementData } from './elements.js';
import { mixingEnthalpyMatrix } from './mixing-enthalpy.js';
import { CompositionError } from './composition.js';
import type { Composition } from './types.js';

/** Molar gas constant, J/(mol K). */
export const GAS_CONSTANT = 8.314462618;

export interface DescriptorInfo {
  name: string;
  unit: string;
  doc: string;
  formula: string;
}

/** Floors that keep Omega and Lambda finite for near-ideal or single-size alloys. */
const OMEGA_MIN_ABS_DH_KJ = 0.1;
const LAMBDA_MIN_DELTA_PCT = 0.1;

// The order here is the order of the internal descriptor row; keep DESCRIPTOR_INDEX in step.
export const DESCRIPTORS: readonly DescriptorInfo[] = Object.freeze([
  { name: 'delta', unit: '%', doc: 'Atomic size mismatch (Zhang et al. 2008)', formula: '100 sqrt(sum_i c_i (1 - r_i / r_mean)^2)' },
  { name: 'dHmix', unit: 'kJ/mol', doc: 'Regular-solution enthalpy of mixing from equiatomic pair values (Takeuchi & Inoue)', formula: 'sum_{i<j} 4 dH_ij c_i c_j' },
  { name: 'dSmix', unit: 'J/(mol K)', doc: 'Ideal configurational entropy of mixing', formula: '-R sum_i c_i ln c_i' },
  { name: 'vec', unit: 'e/atom', doc: 'Mean valence electron concentration (Guo & Liu 2011)', formula: 'sum_i c_i VEC_i' },
  { name: 'dChi', unit: 'Pauling', doc: 'Electronegativity spread', formula: 'sqrt(sum_i c_i (chi_i - chi_mean)^2)' },
  { name: 'tmMean', unit: 'K', doc: 'Rule-of-mixtures melting point', formula: 'sum_i c_i Tm_i' },
  { name: 'tmStd', unit: 'K', doc: 'Spread of the melting points', formula: 'sqrt(sum_i c_i (Tm_i - tm_mean)^2)' },
  { name: 'omega', unit: '1', doc: `Entropy/enthalpy balance (Yang & Zhang 2012); |dHmix| floored at ${OMEGA_MIN_ABS_DH_KJ} kJ/mol`, formula: 'tm_mean dSmix / (1000 |dHmix|)' },
  { name: 'rMean', unit: 'pm', doc: 'Mean 12-coordination metallic radius', formula: 'sum_i c_i r_i' },
  { name: 'massMean', unit: 'g/mol', doc: 'Mean atomic mass', formula: 'sum_i c_i M_i' },
  { name: 'nElements', unit: '1', doc: 'Number of elements present', formula: 'count(c_i > 0)' },
  { name: 'maxFraction', unit: '1', doc: 'Fraction of the largest (base) element', formula: 'max_i c_i' },
  { name: 'lambda', unit: 'J/(mol K %^2)', doc: `Entropy per size mismatch (Singh et al. 2014); delta floored at ${LAMBDA_MIN_DELTA_PCT} %`, formula: 'dSmix / delta^2' },
  { name: 'gamma', unit: '1', doc: 'Solid-angle packing ratio of the smallest and largest atoms (Yang et al. 2012)', formula: 'w(r_min) / w(r_max), w(r) = 1 - sqrt(1 - r_mean^2 / (r + r_mean)^2)' },
  { name: 'dHmain', unit: 'kJ/mol', doc: 'Equiatomic pair enthalpy of the two largest elements', formula: 'dH_ab, a and b the two largest c_i' },
  { name: 'chiMean', unit: 'Pauling', doc: 'Mean Pauling electronegativity', formula: 'sum_i c_i chi_i' },
  { name: 'dVec', unit: 'e/atom', doc: 'Spread of the valence electron counts', formula: 'sqrt(sum_i c_i (VEC_i - vec)^2)' },
  { name: 'dHpairStd', unit: 'kJ/mol', doc: 'Spread of the pair enthalpies, weighted by c_i c_j', formula: 'sqrt(sum_{i<j} w_ij (dH_ij - mean_w dH)^2), w_ij = c_i c_j / sum_{k<l} c_k c_l' },
  { name: 'negPairFraction', unit: '1', doc: 'Weight of the attractive (dH < 0) pairs among all pairs', formula: 'sum_{i<j, dH_ij<0} c_i c_j / sum_{i<j} c_i c_j' },
  { name: 'radiusRatio', unit: '1', doc: 'Largest over smallest atomic radius present', formula: 'r_max / r_min' },
  { name: 'lateTmFraction', unit: '1', doc: 'Fraction of late transition metals (groups 8-11: Fe, Co, Ni, Cu, Ru, Rh, Pd, Ag, Pt, Au)', formula: 'sum_{i in LTM} c_i' },
  { name: 'earlyTmFraction', unit: '1', doc: 'Fraction of early transition metals (groups 4-6: Ti, Zr, Hf, V, Nb, Ta, Cr, Mo, W)', formula: 'sum_{i in ETM} c_i' },
  { name: 'rareEarthFraction', unit: '1', doc: 'Fraction of rare earths (Sc, Y, lanthanides)', formula: 'sum_{i in RE} c_i' },
  { name: 'metalloidFraction', unit: '1', doc: 'Fraction of metalloids and non-metals (B, C, Si, P, S, Ge)', formula: 'sum_{i in B,C,Si,P,S,Ge} c_i' },
]);

export const DESCRIPTOR_NAMES: readonly string[] = Object.freeze(DESCRIPTORS.map((d) => d.name));

const DESCRIPTOR_INDEX: ReadonlyMap<string, number> = new Map(DESCRIPTOR_NAMES.map((name, i) => [name, i]));
const D = Object.fromEntries(DESCRIPTOR_NAMES.map((name, i) => [name, i])) as Record<string, number>;
const DESCRIPTOR_COUNT = DESCRIPTORS.length;

const FRACTION_PREFIX = 'frac:';

/** Feature names of the raw element fractions (at.% / 100), e.g. `frac:Zr`. */
export function elementFractionFeatures(elements: readonly string[]): string[] {
  return elements.map((symbol) => FRACTION_PREFIX + symbol);
}

// ---------------------------------------------------------------------------------------------
// Kernel

/** Per-element arrays for a fixed element list, and scratch space for one evaluation. */
interface ElementTables {
  size: number;
  radius: Float64Array;
  chi: Float64Array;
  vec: Float64Array;
  tm: Float64Array;
  mass: Float64Array;
  lateTm: Uint8Array;
  earlyTm: Uint8Array;
  rareEarth: Uint8Array;
  metalloid: Uint8Array;
  /** Row-major pair enthalpies, kJ/mol. */
  enthalpy: Float64Array;
  presentIndex: Int32Array;
  presentFraction: Float64Array;
}

const METALLOIDS = new Set(['B', 'C', 'Si', 'P', 'S', 'Ge']);

function buildTables(elements: readonly string[]): ElementTables {
  const data: ElementData[] = elements.map(getElement);
  const size = elements.length;
  const fill = (f: (e: ElementData) => number) => Float64Array.from(data, f);
  const flag = (f: (e: ElementData) => boolean) => Uint8Array.from(data, (e) => (f(e) ? 1 : 0));
  return {
    size,
    radius: fill((e) => e.metallicRadiusPm),
    chi: fill((e) => e.electronegativity),
    vec: fill((e) => e.vec),
    tm: fill((e) => e.meltingPointK),
    mass: fill((e) => e.atomicMass),
    lateTm: flag((e) => e.category === 'late-transition'),
    earlyTm: flag((e) => e.category === 'early-transition'),
    rareEarth: flag((e) => e.category === 'rare-earth'),
    metalloid: flag((e) => METALLOIDS.has(e.symbol)),
    enthalpy: mixingEnthalpyMatrix(elements),
    presentIndex: new Int32Array(size),
    presentFraction: new Float64Array(size),
  };
}

function solidAngleFactor(r: number, rMean: number): number {
  const s = r + rMean;
  return 1 - Math.sqrt(1 - (rMean * rMean) / (s * s));
}

/**
 * Fills `out` (length DESCRIPTOR_COUNT) with all descriptors of the fraction vector `x` over the
 * tables' elements. `x` is normalised here, so at.% or fractions both work.
 */
function computeAllInto(x: ArrayLike<number>, t: ElementTables, out: Float64Array): void {
  const idx = t.presentIndex;
  const c = t.presentFraction;
  let k = 0;
  let total = 0;
  for (let i = 0; i < t.size; i++) {
    const v = x[i];
    if (v > 0) {
      idx[k] = i;
      c[k] = v;
      k++;
      total += v;
    } else if (!(v >= -1e-12)) {
      // Negative beyond round-off, or NaN.
      throw new CompositionError(`Invalid fraction ${v} at position ${i}`);
    }
  }
  if (k === 0 || !Number.isFinite(total)) throw new CompositionError('Cannot compute descriptors of an empty composition');

  let rMean = 0, chiMean = 0, vecMean = 0, tmMean = 0, massMean = 0, entropy = 0;
  let rMin = Infinity, rMax = 0;
  let late = 0, early = 0, rareEarth = 0, metalloid = 0;
  // The two largest fractions (first occurrence wins a tie, so the result is deterministic).
  let first = -1, second = -1;
  const invTotal = 1 / total;
  for (let a = 0; a < k; a++) {
    const ca = c[a] * invTotal;
    c[a] = ca;
    const i = idx[a];
    const r = t.radius[i];
    rMean += ca * r;
    chiMean += ca * t.chi[i];
    vecMean += ca * t.vec[i];
    tmMean += ca * t.tm[i];
    massMean += ca * t.mass[i];
    entropy -= ca * Math.log(ca);
    if (r < rMin) rMin = r;
    if (r > rMax) rMax = r;
    if (t.lateTm[i]) late += ca;
    if (t.earlyTm[i]) early += ca;
    if (t.rareEarth[i]) rareEarth += ca;
    if (t.metalloid[i]) metalloid += ca;
    if (first < 0 || ca > c[first]) {
      second = first;
      first = a;
    } else if (second < 0 || ca > c[second]) {
      second = a;
    }
  }

  let sizeSum = 0, chiVar = 0, vecVar = 0, tmVar = 0;
  for (let a = 0; a < k; a++) {
    const ca = c[a];
    const i = idx[a];
    const dr = 1 - t.radius[i] / rMean;
    sizeSum += ca * dr * dr;
    const dchi = t.chi[i] - chiMean;
    chiVar += ca * dchi * dchi;
    const dvec = t.vec[i] - vecMean;
    vecVar += ca * dvec * dvec;
    const dtm = t.tm[i] - tmMean;
    tmVar += ca * dtm * dtm;
  }

  let dHmix = 0, pairWeight = 0, negativeWeight = 0;
  const n = t.size;
  for (let a = 0; a < k; a++) {
    const rowOffset = idx[a] * n;
    const ca = c[a];
    for (let b = a + 1; b < k; b++) {
      const w = ca * c[b];
      const h = t.enthalpy[rowOffset + idx[b]];
      dHmix += 4 * h * w;
      pairWeight += w;
      if (h < 0) negativeWeight += w;
    }
  }
  // Second pass for the spread: E[h^2] - E[h]^2 cancels badly when all pairs are alike.
  let pairStd = 0;
  if (pairWeight > 0) {
    const meanH = dHmix / (4 * pairWeight);
    let variance = 0;
    for (let a = 0; a < k; a++) {
      const rowOffset = idx[a] * n;
      const ca = c[a];
      for (let b = a + 1; b < k; b++) {
        const dh = t.enthalpy[rowOffset + idx[b]] - meanH;
        variance += ca * c[b] * dh * dh;
      }
    }
    pairStd = Math.sqrt(variance / pairWeight);
  }

  const delta = 100 * Math.sqrt(sizeSum);
  const dSmix = GAS_CONSTANT * entropy;

  out[D.delta] = delta;
  out[D.dHmix] = dHmix;
  out[D.dSmix] = dSmix;
  out[D.vec] = vecMean;
  out[D.dChi] = Math.sqrt(chiVar);
  out[D.tmMean] = tmMean;
  out[D.tmStd] = Math.sqrt(tmVar);
  out[D.omega] = (tmMean * dSmix) / (1000 * Math.max(Math.abs(dHmix), OMEGA_MIN_ABS_DH_KJ));
  out[D.rMean] = rMean;
  out[D.massMean] = massMean;
  out[D.nElements] = k;
  out[D.maxFraction] = c[first];
  out[D.lambda] = dSmix / Math.max(delta * delta, LAMBDA_MIN_DELTA_PCT * LAMBDA_MIN_DELTA_PCT);
  out[D.gamma] = solidAngleFactor(rMin, rMean) / solidAngleFactor(rMax, rMean);
  out[D.dHmain] = second < 0 ? 0 : t.enthalpy[idx[first] * n + idx[second]];
  out[D.chiMean] = chiMean;
  out[D.dVec] = Math.sqrt(vecVar);
  out[D.dHpairStd] = pairStd;
  out[D.negPairFraction] = pairWeight > 0 ? negativeWeight / pairWeight : 0;
  out[D.radiusRatio] = rMax / rMin;
  out[D.lateTmFraction] = late;
  out[D.earlyTmFraction] = early;
  out[D.rareEarthFraction] = rareEarth;
  out[D.metalloidFraction] = metalloid;
}

// ---------------------------------------------------------------------------------------------
// Public API

let allElementTables: ElementTables | null = null;
function tablesForAllElements(): ElementTables {
  allElementTables ??= buildTables(ELEMENT_SYMBOLS);
  return allElementTables;
}

/** All descriptors of a composition (at.% or any positive amounts), by name. */
export function computeDescriptors(c: Composition): Record<string, number> {
  const tables = tablesForAllElements();
  const x = new Float64Array(tables.size);
  for (const [symbol, amount] of Object.entries(c)) {
    if (!isKnownElement(symbol)) throw new CompositionError(`Unknown element "${symbol}" in composition`);
    if (!Number.isFinite(amount) || amount < 0) throw new CompositionError(`Invalid amount ${amount} for ${symbol}`);
    x[elementIndex(symbol)] += amount;
  }
  const row = new Float64Array(DESCRIPTOR_COUNT);
  computeAllInto(x, tables, row);
  return Object.fromEntries(DESCRIPTOR_NAMES.map((name, i) => [name, row[i]]));
}

/** A feature row from a fraction vector; pass `out` (length = number of features) to avoid allocating. */
export type Featurizer = (fractions: ArrayLike<number>, out?: Float64Array) => Float64Array;

/**
 * A featurizer for a fixed element order: `fractions[i]` is the amount of `elements[i]`
 * (normalised internally). Feature names are descriptor names or `frac:X`; `frac:X` of an
 * element outside `elements` is always 0. Throws for unknown names or elements.
 */
export function makeFeaturizer(featureNames: readonly string[], elements: readonly string[]): Featurizer {
  const tables = buildTables(elements);
  const positionOf = new Map(elements.map((symbol, i) => [symbol, i]));
  // source[f] >= 0: descriptor index; source[f] = -1 - i: fraction of elements[i];
  // -1 - elements.length: an element outside the list, always 0.
  const zeroSource = -1 - elements.length;
  const source = Int32Array.from(featureNames, (name) => {
    if (name.startsWith(FRACTION_PREFIX)) {
      const symbol = name.slice(FRACTION_PREFIX.length);
      if (!isKnownElement(symbol)) throw new CompositionError(`Unknown element in feature "${name}"`);
      const i = positionOf.get(symbol);
      return i === undefined ? zeroSource : -1 - i;
    }
    const d = DESCRIPTOR_INDEX.get(name);
    if (d === undefined) throw new CompositionError(`Unknown feature "${name}" (descriptors: ${DESCRIPTOR_NAMES.join(', ')})`);
    return d;
  });
  const needsDescriptors = source.some((s) => s >= 0);
  const row = new Float64Array(DESCRIPTOR_COUNT);
  const featureCount = featureNames.length;

  return (fractions, out = new Float64Array(featureCount)) => {
    if (fractions.length !== tables.size) {
      throw new CompositionError(`Fraction vector has ${fractions.length} entries, expected ${tables.size}`);
    }
    if (needsDescriptors) computeAllInto(fractions, tables, row);
    let total = 0;
    for (let i = 0; i < tables.size; i++) total += fractions[i];
    const invTotal = total > 0 ? 1 / total : 0;
    for (let f = 0; f < featureCount; f++) {
      const s = source[f];
      if (s >= 0) out[f] = row[s];
      else if (s === zeroSource) out[f] = 0;
      else out[f] = fractions[-1 - s] * invTotal;
    }
    return out;
  };
}

/** Feature rows for many compositions (at.%); `featureNames` as for makeFeaturizer. */
export function featurize(compositions: readonly Composition[], featureNames: readonly string[]): number[][] {
  const featurizer = makeFeaturizer(featureNames, ELEMENT_SYMBOLS);
  const x = new Float64Array(ELEMENT_SYMBOLS.length);
  const out = new Float64Array(featureNames.length);
  const indexOf = new Map(ELEMENT_SYMBOLS.map((symbol, i) => [symbol, i]));
  return compositions.map((c) => {
    x.fill(0);
    for (const [symbol, amount] of Object.entries(c)) {
      const i = indexOf.get(symbol);
      if (i === undefined) throw new CompositionError(`Unknown element "${symbol}" in composition`);
      if (!Number.isFinite(amount) || amount < 0) throw new CompositionError(`Invalid amount ${amount} for ${symbol}`);
      x[i] += amount;
    }
    return Array.from(featurizer(x, out));
  });
}
