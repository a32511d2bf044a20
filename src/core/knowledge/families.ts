/**
 * Alloy families: which expert knowledge (rules and LLM prompt) a campaign gets, and what its
 * lab and data checks expect. A campaign states its family in the design space (`family`) or it
 * is chosen from the design space's elements (familyOf).
 *
 * - zr-bmg: Zr-based bulk metallic glasses (the paper): glass formation required, Inoue's rules.
 * - hea: high-entropy alloys (CoCrFeNi-based with Al, Ti, Mo, Nb, ...): crystalline allowed,
 *   solid-solution rules (Yang & Zhang's Ω and δ, Guo's VEC, the ΔHmix window).
 */
export const ALLOY_FAMILIES = ['zr-bmg', 'hea'] as const;
export type AlloyFamily = (typeof ALLOY_FAMILIES)[number];

/** Principal elements of the 3d-transition-metal high-entropy alloys. */
export const HEA_PRINCIPAL_ELEMENTS: readonly string[] = ['Co', 'Cr', 'Fe', 'Ni', 'Mn', 'Cu'];

export interface FamilyProfile {
  family: AlloyFamily;
  label: string;
  /** Glass formation is an objective by default (what a campaign of this family usually wants). */
  requireGlassByDefault: boolean;
  /** The LLM's persona and task, before the rule list. */
  expert: string;
}

export const FAMILY_PROFILES: Readonly<Record<AlloyFamily, FamilyProfile>> = {
  'zr-bmg': {
    family: 'zr-bmg',
    label: 'Zr-based bulk metallic glasses',
    requireGlassByDefault: true,
    expert: 'You are a metallurgist who designs Zr-based bulk metallic glasses with high yield strength and plasticity.\nJudge how promising a candidate composition is, using these empirical glass-forming rules:',
  },
  hea: {
    family: 'hea',
    label: 'high-entropy alloys (CoCrFeNi-based)',
    requireGlassByDefault: false,
    expert:
      'You are a metallurgist who designs high-entropy alloys (CoCrFeNi-based, alloyed with Al, Ti, Mo, Nb) that are strong and ductile;\n' +
      'a crystalline solid solution is the goal, not a glass. Judge how promising a candidate composition is, using these empirical rules:',
  },
};

/**
 * The family of a design space: the stated one, else hea when at least three of its elements are
 * HEA principal elements and its base element (or, without one, its element of largest upper
 * bound) is one of them, else zr-bmg.
 */
export function familyOf(space: { family?: AlloyFamily; elements: readonly string[]; baseElement?: string; bounds?: Record<string, { min: number; max: number }> }): AlloyFamily {
  if (space.family) return space.family;
  const principal = space.elements.filter((el) => HEA_PRINCIPAL_ELEMENTS.includes(el));
  const base = space.baseElement ?? [...space.elements].sort((a, b) => (space.bounds?.[b]?.max ?? 0) - (space.bounds?.[a]?.max ?? 0))[0];
  return principal.length >= 3 && HEA_PRINCIPAL_ELEMENTS.includes(base) ? 'hea' : 'zr-bmg';
}
