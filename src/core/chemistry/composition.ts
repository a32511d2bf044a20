/**
 * Compositions: parsing and formatting chemical formulas, normalisation to at.%, rounding to a
 * composition grid, design-space checks, distances and fraction vectors.
 */
import { describeUnknownElement, isKnownElement } from './elements.js';
import type { Composition, DesignSpace } from './types.js';

export class CompositionError extends Error {
  constructor(
    message: string,
    /** 0-based index into the parsed text, where the problem is (parse errors only). */
    readonly position?: number,
    /** The offending token, where there is one. */
    readonly token?: string,
  ) {
    super(message);
    this.name = 'CompositionError';
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing

const OPENING_TO_CLOSING: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const CLOSING = new Set(Object.values(OPENING_TO_CLOSING));
const NUMBER = /\d+(?:\.\d*)?|\.\d+/y;
const SYMBOL = /[A-Z][a-z]*/y;

export interface ParseOptions {
  /** Scale the amounts to at.% summing to 100 (default true); false returns the amounts as written. */
  normalize?: boolean;
}

/**
 * Parses a chemical formula such as `Zr65Cu17.5Ni10Al7.5`, `CoCrFeNi` (a missing amount is 1),
 * `(Zr0.5Cu0.5)90Al10` or `[(Co0.6Fe0.4)0.75B0.2Si0.05]96Nb4`. Brackets (), [] and {} nest.
 * A bracketed group followed by an amount is scaled so that its content sums to that amount,
 * which is how `(Zr0.5Cu0.5)90Al10` and `(Zr50Cu50)90Al10` both mean Zr45Cu45Al10; a group with
 * no amount is just grouping. Repeated elements add up. Whitespace between tokens is ignored.
 * Throws CompositionError naming the position and token of the first problem.
 */
export function parseFormula(text: string, options: ParseOptions = {}): Composition {
  const amounts = new FormulaParser(text).parse();
  return options.normalize === false ? amounts : normalize(amounts);
}

class FormulaParser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parse(): Composition {
    if (this.text.trim() === '') throw new CompositionError('Empty formula', 0);
    const amounts = this.parseSequence(null);
    if (Object.keys(amounts).length === 0) throw this.error('Formula contains no elements', 0);
    return amounts;
  }

  /** Reads items up to the matching closing bracket (consumed) or the end of the text. */
  private parseSequence(opening: { bracket: string; position: number } | null): Composition {
    const amounts: Composition = {};
    for (;;) {
      this.skipWhitespace();
      if (this.pos >= this.text.length) {
        if (opening) throw this.error(`Unclosed "${opening.bracket}"`, opening.position, opening.bracket);
        return amounts;
      }
      const ch = this.text[this.pos];
      if (ch in OPENING_TO_CLOSING) {
        const position = this.pos++;
        const group = this.parseSequence({ bracket: ch, position });
        if (Object.keys(group).length === 0) throw this.error(`Empty group "${ch}...${OPENING_TO_CLOSING[ch]}"`, position, ch);
        this.skipWhitespace();
        const multiplier = this.readNumber();
        addScaled(amounts, group, multiplier, () => this.error('Group amounts sum to zero', position, ch));
      } else if (CLOSING.has(ch)) {
        if (!opening) throw this.error(`Unmatched "${ch}"`, this.pos, ch);
        const expected = OPENING_TO_CLOSING[opening.bracket];
        if (ch !== expected) {
          throw this.error(`"${ch}" closes "${opening.bracket}" from index ${opening.position}`, this.pos, ch);
        }
        this.pos++;
        return amounts;
      } else if (ch >= 'A' && ch <= 'Z') {
        const position = this.pos;
        SYMBOL.lastIndex = this.pos;
        const symbol = SYMBOL.exec(this.text)![0];
        if (!isKnownElement(symbol)) throw this.error(describeUnknownElement(symbol), position, symbol);
        this.pos += symbol.length;
        this.skipWhitespace();
        const amount = this.readNumber() ?? 1;
        amounts[symbol] = (amounts[symbol] ?? 0) + amount;
      } else if ((ch >= '0' && ch <= '9') || ch === '.') {
        const token = this.peekNumberToken();
        throw this.error(`Amount "${token}" without an element`, this.pos, token);
      } else {
        throw this.error(`Unexpected character "${ch}"`, this.pos, ch);
      }
    }
  }

  /** An amount at the current position, or null if there is none. */
  private readNumber(): number | null {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (!match) return null;
    const after = this.text[this.pos + match[0].length];
    if (after === '.' || (after >= '0' && after <= '9')) {
      const token = this.peekNumberToken();
      throw this.error(`Malformed number "${token}"`, this.pos, token);
    }
    this.pos += match[0].length;
    return Number(match[0]);
  }

  private peekNumberToken(): string {
    return /[\d.]+/y.exec(this.text.slice(this.pos))?.[0] ?? '';
  }

  private skipWhitespace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private error(what: string, position: number, token?: string): CompositionError {
    return new CompositionError(`${what} (index ${position} in "${this.text}")`, position, token);
  }
}

function addScaled(target: Composition, group: Composition, multiplier: number | null, zeroSum: () => Error): void {
  let scale = 1;
  if (multiplier !== null) {
    const sum = Object.values(group).reduce((s, v) => s + v, 0);
    if (sum === 0) throw zeroSum();
    scale = multiplier / sum;
  }
  for (const [symbol, amount] of Object.entries(group)) target[symbol] = (target[symbol] ?? 0) + amount * scale;
}

// ---------------------------------------------------------------------------------------------
// Formatting and normalisation

/** Elements sorted by descending amount; equal amounts alphabetically, so the order is stable. */
export function sortedEntries(c: Composition): [string, number][] {
  return Object.entries(c).sort(([sa, a], [sb, b]) => b - a || (sa < sb ? -1 : sa > sb ? 1 : 0));
}

/**
 * Writes a composition as a formula, largest amount first, amounts rounded to `decimals`
 * (default 2) with trailing zeros trimmed, e.g. `Zr65Cu17.5Ni10Al7.5`. Amounts that round to 0
 * are left out. The amounts are written as given (not normalised).
 */
export function formatFormula(c: Composition, decimals = 2): string {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 10) {
    throw new CompositionError(`decimals must be an integer in 0..10, got ${decimals}`);
  }
  let text = '';
  for (const [symbol, amount] of sortedEntries(c)) {
    if (!Number.isFinite(amount) || amount < 0) throw new CompositionError(`Invalid amount ${amount} for ${symbol}`);
    const written = trimZeros(amount.toFixed(decimals));
    if (written !== '0') text += symbol + written;
  }
  if (text === '') throw new CompositionError('Nothing to format: the composition is empty');
  return text;
}

