import { describe, expect, it } from 'vitest';
import { CompositionError, compositionDistance, formatFormula, normalize, parseFormula } from '../../src/core/chemistry/composition.js';
import { toComposition, toFractions, usesOnlyElements } from '../../src/core/domain/composition-grid.js';
import { roundToStep } from '../../src/core/domain/composition-grid.js';
import { validateAgainstDesignSpace } from '../../src/core/domain/design-space.js';
import { ELEMENT_SYMBOLS } from '../../src/core/chemistry/elements.js';
import type { Composition } from '../../src/core/chemistry/types.js';
import type { DesignSpace } from '../../src/core/domain/design-space.js';
import { Random } from '../../src/core/util/random.js';

function expectClose(actual: Composition, expected: Composition, digits = 9): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [symbol, value] of Object.entries(expected)) expect(actual[symbol]).toBeCloseTo(value, digits);
}

function parseError(text: string): CompositionError {
  try {
    parseFormula(text);
  } catch (error) {
    expect(error).toBeInstanceOf(CompositionError);
    return error as CompositionError;
  }
  throw new Error(`"${text}" parsed but should not have`);
}

describe('parseFormula', () => {
  it('parses plain formulas with integer and decimal amounts', () => {
    expectClose(parseFormula('Zr65Cu17.5Ni10Al7.5'), { Zr: 65, Cu: 17.5, Ni: 10, Al: 7.5 });
    expectClose(parseFormula('Zr60.32Cu22.56Fe9.95Al7.17'), { Zr: 60.32, Cu: 22.56, Fe: 9.95, Al: 7.17 });
  });

  it('normalises to 100 at.% unless asked not to', () => {
    expectClose(parseFormula('Zr2Cu1Al1'), { Zr: 50, Cu: 25, Al: 25 });
    expect(parseFormula('Zr2Cu1Al1', { normalize: false })).toEqual({ Zr: 2, Cu: 1, Al: 1 });
  });

  it('reads elements without amounts as 1 (CoCrFeNi)', () => {
    expectClose(parseFormula('CoCrFeNi'), { Co: 25, Cr: 25, Fe: 25, Ni: 25 });
    expectClose(parseFormula('AlCoCrFeNi2'), { Al: 100 / 6, Co: 100 / 6, Cr: 100 / 6, Fe: 100 / 6, Ni: 200 / 6 });
  });

  it('scales a bracketed group to its multiplier', () => {
    expectClose(parseFormula('(Zr0.5Cu0.5)90Al10'), { Zr: 45, Cu: 45, Al: 10 });
    expectClose(parseFormula('(Zr50Cu50)90Al10'), { Zr: 45, Cu: 45, Al: 10 });
    expectClose(parseFormula('Zr53Al16(Co0.75Ag0.25)31'), { Zr: 53, Al: 16, Co: 23.25, Ag: 7.75 });
    expectClose(parseFormula('(Cu0.50Zr0.43Al0.07)98Si2'), { Cu: 49, Zr: 42.14, Al: 6.86, Si: 2 });
  });

  it('handles nested and square brackets', () => {
    // (Co0.6Fe0.4)0.75 -> Co 0.45 Fe 0.3; the outer group sums to 1 and is scaled to 96.
    expectClose(parseFormula('[(Co0.6Fe0.4)0.75B0.2Si0.05]96Nb4'), { Co: 43.2, Fe: 28.8, B: 19.2, Si: 4.8, Nb: 4 });
    expectClose(parseFormula('((Zr1Cu1)1Ni1)80Al20'), { Zr: 20, Cu: 20, Ni: 40, Al: 20 });
  });

  it('treats a group without multiplier as plain grouping and adds repeated elements', () => {
    expectClose(parseFormula('Al0.5(CoCrFeNi)', { normalize: false }), { Al: 0.5, Co: 1, Cr: 1, Fe: 1, Ni: 1 });
    expectClose(parseFormula('(Zr50Cu50)90Zr10'), { Zr: 55, Cu: 45 });
  });

  it('ignores whitespace between tokens', () => {
    expectClose(parseFormula('  Zr 65 Cu 17.5\tNi10 Al7.5 '), { Zr: 65, Cu: 17.5, Ni: 10, Al: 7.5 });
    expectClose(parseFormula('( Zr0.5 Cu0.5 ) 90 Al10'), { Zr: 45, Cu: 45, Al: 10 });
  });

  it('rejects unknown elements, naming token and position', () => {
    const unknown = parseError('Zr65Xx35');
    expect(unknown.token).toBe('Xx');
    expect(unknown.position).toBe(4);
    expect(unknown.message).toMatch(/Unknown element symbol "Xx".*index 4/);
    // A real element without data gets its own message.
    const oxygen = parseError('Zr60O40');
    expect(oxygen.token).toBe('O');
    expect(oxygen.message).toMatch(/"O" is not supported/);
    expect(parseError('Zrr60Cu40').token).toBe('Zrr');
  });

  it.each([
    ['', /Empty formula/],
    ['   ', /Empty formula/],
    ['zr65Cu35', /Unexpected character "z".*index 0/],
    ['Zr65-Cu35', /Unexpected character "-".*index 4/],
    ['Zr1.2.3Cu1', /Malformed number "1.2.3"/],
    ['65Zr', /Amount "65" without an element.*index 0/],
    ['(Zr50Cu50', /Unclosed "\(".*index 0/],
    ['Zr50)Cu50', /Unmatched "\)".*index 4/],
    ['(Zr50Cu50]90Al10', /"]" closes "\(" from index 0/],
    ['()90Al10', /Empty group/],
    ['Zr0Cu0', /Empty composition/],
  ])('rejects %j', (text, message) => {
    expect(parseError(text).message).toMatch(message);
  });
});

