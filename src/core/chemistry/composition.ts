/**
 * Compositions: parsing and formatting chemical formulas, normalisation to at.%, distances and
 * fraction vectors. The composition grid and the design-space rules are in src/core/domain.
 */
import { describeUnknownElement, isKnownElement } from './elements.js';
import type { Composition } from './types.js';

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

/** A fixed-point number without trailing zeros ('12.50' -> '12.5', '3.00' -> '3'). */
export function trimZeros(fixed: string): string {
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

/** The element with the largest amount (alphabetically first on a tie). */
export function baseElementOf(c: Composition): string {
  const entries = sortedEntries(c);
  if (entries.length === 0 || !(entries[0][1] > 0)) throw new CompositionError('Empty composition has no base element');
  return entries[0][0];
}
