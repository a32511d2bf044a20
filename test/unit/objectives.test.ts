import { describe, expect, it } from 'vitest';
import { hypervolume2d, hypervolumeNd, objectiveFront, paretoFrontNd } from '../../src/core/analytics/analytics.js';
import {
  acceptedProperties, designTargets, measuredProperties, meetsTarget, normaliseObjectives, reportedPropertyProblems, objectiveProblems, probabilityMet, propertyValue, targetImprovement, targetRatio,
  type ObjectiveTarget,
} from '../../src/core/domain/objectives.js';
import { isSuccess, missedObjectives, successScore } from '../../src/core/domain/success.js';
import { computeReward } from '../../src/core/rl/reward.js';

const at = (property: string, direction: ObjectiveTarget['direction'], rest: Partial<ObjectiveTarget> = {}): ObjectiveTarget => ({ property, direction, weight: 1, ...rest });

describe('objectives for any measured property', () => {
  it('reads the old form as "at least" with weight 1, and validates the new one with reasons', () => {
    expect(normaliseObjectives({ requireGlass: true, targets: [{ property: 'yieldStrengthMPa', threshold: 1800 }] })).toEqual({
      requireGlass: true,
      targets: [{ property: 'yieldStrengthMPa', direction: 'atLeast', threshold: 1800, weight: 1 }],
    });
    expect(objectiveProblems(normaliseObjectives({ requireGlass: false, targets: [{ property: 'dmaxMm', direction: 'maximise' }, { property: 'tlK', direction: 'minimise', weight: 2 }] }))).toEqual([]);
    const bad = objectiveProblems({
      requireGlass: true,
      targets: [at('tgK', 'atMost'), at('modulusGPa', 'within', { min: 100, max: 80 }), at('9lives', 'maximise'), at('dmaxMm', 'sideways' as never), at('isGlass', 'maximise')],
    });
    expect(bad).toEqual([
      'targets[0]: direction atMost needs a finite threshold',
      'targets[1]: min 100 exceeds max 80',
      'targets[2].property must be a property name such as yieldStrengthMPa or dmaxMm (letters, digits, _), got "9lives"',
      expect.stringContaining('targets[3].direction must be one of maximise, minimise, atLeast, atMost, within'),
      'targets[4].property "isGlass" is not a measured property',
    ]);
    expect(objectiveProblems({ requireGlass: true, targets: [at('tgK', 'maximise'), at('tgK', 'minimise')] })).toContain('each objective property may appear once');
    // known properties keep their physical ranges; a free name may be negative
    expect(objectiveProblems({ requireGlass: true, targets: [at('elongationPct', 'atLeast', { threshold: -5 }), at('chargeMC', 'atMost', { threshold: -2 })] })).toEqual([
      'targets[0].threshold -5 is outside 0-100 %',
    ]);
  });

  it('meets, scores and predicts each direction; ΔTx is Tx - Tg when not reported', () => {
    const m = { isGlass: true, yieldStrengthMPa: 1700, elongationPct: null, extra: { dmaxMm: 12, tgK: 680, txK: 760, tlK: 1150, modulusGPa: 90 } };
    expect(propertyValue(m, 'deltaTxK')).toBe(80);
    expect(propertyValue(m, 'elongationPct')).toBeNull();
    const objectives = {
      requireGlass: true,
      targets: [at('dmaxMm', 'atLeast', { threshold: 10 }), at('tlK', 'atMost', { threshold: 1200 }), at('modulusGPa', 'within', { min: 80, max: 100 }), at('deltaTxK', 'maximise')],
    };
    expect(isSuccess(m, objectives)).toBe(true);
    expect(isSuccess({ ...m, extra: { ...m.extra, tlK: 1250 } }, objectives)).toBe(false);
    expect(missedObjectives({ ...m, extra: { ...m.extra, tlK: 1250, modulusGPa: 120 } }, objectives)).toEqual(['tlK 1250 > 1200', 'modulusGPa 120 misses modulusGPa in [80, 100] GPa']);
    expect(successScore(m, objectives)).toBeCloseTo(1, 12); // within: 1; maximise without bound: 1; others above 1
    expect(targetRatio(at('tlK', 'atMost', { threshold: 1200 }), 1500)).toBeCloseTo(0.8, 12);
    expect(meetsTarget(at('tlK', 'minimise'), 2000)).toBe(true); // no bound: any measured value
    expect(meetsTarget(at('tlK', 'minimise'), null)).toBe(false);
    // P(80 <= N(90, 10^2) <= 100) = 2 Phi(1) - 1
    expect(probabilityMet(at('modulusGPa', 'within', { min: 80, max: 100 }), 90, 10)).toBeCloseTo(0.682689, 5);
    expect(probabilityMet(at('tlK', 'atMost', { threshold: 1100 }), 1100, 25)).toBeCloseTo(0.5, 8);
    expect(targetImprovement(at('tlK', 'minimise', { threshold: 1000 }), 1200, 1100)).toBeCloseTo(100 / 1200, 12);
  });

  it('unbounded maximise / minimise get the best measured value as the design bound', () => {
    const objectives = { requireGlass: true, targets: [at('dmaxMm', 'maximise'), at('tlK', 'minimise'), at('yieldStrengthMPa', 'atLeast', { threshold: 1500 })] };
    const measured = [
      { isGlass: true, yieldStrengthMPa: 1600, elongationPct: 1, extra: { dmaxMm: 5, tlK: 1100 } },
      { isGlass: false, yieldStrengthMPa: 1600, elongationPct: 1, extra: { dmaxMm: 50, tlK: 900 } }, // not a glass: does not count
      { isGlass: true, yieldStrengthMPa: 1600, elongationPct: 1, extra: { dmaxMm: 8, tlK: 1150 } },
    ];
    expect(designTargets(objectives, measured).map((t) => t.threshold)).toEqual([8, 1100, 1500]);
  });

  it('the reward follows directions: at most rewards going down, and an unmodelled property adds nothing', () => {
    const objectives = [at('tlK', 'atMost', { threshold: 1100 }), at('dmaxMm', 'atLeast', { threshold: 5 })];
    const p = (tl: number) => ({ pGlass: 0.9, yieldMean: 1500, yieldStd: 0, elongationMean: 2, elongationStd: 0, others: { tlK: { mean: tl, std: 10 } } });
    const down = computeReward(true, 3, p(1200), p(1050), objectives);
    const up = computeReward(true, 3, p(1050), p(1200), objectives);
    expect(down.metTargets).toEqual([true, true]);
    expect(down.reward).toBeCloseTo(0.4 + 0.2 + 0.1 * Math.tanh(150 / 1200), 12);
    expect(up.reward).toBeCloseTo(0.4 + 0.1 * Math.tanh(-150 / 1100), 12);
    expect(up.metTargets).toEqual([false, true]);
  });

  it('Pareto front and hypervolume over any number of objectives', () => {
    const pts = [[3, 1], [1, 3], [2, 2], [1, 1], [2, 2]];
    expect(paretoFrontNd(pts)).toEqual([0, 1, 2]);
    expect(hypervolumeNd(pts, [0, 0])).toBe(hypervolume2d(pts.map(([x, y]) => ({ x, y })), { x: 0, y: 0 }));
    // two boxes [0,2]^3 and [0,1]x[0,1]x[0,3]: 8 + 1 (the part above z = 2)
    expect(hypervolumeNd([[2, 2, 2], [1, 1, 3]], [0, 0, 0])).toBeCloseTo(9, 12);
    const rows = [
      { isGlass: true, yieldStrengthMPa: null, elongationPct: null, extra: { dmaxMm: 10, tlK: 1100 } },
      { isGlass: true, yieldStrengthMPa: null, elongationPct: null, extra: { dmaxMm: 5, tlK: 1000 } },
      { isGlass: true, yieldStrengthMPa: null, elongationPct: null, extra: { dmaxMm: 4, tlK: 1050 } }, // dominated
      { isGlass: false, yieldStrengthMPa: null, elongationPct: null, extra: { dmaxMm: 50, tlK: 800 } }, // not a glass
    ];
    const front = objectiveFront(rows, { requireGlass: true, targets: [at('dmaxMm', 'atLeast', { threshold: 2 }), at('tlK', 'atMost', { threshold: 1200 })] })!;
    expect(front.points).toHaveLength(3);
    expect(front.front.map((p) => p.values)).toEqual([[10, 1100], [5, 1000]]);
    expect(front.reference).toEqual([2, 1200]);
    // oriented (Dmax, -Tl) above (2, -1200): [2,10]x[-1200,-1100] = 800, plus [2,5]x[-1100,-1000] = 300
    expect(front.hypervolume).toBeCloseTo(1100, 9);
  });

  it('a result takes the known further properties and the free names the objectives name, finite and in range', () => {
    const objectives = normaliseObjectives({ requireGlass: true, targets: [at('hardnessHV', 'atLeast', { threshold: 500 }), at('yieldStrengthMPa', 'atLeast', { threshold: 1500 })] });
    expect(acceptedProperties(objectives)).toEqual(['dmaxMm', 'tgK', 'txK', 'tlK', 'deltaTxK', 'modulusGPa', 'hardnessHV']);
    expect(reportedPropertyProblems({ dmaxMm: 8, hardnessHV: 612, tlK: null }, objectives)).toEqual([]);
    expect(reportedPropertyProblems({ vickers: 1, elongationPct: 2, tgK: -1, txK: Infinity, modulusGPa: '90' }, objectives)).toEqual([
      'property vickers is not a property of this campaign (it takes dmaxMm, tgK, txK, tlK, deltaTxK, modulusGPa, hardnessHV)',
      'property elongationPct has its own field',
      'property tgK -1 is outside 0-5000 K',
      'property txK must be a finite number or null, got Infinity',
      'property modulusGPa must be a finite number or null, got "90"',
    ]);
    expect(reportedPropertyProblems(Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`p${i}`, null])), objectives)[0]).toBe('at most 32 properties, got 33');
    // What a measurement's extra keeps: the measured values only.
    expect(measuredProperties({ dmaxMm: 8, tlK: null, txK: Number.NaN })).toEqual({ dmaxMm: 8 });
  });
});