describe('formatFormula', () => {
  it('writes the largest amount first with trailing zeros trimmed', () => {
    expect(formatFormula({ Al: 7.5, Ni: 10, Zr: 65, Cu: 17.5 })).toBe('Zr65Cu17.5Ni10Al7.5');
    expect(formatFormula({ Zr: 60.324, Cu: 39.676 })).toBe('Zr60.32Cu39.68');
    expect(formatFormula({ Zr: 60.324, Cu: 39.676 }, 1)).toBe('Zr60.3Cu39.7');
    // Ties are alphabetical so the text is stable.
    expect(formatFormula({ Ni: 25, Co: 25, Fe: 25, Cr: 25 })).toBe('Co25Cr25Fe25Ni25');
    expect(formatFormula({ Zr: 99.999, Cu: 0.001 })).toBe('Zr100');
  });

  it('round-trips random compositions through parseFormula', () => {
    const random = new Random('format-round-trip');
    for (let trial = 0; trial < 300; trial++) {
      const count = 1 + random.int(7);
      const elements = random.shuffle([...ELEMENT_SYMBOLS]).slice(0, count);
      const raw: Composition = {};
      for (const symbol of elements) raw[symbol] = 0.01 + random.int(5000) / 100;
      const composition = normalize(raw);
      const text = formatFormula(composition, 4);
      const parsed = parseFormula(text);
      for (const symbol of elements) expect(Math.abs(parsed[symbol] - composition[symbol])).toBeLessThan(1e-3);
      // Without renormalisation the amounts come back exactly as written.
      expect(formatFormula(parseFormula(text, { normalize: false }), 4)).toBe(text);
    }
  });
});

describe('normalize', () => {
  it('scales to 100 and drops zeros', () => {
    expectClose(normalize({ Zr: 2, Cu: 1, Ni: 1, Al: 0 }), { Zr: 50, Cu: 25, Ni: 25 });
  });

  it.each([
    ['empty', {}],
    ['all zero', { Zr: 0 }],
    ['negative', { Zr: 50, Cu: -1 }],
    ['NaN', { Zr: Number.NaN }],
    ['infinite', { Zr: Infinity }],
  ])('rejects %s compositions', (_label, c) => {
    expect(() => normalize(c)).toThrow(CompositionError);
  });
});

describe('roundToStep', () => {
  it('keeps the sum exactly 100 on the grid for many random compositions', () => {
    const random = new Random('round-to-step');
    for (const step of [0.1, 0.25, 0.5, 1, 2.5, 5]) {
      for (let trial = 0; trial < 400; trial++) {
        const count = 2 + random.int(6);
        const raw: Composition = {};
        for (const symbol of random.shuffle([...ELEMENT_SYMBOLS]).slice(0, count)) raw[symbol] = random.next() ** 2 + 1e-6;
        const exact = normalize(raw);
        const rounded = roundToStep(raw, step);
        let units = 0;
        for (const [symbol, value] of Object.entries(rounded)) {
          const u = value / step;
          expect(Math.abs(u - Math.round(u))).toBeLessThan(1e-9);
          units += Math.round(u);
          // Largest remainder never moves an element by a full step or more.
          expect(Math.abs(value - exact[symbol])).toBeLessThan(step + 1e-9);
        }
        expect(units * step).toBeCloseTo(100, 9);
        expect(units).toBe(Math.round(100 / step));
        const sum = Object.values(rounded).reduce((s, v) => s + v, 0);
        expect(Math.abs(sum - 100)).toBeLessThan(1e-9);
      }
    }
  });

  it('breaks ties deterministically (larger amount, then alphabetical)', () => {
    expect(roundToStep({ Zr: 1, Cu: 1, Ni: 1 }, 0.5)).toEqual({ Cu: 33.5, Ni: 33.5, Zr: 33 });
    expect(roundToStep({ Ni: 1, Zr: 1, Cu: 1 }, 0.5)).toEqual({ Cu: 33.5, Ni: 33.5, Zr: 33 });
    expect(roundToStep({ Zr: 65.26, Cu: 17.24, Ni: 10, Al: 7.5 }, 0.5)).toEqual({ Zr: 65.5, Cu: 17, Ni: 10, Al: 7.5 });
  });

  it('drops elements that round to zero and leaves grid compositions unchanged', () => {
    expect(roundToStep({ Zr: 99.9, Cu: 0.1 }, 1)).toEqual({ Zr: 100 });
    expect(roundToStep({ Zr: 65, Cu: 17.5, Ni: 10, Al: 7.5 }, 0.5)).toEqual({ Zr: 65, Cu: 17.5, Ni: 10, Al: 7.5 });
    expect(roundToStep({ Zr: 60.3, Cu: 39.7 }, 0.1)).toEqual({ Zr: 60.3, Cu: 39.7 });
  });

  it('rejects steps that do not divide 100', () => {
    expect(() => roundToStep({ Zr: 50, Cu: 50 }, 0.3)).toThrow(/does not divide 100/);
    expect(() => roundToStep({ Zr: 50, Cu: 50 }, 0)).toThrow(CompositionError);
  });
});