/**
 * A key that is equal for the same composition however it was written (normalised to at.%,
 * symbols sorted, amounts to 0.01 at.%): repeated measurements, cache keys, prompts.
 */
export function compositionKey(c: Composition): string {
  const total = Object.values(c).reduce((a, b) => a + b, 0) || 1;
  return Object.keys(c)
    .filter((el) => c[el] > 0)
    .sort()
    .map((el) => `${el}${((100 * c[el]) / total).toFixed(2)}`)
    .join('');
}

function trimZeros(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/**
 * Scales a composition to at.% summing to 100 and drops zero entries. Rejects negative, NaN or
 * infinite amounts and compositions that are empty or all zero.
 */
export function normalize(c: Composition): Composition {
  let total = 0;
  for (const [symbol, amount] of Object.entries(c)) {
    if (!Number.isFinite(amount) || amount < 0) throw new CompositionError(`Invalid amount ${amount} for ${symbol}`);
    total += amount;
  }
  if (!(total > 0)) throw new CompositionError('Empty composition: no element has a positive amount');
  const result: Composition = {};
  for (const [symbol, amount] of Object.entries(c)) if (amount > 0) result[symbol] = (amount / total) * 100;
  return result;
}

// ---------------------------------------------------------------------------------------------
// Rounding to the composition grid

/** Tolerance for "is an integer number of steps", in units of step. */
const GRID_TOLERANCE = 1e-6;

/**
 * Rounds a composition to multiples of `step` at.% so that the amounts sum to exactly 100
 * (exactly in grid units; as numbers up to floating-point representation). Largest-remainder
 * method: every element gets the floor of its number of steps, the steps still missing go to the
 * largest remainders; ties go to the larger amount, then alphabetically. Elements that round to
 * zero are dropped. 100 must be a whole number of steps.
 */
export function roundToStep(c: Composition, step: number): Composition {
  const totalUnits = gridUnitsIn100(step);
  const entries = Object.entries(normalize(c)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const exact = entries.map(([, amount]) => amount / step);
  // The small epsilon keeps 0.3 / 0.1 = 2.9999999999999996 from flooring to 2.
  const units = exact.map((x) => Math.floor(x + 1e-9));
  const missing = totalUnits - units.reduce((s, u) => s + u, 0);
  const order = entries
    .map((_, i) => i)
    .sort((i, j) => {
      const byRemainder = exact[j] - units[j] - (exact[i] - units[i]);
      if (Math.abs(byRemainder) > 1e-12) return byRemainder;
      if (exact[i] !== exact[j]) return exact[j] - exact[i];
      return i - j; // entries are sorted by symbol
    });
  for (let k = 0; k < missing; k++) units[order[k]]++;
  const decimals = decimalsOf(step);
  const result: Composition = {};
  entries.forEach(([symbol], i) => {
    if (units[i] > 0) result[symbol] = roundTo(units[i] * step, decimals + 2);
  });
  return result;
}

function gridUnitsIn100(step: number): number {
  if (!(step > 0 && step <= 100)) throw new CompositionError(`Grid step must be in (0, 100] at.%, got ${step}`);
  const units = Math.round(100 / step);
  if (Math.abs(units * step - 100) > GRID_TOLERANCE * step) {
    throw new CompositionError(`Grid step ${step} at.% does not divide 100`);
  }
  return units;
}

function decimalsOf(x: number): number {
  for (let d = 0; d < 12; d++) if (Math.abs(roundTo(x, d) - x) < 1e-12) return d;
  return 12;
}

function roundTo(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}

function isOnGrid(amount: number, step: number): boolean {
  const units = amount / step;
  return Math.abs(units - Math.round(units)) <= GRID_TOLERANCE;
}

// ---------------------------------------------------------------------------------------------
// Design space

/** Allowed deviation of the total from 100 at.%. */
export const SUM_TOLERANCE = 0.05;

/**
 * Every way `c` (at.%) breaks the design space, as human-readable sentences; empty when it fits.
 * Checks: amounts valid, sum 100 within 0.05, elements allowed, per-element bounds (an allowed
 * element that is absent counts as 0 at.%, so a positive minimum makes it required), amounts
 * on the step grid, number of elements, and the base element having the largest amount
 * (a tie with another element is accepted).
 */
export function validateAgainstDesignSpace(c: Composition, space: DesignSpace): string[] {
  const violations: string[] = [];
  const present = Object.entries(c).filter(([, amount]) => amount !== 0);
  for (const [symbol, amount] of present) {
    if (!Number.isFinite(amount) || amount < 0) violations.push(`${symbol} has an invalid amount (${amount})`);
  }
  const valid = present.filter(([, amount]) => Number.isFinite(amount) && amount > 0);
  if (valid.length === 0) {
    violations.push('The composition is empty');
    return violations;
  }

  const total = valid.reduce((s, [, amount]) => s + amount, 0);
  if (Math.abs(total - 100) > SUM_TOLERANCE) {
    violations.push(`Amounts sum to ${fmt(total)} at.%, not 100 (tolerance ${SUM_TOLERANCE})`);
  }

  const allowed = new Set(space.elements);
  for (const [symbol, amount] of valid) {
    if (!allowed.has(symbol)) violations.push(`${symbol} (${fmt(amount)} at.%) is not in the design space`);
  }

  for (const symbol of space.elements) {
    const bounds = space.bounds[symbol];
    if (!bounds) continue;
    const amount = c[symbol] ?? 0;
    if (!(amount > 0) && bounds.min > 0) {
      violations.push(`${symbol} is absent but must be at least ${fmt(bounds.min)} at.%`);
    } else if (amount > 0 && amount < bounds.min - 1e-9) {
      violations.push(`${symbol} is ${fmt(amount)} at.%, below its minimum of ${fmt(bounds.min)} at.%`);
    } else if (amount > bounds.max + 1e-9) {
      violations.push(`${symbol} is ${fmt(amount)} at.%, above its maximum of ${fmt(bounds.max)} at.%`);
    }
  }

  for (const [symbol, amount] of valid) {
    if (!isOnGrid(amount, space.step)) {
      violations.push(`${symbol} is ${fmt(amount)} at.%, not a multiple of the ${fmt(space.step)} at.% step`);
    }
  }

  if (valid.length < space.minElements) {
    violations.push(`${valid.length} elements, fewer than the minimum of ${space.minElements}`);
  }
  if (valid.length > space.maxElements) {
    violations.push(`${valid.length} elements, more than the maximum of ${space.maxElements}`);
  }

  if (space.baseElement) {
    const base = space.baseElement;
    const baseAmount = c[base] ?? 0;
    const larger = valid.filter(([symbol, amount]) => symbol !== base && amount > baseAmount);
    if (!(baseAmount > 0)) {
      violations.push(`Base element ${base} is absent`);
    } else if (larger.length > 0) {
      const names = larger.map(([symbol, amount]) => `${symbol} (${fmt(amount)} at.%)`).join(', ');
      violations.push(`Base element ${base} (${fmt(baseAmount)} at.%) is not the largest: ${names}`);
    }
  }
  return violations;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? trimZeros(x.toFixed(4)) : String(x);
}

// ---------------------------------------------------------------------------------------------
// Distances and vectors

export type DistanceMetric = 'L1' | 'L2' | 'Linf';

/**
 * Distance between two compositions in at.% over the union of their elements (a missing element
 * counts as 0). Default L1, the total amount that has to move; L2 is Euclidean; Linf is the
 * largest single-element change (the TEP criterion "each fraction differs by <= 5 at.%").
 * The amounts are used as given; normalise first if they may not sum to 100.
 */
export function compositionDistance(a: Composition, b: Composition, metric: DistanceMetric = 'L1'): number {
  let sum = 0;
  let max = 0;
  const visit = (difference: number) => {
    const d = Math.abs(difference);
    if (metric === 'L2') sum += d * d;
    else sum += d;
    if (d > max) max = d;
  };
  for (const symbol of Object.keys(a)) visit((a[symbol] ?? 0) - (b[symbol] ?? 0));
  for (const symbol of Object.keys(b)) if (!(symbol in a)) visit(b[symbol]);
  if (metric === 'Linf') return max;
  return metric === 'L2' ? Math.sqrt(sum) : sum;
}

/**
 * Atomic fractions (summing to 1) in the order of `elements`. Throws if `c` has a positive
 * amount of an element outside `elements`, since that amount would silently vanish.
 */
export function toFractionVector(c: Composition, elements: readonly string[]): Float64Array {
  const normalized = normalize(c);
  const position = new Map(elements.map((symbol, i) => [symbol, i]));
  const vector = new Float64Array(elements.length);
  for (const [symbol, amount] of Object.entries(normalized)) {
    const i = position.get(symbol);
    if (i === undefined) throw new CompositionError(`${symbol} is not one of the vector's elements (${elements.join(', ')})`);
    vector[i] = amount / 100;
  }
  return vector;
}

/**
 * The composition (at.%, normalised) of a fraction vector over `elements`. Entries within 1e-12
 * of zero (round-off from vector arithmetic) count as zero; other negative entries throw.
 */
export function fromFractionVector(v: ArrayLike<number>, elements: readonly string[]): Composition {
  if (v.length !== elements.length) {
    throw new CompositionError(`Vector has ${v.length} entries but ${elements.length} elements were given`);
  }
  const amounts: Composition = {};
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (Math.abs(x) <= 1e-12) continue;
    amounts[elements[i]] = x;
  }
  return normalize(amounts);
}

/** The element with the largest amount (alphabetically first on a tie). */
export function baseElementOf(c: Composition): string {
  const entries = sortedEntries(c);
  if (entries.length === 0 || !(entries[0][1] > 0)) throw new CompositionError('Empty composition has no base element');
  return entries[0][0];
}
