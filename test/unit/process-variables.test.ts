import { describe, expect, it } from 'vitest';
import { checkDesignSpace } from '../../src/core/domain/design-space.js';
import {
  checkProcessValues, checkProcessVariables, decodeProcess, encodeProcess, normaliseProcessVariables, processDefault, processFeatureNames, processFeatures,
  processKey, randomProcess, withProcessDefaults, type ProcessVariable,
} from '../../src/core/domain/process.js';
import type { DesignSpace } from '../../src/core/domain/design-space.js';
import { Random } from '../../src/core/util/random.js';

const DIAMETER: ProcessVariable = { name: 'castingDiameterMm', kind: 'continuous', min: 1, max: 5, step: 0.5, unit: 'mm' };
const COOLING: ProcessVariable = { name: 'coolingMethod', kind: 'categorical', values: ['copper-mould', 'suction', 'water-quench'] };
const ANNEAL: ProcessVariable = { name: 'annealTempK', kind: 'continuous', min: 500, max: 700, step: 10, unit: 'K', default: 600 };
const VARS = [DIAMETER, COOLING, ANNEAL];

const SPACE: DesignSpace = {
  elements: ['Zr', 'Cu', 'Al', 'Ni'],
  bounds: { Zr: { min: 40, max: 70 }, Cu: { min: 0, max: 40 }, Al: { min: 0, max: 15 }, Ni: { min: 0, max: 15 } },
  step: 0.5,
  minElements: 3,
  maxElements: 4,
  baseElement: 'Zr',
};

describe('process variables: the design-space validator', () => {
  it('accepts continuous and categorical variables, and a space without any', () => {
    expect(checkProcessVariables(VARS)).toEqual([]);
    expect(checkDesignSpace({ ...SPACE, process: VARS }, new Set(SPACE.elements))).toEqual([]);
    expect(checkDesignSpace(SPACE, new Set(SPACE.elements))).toEqual([]);
  });

  it('names each inconsistency', () => {
    const cases: [unknown, RegExp][] = [
      [[{ ...DIAMETER, min: 6 }], /min 6 > max 5/],
      [[{ ...DIAMETER, step: 0 }], /step must be > 0/],
      [[{ ...DIAMETER, step: 0.3 }], /whole number of steps of 0.3/],
      [[{ ...DIAMETER, default: 1.2 }], /default 1.2 mm is not on the 0.5 mm grid/],
      [[{ ...DIAMETER, default: 9 }], /default 9 mm is outside \[1, 5\] mm/],
      [[{ ...DIAMETER, max: undefined }], /needs finite min, max and step/],
      [[{ ...DIAMETER, values: ['a'] }], /a continuous variable has no values list/],
      [[{ ...COOLING, values: [] }], /needs a non-empty values list/],
      [[{ ...COOLING, values: ['a', 'a'] }], /a value is listed twice/],
      [[{ ...COOLING, default: 'slow' }], /default "slow" is not one of/],
      [[{ ...COOLING, min: 1 }], /a categorical variable has no min/],
      [[{ ...COOLING, kind: 'ordinal' }], /kind must be one of continuous, categorical/],
      [[DIAMETER, DIAMETER], /castingDiameterMm is declared twice/],
      [[{ ...DIAMETER, name: '2x' }], /name must be 1-64 letters/],
      [Array.from({ length: 9 }, (_, i) => ({ ...DIAMETER, name: `p${i}` })), /at most 8 process variables/],
    ];
    for (const [vars, message] of cases) {
      const problems = checkDesignSpace({ ...SPACE, process: vars as ProcessVariable[] }, new Set(SPACE.elements));
      expect(problems.join('; '), JSON.stringify(vars)).toMatch(message);
    }
  });

  it('normalises a request to the fields of each kind (no unit: "")', () => {
    expect(normaliseProcessVariables([{ name: 'd', kind: 'continuous', min: 1, max: 2, step: 1 }])).toEqual([{ name: 'd', kind: 'continuous', min: 1, max: 2, step: 1, unit: '' }]);
    expect(normaliseProcessVariables([{ name: 'c', kind: 'categorical', values: ['x'] }])).toEqual([{ name: 'c', kind: 'categorical', values: ['x'] }]);
  });
});

