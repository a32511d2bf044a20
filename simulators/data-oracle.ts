/**
 * A data-grounded virtual laboratory: its truth is the published measurements themselves.
 *
 * An alloy behaves like the measured alloys nearest to it: the glass-forming probability is a
 * kernel-weighted average of the published class labels (cls_label, both CSV files), yield
 * strength and elongation kernel-weighted averages of the published values, each shrunk toward a
 * far-field value by a prior pseudo-weight:
 *
 *   g_i(x)  = exp(-d^2 / (2 h^2))                   d = d(x, x_i): Euclidean, at.%, every element
 *   p(x)    = (sum_i g_i y_i + w0 p0) / (sum_i g_i + w0)     y_i in {0, 1}, p0 = 0.1, w0 = 0.25
 *   w_i(x)  = g_i(x) / (1 + d^2 / n^2)
 *   v(x)    = (sum_i w_i v_i + u0 v0) / (sum_i w_i + u0)     v0 = median of the alloy's family, u0 = 0.1
 *
 * with h = 3 at.% (the reach of a measured alloy: a lone measured glass has p = 0.82 at itself,
 * 0.74 at 3 at.%, 0.55 at 5 at.%) and n = 1.5 at.% (properties change faster than glass
 * formation, and a measured alloy dominates its own neighbourhood: on the 152 Zr-based alloys with
 * a yield strength the median |truth - measured| is 24-25 MPa, under the 35 MPa test noise).
 * Far from every measured alloy an alloy is mostly crystalline (p -> p0) with ordinary
 * properties (the median of the measured alloys sharing its base element): random compositions
 * of the 9-element Zr space of bench:campaign form glass about 14 % of the time and meet its
 * targets almost never. Duplicated compositions are averaged first.
 *
 * Fairness: the truth is not a function of any descriptor the surrogates use, and it is not the
 * model class of any strategy either: each seed is a different "lab" whose distance weighs the
 * elements differently (a per-element scale drawn log-uniformly in [0.75, 1.33]) and whose
 * bandwidth h is drawn log-uniformly in [0.8, 1.25] x 3 at.%, so a strategy cannot win by
 * matching one fixed kernel. Measurements add the same noise as the smooth oracle (phase drawn
 * from p; yield ± 35 MPa; elongation ± (0.3 + 8 %)), seeded by (seed, composition, replicate).
 *
 * The service never sees this module; it only sees what instruments report.
 */
import type { ProcessValues } from '../src/core/domain/process.js';
import { processGlassShift } from './process-effect.js';
import type { Composition } from '../src/core/chemistry/types.js';
import type { MeasuredAlloy } from '../src/core/domain/measured-alloy.js';
import { Random } from '../src/core/util/random.js';
import { compositionKey, mechanics, measuredMechanics, measurementRandom, phaseOf, type Oracle, type OracleMeasurement, type OraclePhase } from './oracle.js';

export interface DataOracleOptions {
  /** Kernel bandwidth h in at.% before the seed's jitter. */
  bandwidth: number;
  /** Glass probability far from every labelled alloy. */
  farGlassProbability: number;
  /** Pseudo-weight w0 of the far-field glass probability (a measured alloy at distance 0 has weight 1). */
  priorWeight: number;
  /** The same for yield strength and elongation. */
  propertyPriorWeight: number;
  /** Near-field width (at.%) of the property kernels: their weights also fall as 1 / (1 + d^2 / n^2), so a measured alloy dominates its own neighbourhood. */
  nearWidth: number;
  /** Per-seed jitter: element scales and bandwidth factor log-uniform in [1/(1+j), 1+j]. */
  elementScaleJitter: number;
  bandwidthJitter: number;
  /**
   * Crystalline samples report yield strength and elongation too (high-entropy alloys and other
   * crystalline families, where a crystalline sample is the point, not a failure). Default false:
   * a crystalline glass former is brittle and reports none.
   */
  crystallineMechanics: boolean;
}

export const DEFAULT_DATA_ORACLE_OPTIONS: DataOracleOptions = {
  bandwidth: 3,
  farGlassProbability: 0.1,
  priorWeight: 0.25,
  propertyPriorWeight: 0.1,
  nearWidth: 1.5,
  elementScaleJitter: 0.33,
  bandwidthJitter: 0.25,
  crystallineMechanics: false,
};

/**
 * Further properties the lab reports when the published data has them (`extra` of the alloys,
 * simulators/published-data.ts), with their measurement noise (sd = abs + rel x value). Glass
 * properties (Dmax, Tg, Tx, Tl, ΔTx) come only with an amorphous sample; modulus with any sample
 * that reports mechanics.
 */
