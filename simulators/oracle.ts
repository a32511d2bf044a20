/**
 * Ground truth of the virtual laboratory: what a Zr-based alloy "really" does when made and tested.
 *
 * A smooth, physics-informed function of the classic glass-forming descriptors (atomic size
 * mismatch, mixing enthalpy and entropy, electronegativity difference) and of the element
 * fractions, whose linear part was fitted once (offline, ridge) to the Zr-based bulk metallic
 * glasses of the AIMatDesign data and frozen here, plus a hidden part fixed by the seed: a few
 * Gaussian bumps in composition space that no descriptor explains, so the landscape is not
 * trivially learnable. Measurements add noise drawn from a stream seeded by (seed, composition,
 * replicate), so the same question always gets the same answer.
 *
 * The service never sees this module; it only sees what instruments report.
 */
import type { ProcessValues } from '../src/core/domain/process.js';
import { processGlassShift } from './process-effect.js';
import type { Composition } from '../src/core/chemistry/types.js';
import type { DesignSpace } from '../src/core/domain/design-space.js';
import type { MeasuredAlloy } from '../src/core/domain/measured-alloy.js';
import { Random } from '../src/core/util/random.js';
import { oracleDescriptors, ORACLE_ELEMENTS, type OracleDescriptors } from './oracle-chemistry.js';

export type OraclePhase = 'amorphous' | 'partially_crystalline' | 'crystalline';

export interface OracleMeasurement {
  /** Glass formed (the sample is amorphous). */
  isGlass: boolean;
  phase: OraclePhase;
  /** null for a crystalline sample (brittle; the protocol allows no value). */
  yieldStrengthMPa: number | null;
  elongationPct: number | null;
  /** Further properties the sample reports (Dmax mm, Tg/Tx/Tl K, modulus GPa, ...): the data-grounded lab's. */
  properties?: Record<string, number>;
}

export interface OracleTruth extends OracleMeasurement {
  /** Probability that a sample of this composition comes out amorphous. */
  glassProbability: number;
}

export interface Oracle {
  readonly seed: number;
  /**
   * One measurement, with noise; `replicate` distinguishes repeated measurements of one
   * composition; `process` (the values used) shifts glass formation (process-effect.ts).
   */
  measure(composition: Composition, replicate?: number, process?: Readonly<ProcessValues> | null): OracleMeasurement;
  /** The noise-free properties (of a sample made with `process`, when given). */
  trueProperties(composition: Composition, process?: Readonly<ProcessValues> | null): OracleTruth;
}

/** Elements the oracle knows; a virtual instrument must not stock others. */
export const ORACLE_ELEMENT_SYMBOLS: readonly string[] = Object.keys(ORACLE_ELEMENTS);

// Linear parts fitted to the 77 Zr-based BMGs of the data set whose elements the oracle knows
// (yield 1043-2072 MPa, elongation 0-12 %). Fraction terms are per 10 at.% away from a typical
// Zr60Cu20Ni5Al9 glass; descriptor terms are per typical spread. Be, Hf, Co are rare or absent in
// those rows, so their terms are set from the literature trend (Be stiffens, Co like Ni).
const YIELD = {
  intercept: 1755,
  fraction: { Zr: -25, Ni: -60, Al: 105, Ti: -150, Nb: -75, Ag: -110, Fe: -80, Be: 120, Hf: -20, Co: -40 },
  delta: 55, // per 2 % of delta above 10 %
  negEnthalpy: 75, // per 8 kJ/mol more negative than -35
  electronegativity: 90, // per 0.03 above 0.27
  entropy: 50, // per 2 J/(mol K) above 9
};

const ELONGATION = {
  intercept: 3.7,
  fraction: { Zr: 0.6, Cu: -0.4, Ni: 1.2, Al: -2.4, Ag: 0.2, Fe: 1.0, Be: -1.5, Co: 0.5 },
  electronegativity: -0.8,
  entropy: -2.2,
};

const FRACTION_CENTRE: Record<string, number> = { Zr: 0.6, Cu: 0.2, Ni: 0.05, Al: 0.09 };

// Late transition metals that pair with Zr in glass formers (strongly negative enthalpies with Zr).
const LATE_TRANSITION = ['Cu', 'Ni', 'Co', 'Fe', 'Ag', 'Pd'];

interface Bump {
  centre: Record<string, number>; // at.%
  width: number; // at.% (Euclidean)
  yield: number;
  elongation: number;
  glassLogit: number;
}

const BUMP_COUNT = 8;