describe('process values: defaults and checks', () => {
  it('defaults: the stated one, else the midpoint on the grid, else the first value', () => {
    expect(processDefault(DIAMETER)).toBe(3);
    expect(processDefault({ ...DIAMETER, min: 1, max: 4.5 })).toBe(3); // midpoint 2.75 -> nearest grid point (2.5 or 3: rounds half up)
    expect(processDefault(COOLING)).toBe('copper-mould');
    expect(processDefault(ANNEAL)).toBe(600);
    expect(withProcessDefaults(null, VARS)).toEqual({ castingDiameterMm: 3, coolingMethod: 'copper-mould', annealTempK: 600 });
    // Legal given values are kept, illegal or foreign ones replaced or dropped.
    expect(withProcessDefaults({ castingDiameterMm: 2, coolingMethod: 'fast', other: 1 }, VARS)).toEqual({ castingDiameterMm: 2, coolingMethod: 'copper-mould', annealTempK: 600 });
  });

  it('checks values against the variables', () => {
    expect(checkProcessValues({ castingDiameterMm: 2.5, coolingMethod: 'suction' }, VARS)).toEqual([]);
    expect(checkProcessValues({ castingDiameterMm: 2.2, coolingMethod: 7, temp: 1 }, VARS).join('; ')).toMatch(
      /castingDiameterMm: 2.2 mm is not on the 0.5 mm grid.*coolingMethod: 7 is not one of.*temp names no process variable/,
    );
  });
});

describe('process values: state / action encoding and surrogate features', () => {
  it('encodes one number in [0, 1] per variable and decodes it back onto the grid', () => {
    const values = { castingDiameterMm: 2, coolingMethod: 'water-quench', annealTempK: 650 };
    const u = encodeProcess(values, VARS);
    expect(u).toEqual([0.25, 1, 0.75]);
    expect(decodeProcess(u, VARS)).toEqual(values);
    // Off-grid and out-of-range actions are clamped and rounded to the step or the nearest value.
    expect(decodeProcess([0.3, 0.3, 1.7], VARS)).toEqual({ castingDiameterMm: 2, coolingMethod: 'suction', annealTempK: 700 });
    expect(decodeProcess([-1, 0.2, Number.NaN], VARS)).toEqual({ castingDiameterMm: 1, coolingMethod: 'copper-mould', annealTempK: 500 });
  });

  it('surrogate features: scaled continuous values and a one-hot per category', () => {
    expect(processFeatureNames(VARS)).toEqual([
      'process:castingDiameterMm', 'process:coolingMethod=copper-mould', 'process:coolingMethod=suction', 'process:coolingMethod=water-quench', 'process:annealTempK',
    ]);
    expect(processFeatures({ castingDiameterMm: 5, coolingMethod: 'suction', annealTempK: 500 }, VARS)).toEqual([1, 0, 1, 0, 0]);
  });

  it('random values are legal, on the grid, reproducible per seed and cover the range', () => {
    const a = Array.from({ length: 200 }, ((rng) => () => randomProcess(VARS, rng))(new Random(7)));
    const b = Array.from({ length: 200 }, ((rng) => () => randomProcess(VARS, rng))(new Random(7)));
    expect(a).toEqual(b);
    for (const v of a) expect(checkProcessValues(v, VARS)).toEqual([]);
    expect(new Set(a.map((v) => v.castingDiameterMm)).size).toBe(9);
    expect(new Set(a.map((v) => v.coolingMethod)).size).toBe(3);
  });

  it('processKey fills defaults, so a missing value and its default are the same process', () => {
    expect(processKey({}, VARS)).toBe(processKey({ castingDiameterMm: 3, coolingMethod: 'copper-mould', annealTempK: 600 }, VARS));
    expect(processKey({ castingDiameterMm: 2 }, VARS)).not.toBe(processKey({}, VARS));
    expect(processKey({ anything: 1 }, [])).toBe('');
  });
});