export const ORACLE_PROPERTY_NOISE: Readonly<Record<string, { abs: number; rel: number; glassOnly: boolean; digits: number }>> = {
  dmaxMm: { abs: 0.1, rel: 0.1, glassOnly: true, digits: 2 },
  tgK: { abs: 3, rel: 0, glassOnly: true, digits: 0 },
  txK: { abs: 3, rel: 0, glassOnly: true, digits: 0 },
  tlK: { abs: 5, rel: 0, glassOnly: true, digits: 0 },
  modulusGPa: { abs: 1, rel: 0.02, glassOnly: false, digits: 1 },
};
/** A free-named property in the data: noise 3 % of the value. */
const DEFAULT_PROPERTY_NOISE = { abs: 0, rel: 0.03, glassOnly: false, digits: 3 };

interface Reference {
  /** Dense at.% over the oracle's element list. */
  x: Float64Array;
  value: number;
}

export interface DataOracle extends Oracle {
  readonly kind: 'data';
  /** The seed's kernel bandwidth (at.%). */
  readonly bandwidth: number;
  /** Weighted distance (at.%) to the nearest labelled published alloy. */
  nearestLabelled(composition: Composition): number;
}

/** Builds the lab for one seed from published alloys (see loadPublishedAlloys). */
export function createDataOracle(seed: number, alloys: readonly MeasuredAlloy[], options: Partial<DataOracleOptions> = {}): DataOracle {
  const o = { ...DEFAULT_DATA_ORACLE_OPTIONS, ...options };
  const elements = [...new Set(alloys.flatMap((a) => Object.keys(a.composition)))].sort();
  const index = new Map(elements.map((el, i) => [el, i]));
  const rng = new Random(`data-oracle|${seed}`);
  const logUniform = (j: number) => Math.exp(rng.uniform(-Math.log(1 + j), Math.log(1 + j)));
  const scale = Float64Array.from(elements, () => logUniform(o.elementScaleJitter));
  const bandwidth = o.bandwidth * logUniform(o.bandwidthJitter);

  const dense = (c: Composition): Float64Array | null => {
    const x = new Float64Array(elements.length);
    let total = 0;
    for (const v of Object.values(c)) total += v > 0 ? v : 0;
    if (total <= 0) return null;
    for (const [el, v] of Object.entries(c)) {
      if (!(v > 0)) continue;
      const i = index.get(el);
      // An element no published alloy has: it only adds distance (scale 1).
      if (i === undefined) return null;
      x[i] = (100 * v) / total;
    }
    return x;
  };
  /** Averages duplicated compositions (the two files share many alloys). */
  const references = (pick: (a: MeasuredAlloy) => number | null): Reference[] => {
    const byKey = new Map<string, { x: Float64Array; sum: number; n: number }>();
    for (const a of alloys) {
      const v = pick(a);
      if (v === null || !Number.isFinite(v)) continue;
      const x = dense(a.composition);
      if (!x) continue;
      const key = Array.from(x, (t) => t.toFixed(2)).join(',');
      const e = byKey.get(key) ?? { x, sum: 0, n: 0 };
      e.sum += v;
      e.n++;
      byKey.set(key, e);
    }
    return [...byKey.values()].map((e) => ({ x: e.x, value: e.sum / e.n }));
  };
  const labelled = references((a) => (a.isGlass === null ? null : a.isGlass ? 1 : 0));
  const yieldRefs = references((a) => a.yieldStrengthMPa);
  const elongationRefs = references((a) => a.elongationPct);
  const familyMedian = (refs: Reference[]) => {
    const groups = new Map<number, number[]>();
    for (const r of refs) {
      const base = largest(r.x);
      groups.set(base, [...(groups.get(base) ?? []), r.value]);
    }
    const all = median(refs.map((r) => r.value));
    return (base: number) => {
      const g = groups.get(base);
      return g && g.length >= 5 ? median(g) : all;
    };
  };
  const yieldFar = familyMedian(yieldRefs);
  const elongationFar = familyMedian(elongationRefs);
  // Every further numeric property with at least 5 published values (Dmax, Tg, Tx, Tl, modulus, ...).
  const propertyNames = [...new Set(alloys.flatMap((a) => Object.keys(a.extra ?? {})))]
    .filter((name) => alloys.filter((a) => typeof a.extra?.[name] === 'number').length >= 5)
    .sort();
  const propertyModels = propertyNames.map((name) => {
    const refs = references((a) => (typeof a.extra?.[name] === 'number' && Number.isFinite(a.extra[name]) ? (a.extra[name] as number) : null));
    return { name, refs, far: familyMedian(refs), noise: ORACLE_PROPERTY_NOISE[name] ?? DEFAULT_PROPERTY_NOISE };
  });

  const distance2 = (a: Float64Array, b: Float64Array) => {
    let s = 0;
    for (let k = 0; k < a.length; k++) {
      const d = (a[k] - b[k]) * scale[k];
      s += d * d;
    }
    return s;
  };
  const kernelMean = (x: Float64Array, refs: Reference[], far: number, priorWeight: number, nearWidth: number) => {
    let num = priorWeight * far;
    let den = priorWeight;
    for (const r of refs) {
      const d2 = distance2(x, r.x);
      const w = Math.exp(-d2 / (2 * bandwidth * bandwidth)) / (1 + d2 / (nearWidth * nearWidth));
      num += w * r.value;
      den += w;
    }
    return num / den;
  };
  const truth = (composition: Composition) => {
    const x = dense(composition);
    if (!x) {
      return {
        glassProbability: o.farGlassProbability, yieldStrengthMPa: yieldFar(-1), elongationPct: elongationFar(-1),
        properties: Object.fromEntries(propertyModels.map((m) => [m.name, m.far(-1)])),
      };
    }
    const base = largest(x);
    return {
      glassProbability: kernelMean(x, labelled, o.farGlassProbability, o.priorWeight, Infinity),
      yieldStrengthMPa: kernelMean(x, yieldRefs, yieldFar(base), o.propertyPriorWeight, o.nearWidth),
      elongationPct: kernelMean(x, elongationRefs, elongationFar(base), o.propertyPriorWeight, o.nearWidth),
      properties: Object.fromEntries(propertyModels.map((m) => [m.name, kernelMean(x, m.refs, m.far(base), o.propertyPriorWeight, o.nearWidth)])),
    };
  };
  /** The further properties a sample of this phase reports, with noise when `rng` is given. */
  const reported = (phase: OraclePhase, values: Record<string, number>, rng: Random | null) => {
    const out: Record<string, number> = {};
    const mechanicsShown = phase !== 'crystalline' || o.crystallineMechanics;
    for (const m of propertyModels) {
      if (m.noise.glassOnly ? phase !== 'amorphous' : !mechanicsShown) continue;
      const v = values[m.name];
      if (!Number.isFinite(v)) continue;
      const noisy = rng ? v + rng.normal(0, m.noise.abs + m.noise.rel * Math.abs(v)) : v;
      out[m.name] = roundTo(m.name === 'dmaxMm' ? Math.max(0.01, noisy) : noisy, m.noise.digits);
    }
    return out;
  };
  /** Mechanics of a phase; with crystallineMechanics a crystalline sample keeps its values. */
  const withPhase = (phase: OraclePhase, m: OracleMeasurement, t: { yieldStrengthMPa: number; elongationPct: number }, rng: Random | null): OracleMeasurement => {
    if (phase !== 'crystalline' || !o.crystallineMechanics) return m;
    const y = rng ? t.yieldStrengthMPa + rng.normal(0, 35) : t.yieldStrengthMPa;
    const e = rng ? Math.max(0, t.elongationPct + rng.normal(0, 0.3 + 0.08 * t.elongationPct)) : t.elongationPct;
    return { ...m, yieldStrengthMPa: roundTo(Math.max(1, y), 0), elongationPct: roundTo(Math.min(100, e), 2) };
  };

  return {
    kind: 'data',
    seed,
    bandwidth,
    trueProperties(composition, process) {
      const t = withProcess(truth(composition), process);
      const phase = phaseOf(logit(t.glassProbability));
      return { ...withPhase(phase, mechanics(phase, t.yieldStrengthMPa, t.elongationPct), t, null), properties: reported(phase, t.properties, null), glassProbability: t.glassProbability };
    },
    measure(composition, replicate = 0, process) {
      const t = withProcess(truth(composition), process);
      const rng = measurementRandom(seed, composition, replicate);
      // A melt vitrifies with probability p; a borderline one that does not is often partly crystalline.
      const u = rng.next();
      const phase: OraclePhase = u < t.glassProbability ? 'amorphous' : rng.next() < t.glassProbability ? 'partially_crystalline' : 'crystalline';
      const m = withPhase(phase, measuredMechanics(phase, t.yieldStrengthMPa, t.elongationPct, rng), t, rng);
      // Further properties draw from their own stream: adding them changes no yield or elongation.
      const properties = reported(phase, t.properties, new Random(`${seed}|properties|${compositionKey(composition)}|${replicate}`));
      return Object.keys(properties).length ? { ...m, properties } : m;
    },
    nearestLabelled(composition) {
      const x = dense(composition);
      if (!x) return Infinity;
      let best = Infinity;
      for (const r of labelled) best = Math.min(best, distance2(x, r.x));
      return Math.sqrt(best);
    },
  };
}

function roundTo(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

function largest(x: Float64Array): number {
  let best = 0;
  for (let k = 1; k < x.length; k++) if (x[k] > x[best]) best = k;
  return best;
}

function median(v: number[]): number {
  if (!v.length) return NaN;
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The truth of a sample made with `process`: its glass probability shifted on the logit scale (process-effect.ts). */
function withProcess<T extends { glassProbability: number }>(t: T, process: Readonly<ProcessValues> | null | undefined): T {
  const shift = processGlassShift(process);
  return shift === 0 ? t : { ...t, glassProbability: 1 / (1 + Math.exp(-(logit(t.glassProbability) + shift))) };
}

function logit(p: number): number {
  const q = Math.min(1 - 1e-9, Math.max(1e-9, p));
  return Math.log(q / (1 - q));
}