export function createOracle(seed: number): Oracle {
  const bumps = hiddenBumps(seed);

  const truth = (composition: Composition) => {
    const d = oracleDescriptors(composition);
    const atPct = Object.fromEntries(Object.entries(d.x).map(([el, v]) => [el, 100 * v]));
    let yieldHidden = 0;
    let elongationHidden = 0;
    let glassHidden = 0;
    for (const bump of bumps) {
      let dist2 = 0;
      for (const el of ORACLE_ELEMENT_SYMBOLS) dist2 += (atPct[el] - (bump.centre[el] ?? 0)) ** 2;
      const w = Math.exp(-dist2 / (2 * bump.width ** 2));
      yieldHidden += bump.yield * w;
      elongationHidden += bump.elongation * w;
      glassHidden += bump.glassLogit * w;
    }
    const glassLogit = glassFormingLogit(d) + glassHidden;
    return {
      glassLogit,
      // Soft limits keep the smooth model inside the measured ranges without kinks.
      yieldStrengthMPa: softClamp(yieldLinear(d) + yieldHidden, 900, 2300),
      elongationPct: 14 * Math.tanh(softplus(elongationLinear(d) + elongationHidden) / 14),
    };
  };

  return {
    seed,
    trueProperties(composition, process) {
      const t = truth(composition);
      const glassLogit = t.glassLogit + processGlassShift(process);
      const phase = phaseOf(glassLogit);
      return {
        ...mechanics(phase, t.yieldStrengthMPa, t.elongationPct),
        glassProbability: logistic(glassLogit),
      };
    },
    measure(composition, replicate = 0, process) {
      const t = truth(composition);
      const rng = measurementRandom(seed, composition, replicate);
      // Whether a given melt vitrifies depends on cooling rate, oxygen, ...: noise on the logit (and the process's shift).
      const phase = phaseOf(t.glassLogit + processGlassShift(process) + rng.normal(0, 0.6));
      return measuredMechanics(phase, t.yieldStrengthMPa, t.elongationPct, rng);
    },
  };
}

/** The measurement's noise stream: seeded by (oracle seed, composition, replicate), so a question always gets the same answer. */
export function measurementRandom(seed: number, composition: Composition, replicate: number): Random {
  return new Random(`${seed}|${compositionKey(composition)}|${replicate}`);
}

/**
 * Testing noise shared by every oracle: yield strength ± 35 MPa, elongation ± (0.3 + 8 %) of the
 * value (not below 0), then the phase's effect on the mechanics.
 */
export function measuredMechanics(phase: OraclePhase, yieldStrengthMPa: number, elongationPct: number, rng: Random): OracleMeasurement {
  const yieldStrength = yieldStrengthMPa + rng.normal(0, 35);
  const elongation = Math.max(0, elongationPct + rng.normal(0, 0.3 + 0.08 * elongationPct));
  return mechanics(phase, round(yieldStrength, 0), round(elongation, 2));
}

export function mechanics(phase: OraclePhase, yieldStrengthMPa: number, elongationPct: number): OracleMeasurement {
  if (phase === 'crystalline') return { isGlass: false, phase, yieldStrengthMPa: null, elongationPct: null };
  if (phase === 'partially_crystalline') {
    // Crystallites embrittle the glass: a little weaker, much less plastic.
    return { isGlass: false, phase, yieldStrengthMPa: round(0.95 * yieldStrengthMPa, 0), elongationPct: round(0.25 * elongationPct, 2) };
  }
  return { isGlass: true, phase, yieldStrengthMPa: round(yieldStrengthMPa, 0), elongationPct: round(elongationPct, 2) };
}

/** Above +1 amorphous, below -1 crystalline, a band of partial crystallisation between. */
export function phaseOf(glassLogit: number): OraclePhase {
  if (glassLogit > 1) return 'amorphous';
  if (glassLogit > -1) return 'partially_crystalline';
  return 'crystalline';
}

/**
 * Inoue's rules as a score: large size mismatch (saturating beyond ~12 %), strongly negative
 * mixing enthalpy, three or more elements, Zr-rich with late transition metals, little Ti/Nb.
 */
