import { beforeAll, describe, expect, it } from 'vitest';
import { checkProcessValues, encodeProcess, type ProcessVariable } from '../../src/core/domain/process.js';
import type { DesignSpace } from '../../src/core/domain/design-space.js';
import type { MeasuredAlloy } from '../../src/core/domain/measured-alloy.js';
import { runDesignIteration } from '../../src/core/aimatdesign/design-iteration.js';
import { fitProcessCorrection, withProcessInputs } from '../../src/core/aimatdesign/process-surrogates.js';
import { RulesKnowledgeProvider } from '../../src/core/knowledge/rules-provider.js';
import { compositionPart, processOfState, roundStateToGrid, stateDim, toState } from '../../src/core/domain/state.js';
import { isLegal } from '../../src/core/domain/design-space.js';
import { toFractions } from '../../src/core/domain/composition-grid.js';
import { VirtualLab } from '../../src/core/rl/environment.js';
import { setupTf } from '../../src/core/rl/tf.js';
import { TrustworthyExperiencePool } from '../../src/core/tep/trustworthy-experience-pool.js';
import { Random } from '../../src/core/util/random.js';
import { GeneticStrategy } from '../../src/services/design/genetic-strategy.js';
import { RandomStrategy } from '../../src/services/design/random-strategy.js';
import { designContext, TINY_DESIGN_CONFIG, TOY_SPACE, toySurrogates } from './design-helpers.js';

const PROCESS: ProcessVariable[] = [
  { name: 'castingDiameterMm', kind: 'continuous', min: 1, max: 5, step: 0.5, unit: 'mm' },
  { name: 'coolingMethod', kind: 'categorical', values: ['copper-mould', 'suction', 'water-quench'] },
];
const SPACE: DesignSpace = { ...TOY_SPACE, process: PROCESS };
const objectives = [{ property: 'yieldStrengthMPa' as const, direction: 'atLeast' as const, threshold: 1800, weight: 1 }];
const measured: MeasuredAlloy[] = [
  { composition: { Zr: 50, Cu: 30, Al: 10, Ni: 10 }, isGlass: true, yieldStrengthMPa: 1500, elongationPct: 2 },
  { composition: { Zr: 55, Cu: 30, Al: 10, Ni: 5 }, isGlass: true, yieldStrengthMPa: 1600, elongationPct: 2, process: { castingDiameterMm: 2, coolingMethod: 'suction' } },
  { composition: { Zr: 60, Cu: 25, Al: 15 }, isGlass: false, yieldStrengthMPa: null, elongationPct: null },
];

beforeAll(async () => {
  await setupTf();
});

