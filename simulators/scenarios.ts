/**
 * The virtual labs a campaign can be tried on (bench:campaign, the demo, the simulators CLI):
 * which oracle is the truth, which design space and targets, which seed data the PI imports.
 *
 * - oracle `smooth`: simulators/oracle.ts (a smooth function of glass-forming descriptors plus
 *   hidden bumps); `data`: simulators/data-oracle.ts (the published measurements, interpolated).
 * - space `demo`: the README's 8-element Zr space (yield >= 1600 MPa, elongation >= 4 %);
 *   `zr9`: a 9-element Zr space with Pd (yield >= 1600 MPa, elongation >= 6 %).
 * - seeds `scarce`: on the data oracle, 38 published alloys of the space that all miss the target
 *   (drawn per seed from the 84 such rows: glasses with both properties measured that miss, and
 *   non-glasses); on the smooth oracle, 32 alloys sampled from the space and measured by it,
 *   mostly misses (what bench:campaign always used). `literature`: every published row of both
 *   files (7,425 alloys), as a PI importing the literature would.
 */
import type { DesignSpace } from '../src/core/domain/design-space.js';
import type { MeasuredAlloy } from '../src/core/domain/measured-alloy.js';
import { isLegal } from '../src/core/domain/design-space.js';
import { toFractions, usesOnlyElements } from '../src/core/domain/composition-grid.js';
import { Random } from '../src/core/util/random.js';
import { createDataOracle } from './data-oracle.js';
import { createOracle, DEMO_DESIGN_SPACE, DEMO_OBJECTIVES, meetsObjectives, sampleSeedAlloys, type DemoObjective, type Oracle } from './oracle.js';
import { loadPublishedAlloys } from './published-data.js';

export const ORACLE_KINDS = ['smooth', 'data'] as const;
export type OracleKind = (typeof ORACLE_KINDS)[number];
export const SEED_SCENARIOS = ['scarce', 'literature'] as const;
export type SeedScenario = (typeof SEED_SCENARIOS)[number];

export interface LabSpace {
  name: string;
  space: DesignSpace;
  objectives: readonly DemoObjective[];
  /** Glass formation is an objective (default true); false: crystalline allowed, and the lab's crystalline samples report mechanics. */
  requireGlass?: boolean;
}

/**
 * High-entropy alloys (issue 16): CoCrFeNi with Al, Ti, Mo, Nb, 4-6 elements on a 1 at.% grid,
 * crystalline allowed. The published data has 33 alloys of these elements (yield 140-2760 MPa,
 * elongation 0-75 %); strong and ductile at once (>= 1500 MPa and >= 15 %) holds for two of them.
 */
export const HEA_DESIGN_SPACE: DesignSpace = {
  elements: ['Co', 'Cr', 'Fe', 'Ni', 'Al', 'Ti', 'Mo', 'Nb'],
  bounds: {
    Co: { min: 0, max: 35 },
    Cr: { min: 0, max: 30 },
    Fe: { min: 10, max: 35 },
    Ni: { min: 10, max: 35 },
    Al: { min: 0, max: 25 },
    Ti: { min: 0, max: 20 },
    Mo: { min: 0, max: 15 },
    Nb: { min: 0, max: 12 },
  },
  step: 1,
  minElements: 4,
  maxElements: 6,
  family: 'hea',
};

export const ZR9_DESIGN_SPACE: DesignSpace = {
  elements: ['Zr', 'Cu', 'Ni', 'Al', 'Ag', 'Ti', 'Fe', 'Nb', 'Pd'],
  bounds: {
    Zr: { min: 40, max: 75 },
    Cu: { min: 0, max: 35 },
    Ni: { min: 0, max: 20 },
    Al: { min: 0, max: 20 },
    Ag: { min: 0, max: 10 },
    Ti: { min: 0, max: 15 },
    Fe: { min: 0, max: 10 },
    Nb: { min: 0, max: 10 },
    Pd: { min: 0, max: 10 },
  },
  step: 0.5,
  minElements: 3,
  maxElements: 6,
  baseElement: 'Zr',
};