function glassFormingLogit(d: OracleDescriptors): number {
  const x = d.x;
  const lateTransition = LATE_TRANSITION.reduce((s, el) => s + x[el], 0);
  return (
    2.0 * Math.tanh((d.delta - 7) / 3) +
    0.09 * (-d.mixingEnthalpy - 22) +
    (d.elementCount >= 3 ? 0.8 : 0) +
    (d.elementCount >= 4 ? 0.4 : 0) -
    2.0 * ((x.Zr - 0.58) / 0.14) ** 2 -
    1.5 * ((lateTransition - 0.3) / 0.14) ** 2 -
    4.0 * Math.max(0, x.Al - 0.14) * 10 -
    1.0 * (x.Ti + x.Nb) * 10 +
    0.6
  );
}

function fractionTerm(coefficients: Record<string, number>, x: Record<string, number>): number {
  let sum = 0;
  for (const [el, c] of Object.entries(coefficients)) sum += c * 10 * (x[el] - (FRACTION_CENTRE[el] ?? 0));
  return sum;
}

function yieldLinear(d: OracleDescriptors): number {
  return (
    YIELD.intercept +
    fractionTerm(YIELD.fraction, d.x) +
    (YIELD.delta * (d.delta - 10)) / 2 +
    (YIELD.negEnthalpy * (-d.mixingEnthalpy - 35)) / 8 +
    (YIELD.electronegativity * (d.electronegativityDiff - 0.27)) / 0.03 +
    (YIELD.entropy * (d.mixingEntropy - 9)) / 2
  );
}

function elongationLinear(d: OracleDescriptors): number {
  return (
    ELONGATION.intercept +
    fractionTerm(ELONGATION.fraction, d.x) +
    (ELONGATION.electronegativity * (d.electronegativityDiff - 0.27)) / 0.03 +
    (ELONGATION.entropy * (d.mixingEntropy - 9)) / 2
  );
}

/** The seed's hidden landscape: bumps centred on plausible Zr-based compositions. */
function hiddenBumps(seed: number): Bump[] {
  const rng = new Random(`oracle-bumps|${seed}`);
  const minors = ['Cu', 'Ni', 'Al', 'Ti', 'Nb', 'Ag', 'Fe'];
  const bumps: Bump[] = [];
  for (let i = 0; i < BUMP_COUNT; i++) {
    const zr = rng.uniform(48, 70);
    // Split the rest over 3-5 random minor elements.
    const chosen = rng.shuffle([...minors]).slice(0, 3 + rng.int(3));
    const weights = chosen.map(() => rng.uniform(0.2, 1));
    const total = weights.reduce((s, w) => s + w, 0);
    const centre: Record<string, number> = { Zr: zr };
    chosen.forEach((el, k) => (centre[el] = ((100 - zr) * weights[k]) / total));
    bumps.push({
      centre,
      width: rng.uniform(5, 10),
      yield: rng.normal(0, 150),
      elongation: rng.normal(0, 2.5),
      glassLogit: rng.normal(0, 0.8),
    });
  }
  return bumps;
}

/** A canonical text of a composition for seeding: sorted symbols, values to 1e-4 at.%. */
export function compositionKey(composition: Composition): string {
  return Object.entries(composition)
    .filter(([, v]) => v > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([el, v]) => `${el}${v.toFixed(4)}`)
    .join('');
}

// ---------------------------------------------------------------------------------------------
// The demo campaign: design space, objectives, seed data
// ---------------------------------------------------------------------------------------------

/** A Zr-based design space in at.%, on a 0.5 at.% grid. */
export const DEMO_DESIGN_SPACE: DesignSpace = {
  elements: ['Zr', 'Cu', 'Ni', 'Al', 'Ti', 'Nb', 'Ag', 'Fe'],
  bounds: {
    Zr: { min: 45, max: 72 },
    Cu: { min: 5, max: 30 },
    Ni: { min: 0, max: 15 },
    Al: { min: 3, max: 15 },
    Ti: { min: 0, max: 8 },
    Nb: { min: 0, max: 6 },
    Ag: { min: 0, max: 8 },
    Fe: { min: 0, max: 8 },
  },
  step: 0.5,
  minElements: 3,
  maxElements: 6,
  baseElement: 'Zr',
};

export interface DemoObjective {
  property: 'yieldStrengthMPa' | 'elongationPct';
  /** Met when the measured value is at least this. */
  threshold: number;
}

/**
 * Strong and plastic at once. Each threshold alone is met by about half of the glasses in the
 * space, but strength and plasticity trade off, so only about 5-15 % of the default design space
 * meets both (depending on the seed; a test checks it).
 */
export const DEMO_OBJECTIVES: readonly DemoObjective[] = [
  { property: 'yieldStrengthMPa', threshold: 1600 },
  { property: 'elongationPct', threshold: 4 },
];

