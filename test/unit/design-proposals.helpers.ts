import { validateAgainstDesignSpace } from '../../src/core/domain/design-space.js';
import type { Composition } from '../../src/core/chemistry/types.js';
import { TOY_SPACE } from './design-helpers.js';
export { gridKey, roundToGrid, toFractions } from '../../src/core/domain/composition-grid.js';

/** The chemistry module's own design-space check, as an independent referee. */
export function validate(c: Composition): string[] {
  return validateAgainstDesignSpace(c, TOY_SPACE);
}
