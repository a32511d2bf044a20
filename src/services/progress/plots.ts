/**
 * Server-side charts of a campaign's progress: Vega-Lite specs built from a ProgressReport
 * (GET /api/v1/campaigns/{id}/progress), rendered headless by Vega to SVG and by resvg to PNG.
 * No NestJS here: the demo and reports can call renderPlot directly.
 */
import { MEASURED_PROPERTIES } from '../../core/domain/objectives.js';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { ProgressReport } from './progress.types.js';

export const PLOT_KINDS = ['best-so-far', 'pareto', 'success-rate', 'model-quality', 'training'] as const;
export type PlotKind = (typeof PLOT_KINDS)[number];
export const PLOT_FORMATS = ['svg', 'png'] as const;
export type PlotFormat = (typeof PLOT_FORMATS)[number];

/** The parts of a progress report the charts read. */
export type PlotData = Pick<ProgressReport, 'campaign' | 'bestSoFar' | 'pareto' | 'success' | 'modelQuality' | 'training'>;

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const BLUE = '#2563eb';
const GREEN = '#16a34a';
const RED = '#dc2626';
const GREY = '#94a3b8';
const LABELS: Record<string, string> = {
  ...Object.fromEntries(Object.entries(MEASURED_PROPERTIES).map(([name, p]) => [name, `${p.label[0].toUpperCase()}${p.label.slice(1)} (${p.unit})`])),
  yieldStrengthMPa: 'Yield strength (MPa)',
  elongationPct: 'Elongation (%)',
};

const config = {
  font: FONT,
  background: 'white',
  padding: 12,
  view: { stroke: '#e2e8f0' },
  axis: { labelColor: '#334155', titleColor: '#0f172a', gridColor: '#eef2f7', domainColor: '#94a3b8', tickColor: '#94a3b8', labelFontSize: 11, titleFontSize: 12 },
  legend: { labelColor: '#334155', titleColor: '#0f172a', labelFontSize: 11, titleFontSize: 11 },
  title: { color: '#0f172a', fontSize: 14, fontWeight: 600 as const, anchor: 'start' as const, subtitleColor: '#64748b', subtitleFontSize: 11 },
};

const fmt = (v: number | null | undefined, digits = 0) => (v === null || v === undefined ? 'n/a' : v.toFixed(digits));