/**
 * The demo design space and objectives as the REST API takes them (POST /campaigns), for the demo,
 * the benchmarks and the tests.
 */
export function demoCampaignFields(): { designSpace: Record<string, unknown>; objectives: Record<string, unknown> } {
  return {
    designSpace: {
      elements: DEMO_DESIGN_SPACE.elements.map((symbol) => ({ symbol, ...DEMO_DESIGN_SPACE.bounds[symbol] })),
      step: DEMO_DESIGN_SPACE.step,
      minElements: DEMO_DESIGN_SPACE.minElements,
      maxElements: DEMO_DESIGN_SPACE.maxElements,
      baseElement: DEMO_DESIGN_SPACE.baseElement,
    },
    objectives: { requireGlass: true, targets: DEMO_OBJECTIVES.map((t) => ({ property: t.property, threshold: t.threshold, weight: 1 })) },
  };
}

export function meetsObjectives(
  measurement: Pick<OracleMeasurement, 'yieldStrengthMPa' | 'elongationPct'>,
  objectives: readonly DemoObjective[] = DEMO_OBJECTIVES,
): boolean {
  return objectives.every((o) => {
    const value = measurement[o.property];
    return value !== null && value >= o.threshold;
  });
}

/**
 * A random composition on the design space's grid: element count in [minElements, maxElements]
 * (elements with a positive lower bound always present), values uniform within bounds, the base
 * element taking the rest and staying the largest. Rejection sampling; the demo space accepts
 * a good share of draws.
 */
export function sampleDesignSpace(space: DesignSpace, rng: Random, maxTries = 10_000): Composition {
  const base = space.baseElement ?? space.elements[0];
  const steps = (v: number) => Math.round(v / space.step);
  const required = space.elements.filter((el) => el !== base && space.bounds[el].min > 0);
  const optional = space.elements.filter((el) => el !== base && space.bounds[el].min <= 0);
  for (let attempt = 0; attempt < maxTries; attempt++) {
    const minOthers = Math.max(space.minElements - 1, required.length);
    const maxOthers = Math.min(space.maxElements - 1, required.length + optional.length);
    const others = minOthers + rng.int(maxOthers - minOthers + 1);
    const chosen = [...required, ...rng.shuffle([...optional]).slice(0, others - required.length)];
    const composition: Composition = {};
    let rest = steps(100);
    for (const el of chosen) {
      const lo = Math.max(steps(space.bounds[el].min), 1);
      const n = lo + rng.int(steps(space.bounds[el].max) - lo + 1);
      composition[el] = n * space.step;
      rest -= n;
    }
    const baseValue = rest * space.step;
    const { min, max } = space.bounds[base];
    if (baseValue < min || baseValue > max) continue;
    if (chosen.some((el) => composition[el] >= baseValue)) continue;
    return { [base]: baseValue, ...composition };
  }
  throw new Error('could not sample a composition from the design space (bounds too tight?)');
}

/**
 * Seed data for a demo campaign: `count` alloys from the design space, measured once by the
 * oracle, mostly mediocre (alloys meeting the objectives are kept with probability 0.2), as a
 * lab's first exploratory batch would be.
 */
export function sampleSeedAlloys(
  oracle: Oracle,
  designSpace: DesignSpace,
  count: number,
  rng: Random,
  objectives: readonly DemoObjective[] = DEMO_OBJECTIVES,
): MeasuredAlloy[] {
  const alloys: MeasuredAlloy[] = [];
  const seen = new Set<string>();
  for (let tries = 0; alloys.length < count && tries < count * 1000; tries++) {
    const composition = sampleDesignSpace(designSpace, rng);
    const key = compositionKey(composition);
    if (seen.has(key)) continue;
    const measured = oracle.measure(composition, 0);
    if (meetsObjectives(measured, objectives) && rng.next() > 0.2) continue;
    seen.add(key);
    alloys.push({
      composition,
      isGlass: measured.isGlass,
      yieldStrengthMPa: measured.yieldStrengthMPa,
      elongationPct: measured.elongationPct,
    });
  }
  return alloys;
}

// ---------------------------------------------------------------------------------------------

export function logistic(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function softplus(z: number): number {
  return z > 20 ? z : Math.log1p(Math.exp(z));
}

/** Identity near the middle of [lo, hi], approaching the limits smoothly. */
function softClamp(value: number, lo: number, hi: number): number {
  const mid = (lo + hi) / 2;
  const half = (hi - lo) / 2;
  return mid + half * Math.tanh((value - mid) / half);
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

