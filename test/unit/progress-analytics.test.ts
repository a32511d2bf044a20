import { describe, expect, it } from 'vitest';
import {
  bestSoFar, estimateTimeToBudget, hypervolume2d, paretoFront, qualityMetrics, successRates, trainingPoints, type MeasuredExperiment,
} from '../../src/core/analytics/analytics.js';
import type { SuccessObjectives } from '../../src/core/domain/success.js';

const pts = [
  { id: 'A', x: 2000, y: 5 },
  { id: 'B', x: 1900, y: 12 },
  { id: 'C', x: 1850, y: 15 },
  { id: 'D', x: 1700, y: 20 },
  { id: 'E', x: 1800, y: 8 }, // dominated by B
  { id: 'F', x: 1900, y: 12 }, // duplicate of B
  { id: 'G', x: 1950, y: 3 }, // dominated by A
];

describe('Pareto front (maximise both)', () => {
  it('keeps the non-dominated points once, x descending', () => {
    expect(paretoFront(pts).map((p) => p.id)).toEqual(['A', 'B', 'C', 'D']);
    expect(paretoFront([])).toEqual([]);
    expect(paretoFront([{ x: 1, y: 1 }])).toEqual([{ x: 1, y: 1 }]);
    expect(paretoFront([{ x: 1, y: 1 }, { x: 1, y: 2 }, { x: 0, y: 2 }])).toEqual([{ x: 1, y: 2 }]);
  });
});

describe('2-D hypervolume', () => {
  it('against the targets counts only the part of the front beyond them', () => {
    // inside (1800, 10): B (1900,12) and C (1850,15): 100*2 + 50*3 = 350
    expect(hypervolume2d(paretoFront(pts), { x: 1800, y: 10 })).toBe(350);
    // the dominated points change nothing
    expect(hypervolume2d(pts, { x: 1800, y: 10 })).toBe(350);
  });
  it('against the origin is the staircase area', () => {
    // A 2000*5 + B 1900*7 + C 1850*3 + D 1700*5
    expect(hypervolume2d(pts, { x: 0, y: 0 })).toBe(10000 + 13300 + 5550 + 8500);
  });
  it('is zero when nothing dominates the reference', () => {
    expect(hypervolume2d(pts, { x: 2100, y: 0 })).toBe(0);
    expect(hypervolume2d([{ x: 1800, y: 30 }], { x: 1800, y: 10 })).toBe(0);
    expect(hypervolume2d([], { x: 0, y: 0 })).toBe(0);
  });
});

const objectives: SuccessObjectives = {
  requireGlass: true,
  targets: [
    { property: 'yieldStrengthMPa', threshold: 1800 },
    { property: 'elongationPct', threshold: 10 },
  ],
};
const rows: MeasuredExperiment[] = [
  { sequence: 1, batchNumber: 1, isGlass: true, yieldStrengthMPa: 1700, elongationPct: 12 },
  { sequence: 2, batchNumber: 1, isGlass: true, yieldStrengthMPa: 1850, elongationPct: 11 }, // success
  { sequence: 3, batchNumber: 1, isGlass: false, yieldStrengthMPa: 2100, elongationPct: 15 },
  { sequence: 4, batchNumber: 2, isGlass: true, yieldStrengthMPa: 1900, elongationPct: 10 }, // success
  { sequence: 5, batchNumber: 2, isGlass: true, yieldStrengthMPa: 1800, elongationPct: null },
];

describe('success rates and best so far', () => {
  it('overall and per batch', () => {
    const r = successRates(rows, objectives);
    expect(r.overall).toEqual({ measured: 5, successes: 2, rate: 0.4 });
    expect(r.perBatch).toEqual([
      { batchNumber: 1, measured: 3, successes: 1, rate: 1 / 3 },
      { batchNumber: 2, measured: 2, successes: 1, rate: 0.5 },
    ]);
    expect(successRates([], objectives).overall).toEqual({ measured: 0, successes: 0, rate: null });
  });

  it('running maximum by experiment number, glass formers only when glass is required', () => {
    expect(bestSoFar([...rows].reverse(), 'yieldStrengthMPa', true)).toEqual([
      { sequence: 1, value: 1700, best: 1700, improved: true },
      { sequence: 2, value: 1850, best: 1850, improved: true },
      { sequence: 3, value: null, best: 1850, improved: false }, // not a glass
      { sequence: 4, value: 1900, best: 1900, improved: true },
      { sequence: 5, value: 1800, best: 1900, improved: false },
    ]);
    expect(bestSoFar(rows, 'yieldStrengthMPa', false).map((p) => p.best)).toEqual([1700, 1850, 2100, 2100, 2100]);
    expect(bestSoFar(rows, 'elongationPct', true).map((p) => p.best)).toEqual([12, 12, 12, 12, 12]);
  });
});

