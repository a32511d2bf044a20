import { expect } from 'vitest';

/** Same seed, identical predictions; another seed, different ones (a model that ignores its seed fails). */
export function expectSeedReproducible(predictWithSeed: (seed: number) => ArrayLike<number>): void {
  const a = Array.from(predictWithSeed(1));
  expect(Array.from(predictWithSeed(1))).toEqual(a);
  expect(Array.from(predictWithSeed(2))).not.toEqual(a);
}