function bestSoFarSpec(d: PlotData): TopLevelSpec {
  const panels = d.bestSoFar.map((b) => {
    const values = b.history.map((h) => ({ sequence: h.sequence, value: h.value, best: h.best, improved: h.improved }));
    const rules = [
      ...(b.threshold !== null ? [{ y: b.threshold, label: `target ${b.threshold}`, kind: 'target' }] : []),
      ...(b.seedBest !== null ? [{ y: b.seedBest, label: `best seed ${fmt(b.seedBest, 1)}`, kind: 'seed' }] : []),
    ];
    return {
      width: 520,
      height: 170,
      title: { text: LABELS[b.property] ?? b.property, subtitle: `best so far ${fmt(b.best, 1)}${b.bestSequence !== null ? ` (experiment #${b.bestSequence})` : ''}` },
      layer: [
        {
          data: { values },
          mark: { type: 'point' as const, filled: true, size: 36, color: GREY, opacity: 0.8 },
          encoding: {
            x: { field: 'sequence', type: 'quantitative' as const, title: 'Experiment #', axis: { tickMinStep: 1, format: 'd' }, scale: { zero: false, padding: 10 } },
            y: { field: 'value', type: 'quantitative' as const, title: LABELS[b.property] ?? b.property, scale: { zero: false, padding: 10 } },
          },
        },
        {
          data: { values },
          mark: { type: 'line' as const, interpolate: 'step-after' as const, color: BLUE, strokeWidth: 2.5 },
          encoding: { x: { field: 'sequence', type: 'quantitative' as const }, y: { field: 'best', type: 'quantitative' as const } },
        },
        {
          data: { values: rules },
          mark: { type: 'rule' as const, strokeDash: [6, 4], strokeWidth: 1.5 },
          encoding: {
            y: { field: 'y', type: 'quantitative' as const },
            color: { field: 'kind', type: 'nominal' as const, scale: { domain: ['target', 'seed'], range: [RED, GREY] }, legend: null },
          },
        },
        ...(['target', 'seed'] as const).map((kind) => ({
          data: { values: rules.filter((r) => r.kind === kind) },
          mark: { type: 'text' as const, dy: -6, fontSize: 10, align: kind === 'target' ? ('left' as const) : ('right' as const), color: kind === 'target' ? RED : GREY },
          encoding: { y: { field: 'y', type: 'quantitative' as const }, x: { value: kind === 'target' ? 4 : 516 }, text: { field: 'label' } },
        })),
      ],
    };
  });
  return { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config, title: 'Best so far by experiment', vconcat: panels } as TopLevelSpec;
}

function paretoSpec(d: PlotData): TopLevelSpec {
  const p = d.pareto;
  const onFront = new Set(p.front.map((f) => f.measurementId));
  const points = [
    ...p.seedFront.map((f) => ({ ...f, group: 'seed Pareto front' })),
    ...p.points.map((f) => ({ ...f, group: onFront.has(f.measurementId) ? 'campaign Pareto front' : 'campaign glass formers' })),
  ];
  const line = (group: string, front: typeof p.front) => front.map((f, i) => ({ ...f, group, order: i }));
  const domain = ['campaign Pareto front', 'campaign glass formers', 'seed Pareto front'];
  const range = [BLUE, '#93c5fd', GREY];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config,
    width: 520,
    height: 340,
    title: {
      text: 'Pareto front: yield strength vs elongation (glass formers)',
      subtitle: `hypervolume beyond targets (${p.reference.yieldStrengthMPa} MPa, ${p.reference.elongationPct} %): ${fmt(p.hypervolume, 1)} MPa·%   (seed: ${fmt(p.seedHypervolume, 1)})`,
    },
    layer: [
      {
        data: { values: [{ x: p.reference.yieldStrengthMPa, y: p.reference.elongationPct }] },
        mark: { type: 'rule', color: RED, strokeDash: [6, 4] },
        encoding: { x: { field: 'x', type: 'quantitative' } },
      },
      {
        data: { values: [{ x: p.reference.yieldStrengthMPa, y: p.reference.elongationPct }] },
        mark: { type: 'rule', color: RED, strokeDash: [6, 4] },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values: [...line('seed Pareto front', p.seedFront), ...line('campaign Pareto front', p.front)] },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2, opacity: 0.9 },
        encoding: {
          x: { field: 'yieldStrengthMPa', type: 'quantitative' },
          y: { field: 'elongationPct', type: 'quantitative' },
          order: { field: 'order' },
          color: { field: 'group', type: 'nominal', scale: { domain, range } },
          detail: { field: 'group' },
        },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 60, opacity: 0.95, stroke: 'white', strokeWidth: 0.8 },
        encoding: {
          x: { field: 'yieldStrengthMPa', type: 'quantitative', title: 'Yield strength (MPa)', scale: { zero: false, padding: 16 } },
          y: { field: 'elongationPct', type: 'quantitative', title: 'Elongation (%)', scale: { domainMin: 0 } },
          color: { field: 'group', type: 'nominal', title: null, scale: { domain, range }, legend: { orient: 'bottom', labelLimit: 260 } },
          tooltip: [{ field: 'formula' }, { field: 'sequence' }, { field: 'yieldStrengthMPa' }, { field: 'elongationPct' }],
        },
      },
    ],
  } as TopLevelSpec;
}

function successRateSpec(d: PlotData): TopLevelSpec {
  const values = d.success.perBatch.map((b) => ({ batch: b.batchNumber, rate: b.rate ?? 0, label: `${b.successes}/${b.measured}` }));
  const overall = d.success.overall;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config,
    width: 520,
    height: 260,
    title: { text: 'Success rate per batch', subtitle: `overall ${overall.rate === null ? 'n/a' : `${(overall.rate * 100).toFixed(1)} %`} (${overall.successes} of ${overall.measured} measured alloys meet every objective)` },
    layer: [
      {
        data: { values },
        mark: { type: 'bar', color: GREEN, cornerRadiusTopLeft: 3, cornerRadiusTopRight: 3, width: { band: 0.6 } },
        encoding: {
          x: { field: 'batch', type: 'ordinal', title: 'Batch', axis: { labelAngle: 0 } },
          y: { field: 'rate', type: 'quantitative', title: 'Success rate', scale: { domain: [0, 1] }, axis: { format: '.0%' } },
        },
      },
      {
        data: { values },
        mark: { type: 'text', dy: -7, fontSize: 10, color: '#334155' },
        encoding: { x: { field: 'batch', type: 'ordinal' }, y: { field: 'rate', type: 'quantitative' }, text: { field: 'label' } },
      },
      {
        data: { values: overall.rate === null ? [] : [{ rate: overall.rate }] },
        mark: { type: 'rule', color: BLUE, strokeDash: [6, 4], strokeWidth: 1.5 },
        encoding: { y: { field: 'rate', type: 'quantitative' } },
      },
    ],
  } as TopLevelSpec;
}