describe('agent state and action with process variables', () => {
  it('a state is the fractions, then one entry per process variable; without process variables it is the fractions alone', () => {
    expect(stateDim(SPACE)).toBe(6);
    expect(stateDim(TOY_SPACE)).toBe(4);
    const x = toFractions({ Zr: 50, Cu: 30, Al: 10, Ni: 10 }, SPACE.elements);
    const s = toState(x, SPACE, { castingDiameterMm: 2, coolingMethod: 'water-quench' });
    expect(Array.from(s)).toEqual([...x, 0.25, 1]);
    expect(Array.from(compositionPart(s, SPACE))).toEqual(Array.from(x));
    expect(isLegal(s, SPACE)).toBe(true);
    // Missing values read as the defaults (midpoint 3 mm, the first cooling method).
    expect(processOfState(toState(x, SPACE), SPACE)).toEqual({ castingDiameterMm: 3, coolingMethod: 'copper-mould' });
    expect(toState(x, TOY_SPACE, { castingDiameterMm: 2 })).toBe(x);
    // Rounding a state: the composition to its grid, the process values to theirs.
    const off = Float64Array.from([0.5012, 0.2988, 0.1, 0.1, 0.3, 0.6]);
    expect(processOfState(roundStateToGrid(off, SPACE), SPACE)).toEqual({ castingDiameterMm: 2, coolingMethod: 'suction' });
    expect(Array.from(roundStateToGrid(off, SPACE)).slice(4)).toEqual(encodeProcess({ castingDiameterMm: 2, coolingMethod: 'suction' }, PROCESS));
  });

  it('the environment moves process entries by the actor output times the step, clamped to [0, 1], and measured starts carry their process', async () => {
    const starts = measured.slice(0, 2).map((a) => toState(toFractions(a.composition, SPACE.elements), SPACE, a.process));
    const lab = new VirtualLab({ space: SPACE, objectives, surrogates: toySurrogates(), rng: new Random(3), measuredStarts: starts, config: { numEnvs: 8, measuredStartProb: 1, actionStep: 0.05 } });
    expect(lab.dim).toBe(6);
    const states = lab.reset();
    for (const s of states) {
      expect(s.length).toBe(6);
      expect(starts.some((x) => x.every((v, k) => v === s[k]))).toBe(true);
    }
    const u = states.map(() => Float64Array.from([0, 0, 0, 0, 1, -1]));
    const res = await lab.step(u);
    res.nextStates.forEach((next, i) => {
      const s = res.states[i];
      expect(next[4]).toBeCloseTo(Math.min(1, s[4] + 0.05), 12);
      expect(next[5]).toBeCloseTo(Math.max(0, s[5] - 0.05), 12);
      // The stored action is the effective move over the step (the clamp shows in it).
      expect(res.actions[i][5]).toBeCloseTo((next[5] - s[5]) / 0.05, 9);
      // A zero composition action leaves the composition as it was.
      expect(Array.from(compositionPart(next, SPACE))).toEqual(Array.from(compositionPart(s, SPACE)));
    });
  });

  it('random starts draw the process; a lab without process variables draws nothing extra (same starts as before)', () => {
    const a = new VirtualLab({ space: TOY_SPACE, objectives, surrogates: toySurrogates(), rng: new Random(5), config: { numEnvs: 16 } }).reset();
    const b = new VirtualLab({ space: SPACE, objectives, surrogates: toySurrogates(), rng: new Random(5), config: { numEnvs: 16 } }).reset();
    expect(a[0].length).toBe(4);
    expect(b[0].length).toBe(6);
    expect(Array.from(compositionPart(b[0], SPACE))).toEqual(Array.from(a[0]));
    expect(new Set(b.map((s) => processOfState(s, SPACE).coolingMethod)).size).toBeGreaterThan(1);
  });

  it('the TEP stores measured alloys as states with their process', () => {
    const tep = new TrustworthyExperiencePool({ space: SPACE, objectives, surrogates: toySurrogates(), config: { actionStep: 0.5 } });
    expect(tep.addAll(measured.slice(0, 2))).toBe(2);
    for (const t of tep.transitions) {
      expect(t.state.length).toBe(6);
      expect(t.action.length).toBe(6);
    }
  });
});

