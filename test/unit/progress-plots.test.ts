import { describe, expect, it } from 'vitest';
import { PLOT_KINDS, plotSpec, renderPlot, type PlotData } from '../../src/services/progress/plots.js';

/** A campaign with nothing measured yet: every chart still renders (empty, with its axes). */
const empty: PlotData = {
  campaign: {
    id: 'c', name: 'empty', status: 'running', budget: 48, batchSize: 8, approvalRequired: false,
    objectives: { requireGlass: true, targets: [{ property: 'yieldStrengthMPa', threshold: 1800 }] }, startedAt: null, finishedAt: null,
  },
  bestSoFar: [
    { property: 'yieldStrengthMPa', threshold: 1800, best: null, bestSequence: null, seedBest: null, history: [] },
    { property: 'elongationPct', threshold: null, best: null, bestSequence: null, seedBest: null, history: [] },
  ],
  pareto: { reference: { yieldStrengthMPa: 1800, elongationPct: 0 }, points: [], front: [], hypervolume: 0, seedFront: [], seedHypervolume: 0 },
  success: { overall: { measured: 0, successes: 0, rate: null }, perBatch: [] },
  modelQuality: [],
  training: [],
};

describe('plots', () => {
  it('render every kind as SVG for a campaign without data', async () => {
    for (const kind of PLOT_KINDS) {
      const svg = await renderPlot(kind, empty, 'svg');
      expect(svg.startsWith('<svg'), kind).toBe(true);
    }
  });

  it('render PNG (magic bytes) and refuse unknown kinds', async () => {
    const png = await renderPlot('success-rate', empty, 'png');
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(() => plotSpec('pie' as never, empty)).toThrow(/unknown plot pie/);
  });

  it('put the targets and the hypervolume reference into the specs', () => {
    const pareto = JSON.stringify(plotSpec('pareto', { ...empty, pareto: { ...empty.pareto, hypervolume: 350 } }));
    expect(pareto).toContain('hypervolume beyond targets (1800 MPa, 0 %): 350.0 MPa');
    expect(JSON.stringify(plotSpec('best-so-far', empty))).toContain('target 1800');
  });
});