function modelQualitySpec(d: PlotData): TopLevelSpec {
  const values = d.modelQuality.flatMap((m) =>
    Object.entries(m.quality).map(([metric, value]) => ({ version: `${m.kind} v${m.version}`, createdAt: m.createdAt, metric, value, trigger: m.trigger })),
  );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config,
    width: 520,
    height: 260,
    title: { text: 'Surrogate quality per model version', subtitle: `cross-validated scores of ${d.modelQuality.length} model version(s)` },
    data: { values },
    mark: { type: 'line', point: { filled: true, size: 40 }, strokeWidth: 2 },
    encoding: {
      x: { field: 'createdAt', type: 'temporal', title: 'Trained at', axis: { format: '%d %b %H:%M', labelAngle: 0, tickCount: 6 } },
      y: { field: 'value', type: 'quantitative', title: 'CV score', scale: { domain: [0, 1], clamp: true } },
      color: { field: 'metric', type: 'nominal', title: 'metric', scale: { scheme: 'tableau10' }, legend: { orient: 'bottom', columns: 3, labelLimit: 220 } },
      tooltip: [{ field: 'version' }, { field: 'metric' }, { field: 'value', format: '.3f' }, { field: 'trigger' }],
    },
  } as TopLevelSpec;
}

function trainingSpec(d: PlotData): TopLevelSpec {
  const series = ['meanReward', 'meanQ', 'qRewardCorrelation', 'srDone'] as const;
  const values = d.training.flatMap((k) =>
    k.points.flatMap((p) =>
      series.filter((s) => p[s] !== null).map((s) => ({ iteration: `iteration ${k.iteration}`, episode: p.episode, series: s, value: p[s] })),
    ),
  );
  const titles: Record<(typeof series)[number], string> = { meanReward: 'Mean reward', meanQ: 'Mean Q-value', qRewardCorrelation: 'Q / reward corr.', srDone: 'SR_done' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config,
    title: { text: 'Agent training curves', subtitle: `${d.training.length} checkpoint(s), ${values.length} recorded values` },
    vconcat: series.map((s) => ({
      width: 520,
      height: 70,
      data: { values: values.filter((v) => v.series === s) },
      mark: { type: 'line', point: { size: 12 }, strokeWidth: 1.8 },
      encoding: {
        x: { field: 'episode', type: 'quantitative', title: 'Episode' },
        y: { field: 'value', type: 'quantitative', title: titles[s], scale: { zero: false } },
        color: { field: 'iteration', type: 'nominal', title: null, scale: { scheme: 'tableau10' }, legend: { orient: 'top' } },
      },
    })),
  } as TopLevelSpec;
}

/** The Vega-Lite spec of one chart. */
export function plotSpec(kind: PlotKind, data: PlotData): TopLevelSpec {
  switch (kind) {
    case 'best-so-far':
      return bestSoFarSpec(data);
    case 'pareto':
      return paretoSpec(data);
    case 'success-rate':
      return successRateSpec(data);
    case 'model-quality':
      return modelQualitySpec(data);
    case 'training':
      return trainingSpec(data);
    default:
      throw new RangeError(`unknown plot ${String(kind)}: one of ${PLOT_KINDS.join(', ')}`);
  }
}

export async function plotSvg(kind: PlotKind, data: PlotData): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(plotSpec(kind, data)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Render a chart: SVG text, or PNG bytes (2x scale) through resvg. */
export async function renderPlot(kind: PlotKind, data: PlotData, format: 'svg'): Promise<string>;
export async function renderPlot(kind: PlotKind, data: PlotData, format: 'png'): Promise<Buffer>;
export async function renderPlot(kind: PlotKind, data: PlotData, format: PlotFormat): Promise<string | Buffer>;
export async function renderPlot(kind: PlotKind, data: PlotData, format: PlotFormat): Promise<string | Buffer> {
  const svg = await plotSvg(kind, data);
  if (format === 'svg') return svg;
  const png = new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
  return Buffer.from(png);
}
