import type { MeasuredAlloy } from '../../src/core/domain/measured-alloy.js';
import { Random } from '../../src/core/util/random.js';

/** Synthetic Zr-Cu-Al-Ni alloys: glass when Zr is moderate and Al present, properties smooth in the fractions. */
export function syntheticAlloys(n: number, seed: number): MeasuredAlloy[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, (_, i) => {
    const zr = rng.uniform(40, 70);
    const al = rng.uniform(0, 15);
    const ni = rng.uniform(0, 10);
    const cu = 100 - zr - al - ni;
    const glass = zr < 60 && al > 4;
    return {
      composition: { Zr: zr, Cu: cu, Al: al, Ni: ni },
      // A sprinkle of unknowns, as in real data.
      isGlass: i % 7 === 0 ? null : glass,
      yieldStrengthMPa: i % 5 === 0 ? null : 1200 + 15 * al + 8 * ni - 3 * (zr - 55) + rng.normal(0, 5),
      elongationPct: i % 3 === 0 ? null : Math.max(0, 2 + 0.2 * (zr - 50) - 0.1 * al + rng.normal(0, 0.1)),
    };
  });
}