describe('time to budget', () => {
  const start = new Date('2026-01-01T00:00:00Z');
  it('extrapolates the observed pace', () => {
    // 6 measured in 3 h = 2/h; 42 remaining of 48 = 21 h
    const now = new Date('2026-01-01T04:00:00Z');
    const e = estimateTimeToBudget({ budget: 48, measured: 6, start, lastMeasuredAt: new Date('2026-01-01T03:00:00Z'), now });
    expect(e).toMatchObject({ remaining: 42, perHour: 2, etaSeconds: 21 * 3600, etaAt: '2026-01-02T01:00:00.000Z' });
  });
  it('is unknown without results and zero when done', () => {
    const now = new Date('2026-01-01T04:00:00Z');
    expect(estimateTimeToBudget({ budget: 48, measured: 0, start, lastMeasuredAt: null, now })).toMatchObject({ perHour: null, etaSeconds: null });
    expect(estimateTimeToBudget({ budget: 4, measured: 5, start, lastMeasuredAt: now, now })).toMatchObject({ remaining: 0, etaSeconds: 0 });
  });
});

describe('model quality and training curves', () => {
  it('picks score metrics out of CV results', () => {
    const metrics = {
      classifier: { n: 100, mean: { accuracy: 0.9, rocAuc: 0.95, f1: 0.88 }, std: { accuracy: 0.02 } },
      yieldStrength: { n: 50, mean: { r2: 0.7, mae: 100, rmse: 120 }, perFold: [{ r2: 0.6 }] },
      elongation: { r2: 0.4 },
    };
    expect(qualityMetrics(metrics)).toEqual({
      'classifier.accuracy': 0.9, 'classifier.rocAuc': 0.95, 'classifier.f1': 0.88, 'yieldStrength.r2': 0.7, 'elongation.r2': 0.4,
    });
    expect(qualityMetrics(null)).toEqual({});
  });
  it('keeps curve points with an episode number, from the stored curve or a bare list', () => {
    const full = { episode: 3, envSteps: 64, meanReward: 0.5, meanQ: 1, qRewardCorrelation: 0.4, srLegal: 0.9, srCls: 0.5, sr80: [0.2, null], srDone: 0.1 };
    expect(trainingPoints({ points: [full, { meanReward: 2 }, 'x'], rates: {} })).toEqual([full]);
    expect(trainingPoints([{ episode: 2, qRewardCorrelation: 0.8 }])).toEqual([
      { episode: 2, envSteps: 0, meanReward: null, meanQ: null, qRewardCorrelation: 0.8, srLegal: null, srCls: null, sr80: [], srDone: null },
    ]);
    expect(trainingPoints(undefined)).toEqual([]);
  });
  it('reads the per-tenth curves of checkpoints written before the curve had points', () => {
    expect(trainingPoints({ rewardCurve: [0.1, 0.3], doneCurve: [0, 0.5] }).map((p) => [p.episode, p.meanReward, p.srDone])).toEqual([[1, 0.1, 0], [2, 0.3, 0.5]]);
  });
  it('picks the quality scores out of the strategy\'s flat CV metrics', () => {
    const metrics = { classifierRocAuc: 0.93, classifierAccuracy: 0.88, yieldR2: 0.61, yieldRmse: 140, elongationR2: 0.3, elongationRmse: 3, cvError: 0.4, folds: 3 };
    expect(qualityMetrics(metrics)).toEqual({ classifierRocAuc: 0.93, classifierAccuracy: 0.88, yieldR2: 0.61, elongationR2: 0.3 });
  });
});