export const LAB_SPACES: Readonly<Record<string, LabSpace>> = {
  hea: {
    name: 'hea',
    space: HEA_DESIGN_SPACE,
    objectives: [
      { property: 'yieldStrengthMPa', threshold: 1500 },
      { property: 'elongationPct', threshold: 15 },
    ],
    requireGlass: false,
  },
  demo: { name: 'demo', space: DEMO_DESIGN_SPACE, objectives: DEMO_OBJECTIVES },
  zr9: {
    name: 'zr9',
    space: ZR9_DESIGN_SPACE,
    objectives: [
      { property: 'yieldStrengthMPa', threshold: 1600 },
      { property: 'elongationPct', threshold: 6 },
    ],
  },
};

/** Scarce seed data on the data oracle: this many published alloys of the space, all missing the target. */
export const SCARCE_SEED_COUNT = 38;
/** Scarce seed data on the smooth oracle: alloys sampled from the space (bench:campaign's default). */
export const SMOOTH_SEED_COUNT = 32;

let published: MeasuredAlloy[] | null = null;
/** Both published files, read once per process (see simulators/published-data.ts for where from). */
export function publishedAlloys(): MeasuredAlloy[] {
  published ??= loadPublishedAlloys().map(({ composition, isGlass, yieldStrengthMPa, elongationPct, extra }) => ({ composition, isGlass, yieldStrengthMPa, elongationPct, extra }));
  return published;
}

/** The lab of a space: a crystalline-allowed space's data lab reports the mechanics of crystalline samples (the smooth lab knows only Zr glasses). */
export function createLabOracle(kind: OracleKind, seed: number, lab?: LabSpace): Oracle {
  if (kind === 'smooth' && lab?.requireGlass === false) throw new Error(`the smooth lab simulates Zr-based glasses only; use the data lab for ${lab.name}`);
  return kind === 'data' ? createDataOracle(seed, publishedAlloys(), { crystallineMechanics: lab?.requireGlass === false }) : createOracle(seed);
}

/** A lab space as a campaign request's design space and objectives (the family stated). */
export function labCampaignFields(lab: LabSpace): { designSpace: Record<string, unknown>; objectives: Record<string, unknown> } {
  const { space } = lab;
  return {
    designSpace: {
      elements: space.elements.map((symbol) => ({ symbol, ...space.bounds[symbol] })),
      step: space.step,
      minElements: space.minElements,
      maxElements: space.maxElements,
      ...(space.baseElement ? { baseElement: space.baseElement } : {}),
      ...(space.family ? { family: space.family } : {}),
    },
    objectives: {
      requireGlass: lab.requireGlass ?? true,
      targets: lab.objectives.map((t) => ({ property: t.property, direction: 'atLeast', threshold: t.threshold, weight: 1 })),
    },
  };
}

/** A published alloy lies in the space: only its elements, within bounds and counts, base element largest. */
export function inSpace(alloy: MeasuredAlloy, space: DesignSpace): boolean {
  return usesOnlyElements(alloy.composition, space.elements) && isLegal(toFractions(alloy.composition, space.elements), space);
}

/** A published alloy known to miss the target: not a glass, or a glass whose measured properties miss. */
export function knownMiss(alloy: MeasuredAlloy, objectives: readonly DemoObjective[], requireGlass = true): boolean {
  if (requireGlass && alloy.isGlass === false) return true;
  if (requireGlass && alloy.isGlass !== true) return false;
  if (objectives.some((o) => alloy[o.property] === null)) return false;
  return !meetsObjectives(alloy, objectives);
}

/** The seed data a campaign of this scenario imports (see the header). */
export function scenarioSeedAlloys(scenario: SeedScenario, oracle: Oracle, lab: LabSpace, kind: OracleKind, seed: number): MeasuredAlloy[] {
  if (scenario === 'literature') return [...publishedAlloys()];
  if (kind === 'smooth') return sampleSeedAlloys(oracle, lab.space, SMOOTH_SEED_COUNT, new Random(`bench-seed|${seed}`), lab.objectives);
  const misses = publishedAlloys().filter((a) => inSpace(a, lab.space) && knownMiss(a, lab.objectives, lab.requireGlass ?? true));
  return new Random(`scarce-seed|${lab.name}|${seed}`).shuffle([...misses]).slice(0, SCARCE_SEED_COUNT);
}