describe('validateAgainstDesignSpace', () => {
  const space: DesignSpace = {
    elements: ['Zr', 'Cu', 'Ni', 'Al', 'Ti'],
    bounds: {
      Zr: { min: 40, max: 75 },
      Cu: { min: 5, max: 40 },
      Ni: { min: 0, max: 20 },
      Al: { min: 0, max: 15 },
      Ti: { min: 0, max: 10 },
    },
    step: 0.5,
    minElements: 3,
    maxElements: 4,
    baseElement: 'Zr',
  };

  it('accepts a composition that fits', () => {
    expect(validateAgainstDesignSpace({ Zr: 65, Cu: 17.5, Ni: 10, Al: 7.5 }, space)).toEqual([]);
  });

  it('lists every violation in words', () => {
    const violations = validateAgainstDesignSpace({ Zr: 30, Cu: 45.2, Ni: 10, Fe: 10, Be: 5 }, space);
    expect(violations).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Amounts sum to 100\.2 at\.%, not 100/),
        'Fe (10 at.%) is not in the design space',
        'Be (5 at.%) is not in the design space',
        'Zr is 30 at.%, below its minimum of 40 at.%',
        'Cu is 45.2 at.%, above its maximum of 40 at.%',
        'Cu is 45.2 at.%, not a multiple of the 0.5 at.% step',
        '5 elements, more than the maximum of 4',
        'Base element Zr (30 at.%) is not the largest: Cu (45.2 at.%)',
      ]),
    );
    expect(violations).toHaveLength(8);
  });

  it('reports missing required elements and too few elements', () => {
    expect(validateAgainstDesignSpace({ Zr: 100 }, space)).toEqual([
      'Zr is 100 at.%, above its maximum of 75 at.%',
      'Cu is absent but must be at least 5 at.%',
      '1 elements, fewer than the minimum of 3',
    ]);
  });

  it('accepts a sum within 0.05 of 100 and reports empty compositions', () => {
    expect(validateAgainstDesignSpace({ Zr: 65, Cu: 17.5, Ni: 10, Al: 7.54 }, space)).toEqual([
      'Al is 7.54 at.%, not a multiple of the 0.5 at.% step',
    ]);
    expect(validateAgainstDesignSpace({}, space)).toEqual(['The composition is empty']);
  });
});

describe('distances and fraction vectors', () => {
  const a = { Zr: 65, Cu: 17.5, Ni: 10, Al: 7.5 };
  const b = { Zr: 60, Cu: 20, Ni: 10, Ti: 10 };

  it('computes L1 (default), L2 and Linf over the union of elements', () => {
    expect(compositionDistance(a, b)).toBeCloseTo(5 + 2.5 + 0 + 7.5 + 10, 12);
    expect(compositionDistance(a, b, 'L2')).toBeCloseTo(Math.sqrt(25 + 6.25 + 56.25 + 100), 12);
    expect(compositionDistance(a, b, 'Linf')).toBe(10);
    expect(compositionDistance(a, a)).toBe(0);
    expect(compositionDistance(a, b)).toBe(compositionDistance(b, a));
  });

  it('converts to and from fraction vectors in a given element order (domain/composition-grid)', () => {
    const elements = ['Al', 'Cu', 'Ni', 'Ti', 'Zr'];
    const v = toFractions(a, elements);
    expect(Array.from(v)).toEqual([0.075, 0.175, 0.1, 0, 0.65]);
    expectClose(toComposition(v, elements), a);
    // An alloy with an element outside the list does not fit the vector: usesOnlyElements says so.
    expect(usesOnlyElements(a, elements)).toBe(true);
    expect(usesOnlyElements(a, ['Zr', 'Cu', 'Ni'])).toBe(false);
    // Round-off below PRESENCE_EPS is treated as absent.
    expectClose(toComposition([0.5, 1e-15, 0.5, 0, 0], elements), { Al: 50, Ni: 50 });
  });

});
