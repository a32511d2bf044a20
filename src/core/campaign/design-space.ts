import type { DesignSpace } from '../chemistry/types.js';
import { checkProcessVariables } from './process.js';

const EPS = 1e-9;

/**
 * Consistency of a design space as a whole (each field's own range is checked by the API layer):
 * bounds must admit at least one composition summing to 100 on the step grid, and the process
 * variables must be consistent (src/core/campaign/process.ts).
 * `knownElements` is the element table the featurizer has data for.
 */
export function checkDesignSpace(space: DesignSpace, knownElements: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const el of space.elements) {
    if (seen.has(el)) problems.push(`element ${el} is listed twice`);
    seen.add(el);
    if (!knownElements.has(el)) problems.push(`element ${el} is not a known element (no data for it)`);
    const b = space.bounds[el];
    if (!b) {
      problems.push(`element ${el} has no bounds`);
      continue;
    }
    if (b.min < 0 || b.max > 100 || b.min > b.max) problems.push(`bounds of ${el} must satisfy 0 <= min <= max <= 100 (got ${b.min}..${b.max})`);
    if (!onGrid(b.min, space.step) || !onGrid(b.max, space.step)) problems.push(`bounds of ${el} (${b.min}..${b.max}) must lie on the ${space.step} at.% grid`);
  }
  for (const el of Object.keys(space.bounds)) if (!seen.has(el)) problems.push(`bounds given for ${el}, which is not in the element list`);
  if (!(space.step > 0 && space.step <= 50)) problems.push(`step must be in (0, 50] at.% (got ${space.step})`);
  else if (!onGrid(100, space.step)) problems.push(`step ${space.step} must divide 100`);
  if (space.minElements < 1 || space.minElements > space.maxElements) problems.push(`need 1 <= minElements <= maxElements (got ${space.minElements}..${space.maxElements})`);
  if (space.maxElements > space.elements.length) problems.push(`maxElements ${space.maxElements} exceeds the ${space.elements.length} elements of the space`);
  const sumMin = space.elements.reduce((s, el) => s + (space.bounds[el]?.min ?? 0), 0);
  const sumMax = space.elements.reduce((s, el) => s + (space.bounds[el]?.max ?? 0), 0);
  if (sumMin > 100 + EPS) problems.push(`the lower bounds sum to ${round(sumMin)} at.% > 100: no composition fits`);
  if (sumMax < 100 - EPS) problems.push(`the upper bounds sum to ${round(sumMax)} at.% < 100: no composition fits`);
  const required = space.elements.filter((el) => (space.bounds[el]?.min ?? 0) > 0).length;
  if (required > space.maxElements) problems.push(`${required} elements have a lower bound > 0, more than maxElements ${space.maxElements}`);
  if (space.baseElement !== undefined) {
    if (!seen.has(space.baseElement)) problems.push(`base element ${space.baseElement} is not in the element list`);
    else if ((space.bounds[space.baseElement]?.min ?? 0) <= 0) problems.push(`base element ${space.baseElement} needs a lower bound > 0`);
  }
  problems.push(...checkProcessVariables(space.process));
  return problems;
}

function onGrid(value: number, step: number): boolean {
  const units = value / step;
  return Math.abs(units - Math.round(units)) < 1e-6;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}