describe('surrogates with process inputs', () => {
  // The lab: composition alone says P(glass) 0.5 and yield 1500; suction casting makes glass, and each mm of diameter adds 50 MPa.
  const flat = {
    predictFractions(states: readonly Float64Array[]) {
      const n = states.length;
      for (const s of states) expect(s.length).toBe(4); // the composition surrogates see compositions only
      return { pGlass: new Float64Array(n).fill(0.5), yieldMean: new Float64Array(n).fill(1500), yieldStd: new Float64Array(n).fill(50), elongationMean: new Float64Array(n).fill(2), elongationStd: new Float64Array(n).fill(1) };
    },
  };
  const rng = new Random(4);
  const lab: MeasuredAlloy[] = Array.from({ length: 60 }, (_, i) => {
    const cooling = PROCESS[1].kind === 'categorical' ? PROCESS[1].values[i % 3] : '';
    const d = 1 + 0.5 * (i % 9);
    return {
      composition: { Zr: 50 + (i % 5), Cu: 30 - (i % 5), Al: 10, Ni: 10 },
      isGlass: cooling === 'suction' ? true : rng.next() < 0.3,
      yieldStrengthMPa: 1500 + 50 * (d - 3) + rng.normal(0, 5),
      elongationPct: 2,
      process: { castingDiameterMm: d, coolingMethod: cooling },
    };
  });
  const x = toFractions({ Zr: 52, Cu: 28, Al: 10, Ni: 10 }, SPACE.elements);

  it('learn from the lab how the process moves glass formation and properties', () => {
    const s = withProcessInputs(flat, SPACE, fitProcessCorrection(flat, lab, SPACE));
    const p = s.predictFractions([
      toState(x, SPACE, { castingDiameterMm: 3, coolingMethod: 'suction' }),
      toState(x, SPACE, { castingDiameterMm: 3, coolingMethod: 'copper-mould' }),
      toState(x, SPACE, { castingDiameterMm: 5, coolingMethod: 'copper-mould' }),
    ]);
    expect(p.pGlass[0]).toBeGreaterThan(0.8);
    expect(p.pGlass[1]).toBeLessThan(0.5);
    expect(p.yieldMean[2] - p.yieldMean[1]).toBeGreaterThan(80); // 2 mm more: about +100 MPa, shrunk a little by the ridge
    expect(p.yieldMean[2] - p.yieldMean[1]).toBeLessThan(110);
  });

  it('with every row at the defaults (seed data without process values) the correction is zero', () => {
    const seed = lab.map((a) => ({ ...a, process: undefined }));
    const s = withProcessInputs(flat, SPACE, fitProcessCorrection(flat, seed, SPACE));
    const p = s.predictFractions([toState(x, SPACE, { castingDiameterMm: 1, coolingMethod: 'water-quench' })]);
    expect(p.pGlass[0]).toBeCloseTo(0.5, 12);
    expect(p.yieldMean[0]).toBeCloseTo(1500, 9);
  });
});

describe('strategies propose process values', () => {
  const ctx = (method: 'random' | 'genetic', space: DesignSpace) =>
    designContext({ method, space, objectives: { requireGlass: true, targets: objectives }, measured, pending: [], count: 6, seed: 12 });

  it('random and genetic: legal values on the grid, reproducible; none without process variables', async () => {
    for (const strategy of [new RandomStrategy(), new GeneticStrategy()]) {
      const a = await strategy.propose(ctx(strategy.name as 'random', SPACE));
      const b = await strategy.propose(ctx(strategy.name as 'random', SPACE));
      expect(a.proposals.length).toBe(6);
      expect(a.proposals).toEqual(b.proposals);
      for (const p of a.proposals) {
        expect(Object.keys(p.process!).sort()).toEqual(['castingDiameterMm', 'coolingMethod']);
        expect(checkProcessValues(p.process!, PROCESS)).toEqual([]);
      }
      const plain = await strategy.propose(ctx(strategy.name as 'random', TOY_SPACE));
      for (const p of plain.proposals) expect(p.process).toBeUndefined();
    }
  });

  it('aimatdesign: a design iteration trains on states with the process and proposes compositions with process values (seeded)', async () => {
    const run = () =>
      runDesignIteration({
        space: SPACE,
        objectives,
        measured,
        surrogates: withProcessInputs(toySurrogates(), SPACE, fitProcessCorrection(toySurrogates(), measured, SPACE)),
        knowledge: new RulesKnowledgeProvider(),
        seed: 9,
        config: TINY_DESIGN_CONFIG,
      });
    const a = await run();
    const b = await run();
    expect(a.checkpoint.stateDim).toBe(6);
    expect(a.proposals.length).toBe(4);
    expect(a.proposals.map((p) => [p.composition, p.process])).toEqual(b.proposals.map((p) => [p.composition, p.process]));
    for (const p of a.proposals) expect(checkProcessValues(p.process!, PROCESS)).toEqual([]);
  });
});
