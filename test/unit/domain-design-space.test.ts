import { describe, expect, it } from 'vitest';
import { roundToGrid, roundToStep, toComposition, toFractions } from '../../src/core/domain/composition-grid.js';
import { illegalReason, validateAgainstDesignSpace, type DesignSpace } from '../../src/core/domain/design-space.js';
import { randomLegalComposition } from '../../src/core/domain/state.js';
import { Random } from '../../src/core/util/random.js';

/**
 * The design space's rules exist in two forms, one per caller: in at.% with every violation in
 * words (the API, seed import) and in fractions, the first reason only (the agent's hot loop).
 * The two must say the same of every composition on the grid; the grid rounding likewise exists
 * for at.% (roundToStep) and fractions (roundToGrid) over one largest-remainder rule.
 */
const SPACE: DesignSpace = {
  elements: ['Zr', 'Cu', 'Ni', 'Al', 'Ti', 'Nb'],
  bounds: { Zr: { min: 40, max: 75 }, Cu: { min: 0, max: 30 }, Ni: { min: 0, max: 20 }, Al: { min: 5, max: 15 }, Ti: { min: 0, max: 10 }, Nb: { min: 0, max: 5 } },
  step: 0.5,
  minElements: 3,
  maxElements: 5,
  baseElement: 'Zr',
};

/** A random composition on the grid, legal or not: random fractions over a random subset, rounded. */
function anyGridComposition(rng: Random): Float64Array {
  const raw: number[] = SPACE.elements.map(() => (rng.next() < 0.7 ? rng.next() ** 2 : 0));
  if (Math.max(...raw) === 0) raw[rng.int(raw.length)] = 1;
  const total = raw.reduce((a, b) => a + b, 0);
  return roundToGrid(raw.map((v) => v / total), SPACE.step);
}

describe('design space rules, in at.% and in fractions', () => {
  it('agree on 4,000 compositions on the grid, legal and illegal', () => {
    const rng = new Random(7);
    let legal = 0;
    for (let k = 0; k < 4000; k++) {
      const x = k % 2 === 0 ? anyGridComposition(rng) : randomLegalComposition(SPACE, rng)!;
      const reason = illegalReason(x, SPACE);
      const violations = validateAgainstDesignSpace(toComposition(x, SPACE.elements), SPACE);
      expect(violations.length === 0, `${JSON.stringify(toComposition(x, SPACE.elements))}: fractions say ${reason}, at.% says ${violations.join('; ')}`).toBe(reason === null);
      if (reason === null) legal++;
    }
    // Both kinds of composition occur, so the agreement is tested on each side.
    expect(legal).toBeGreaterThan(1500);
    expect(legal).toBeLessThan(3900);
  });

  it('round to the same grid point in at.% and in fractions (ties aside)', () => {
    const rng = new Random(11);
    let compared = 0;
    for (let k = 0; k < 2000; k++) {
      const raw = SPACE.elements.map(() => rng.next());
      const total = raw.reduce((a, b) => a + b, 0);
      const x = Float64Array.from(raw, (v) => v / total);
      const c = toComposition(x, SPACE.elements, 12);
      // The two rules break exact ties differently (larger amount first vs element order); skip those.
      const remainders = raw.map((v) => ((v / total) * 200) % 1).sort();
      if (remainders.some((r, i) => i > 0 && Math.abs(r - remainders[i - 1]) < 1e-9)) continue;
      const inFractions = toComposition(roundToGrid(x, SPACE.step), SPACE.elements);
      expect(inFractions).toEqual(roundToStep(c, SPACE.step));
      expect(Array.from(toFractions(inFractions, SPACE.elements)).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      compared++;
    }
    expect(compared).toBeGreaterThan(1900);
  });
});
