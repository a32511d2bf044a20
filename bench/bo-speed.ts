/**
 * Time one `bo` recommendation (8 proposals) on the published data: every row of both CSVs as the
 * campaign's measurements (glass from cls_label, yield and elongation where measured), the 9-element
 * Zr space of issue 13, target glass with yield >= 1600 MPa and elongation >= 6 %. Not part of CI.
 *
 *   npx tsx bench/bo-speed.ts [--data ../shared/data/aimatdesign] [--repeats 3] [--pending] [--scarce]
 *
 * --pending: each repeat passes the previous repeat's proposals as pending experiments.
 * --scarce: only the published alloys of the space's elements with both properties measured that
 * miss the target (the scarce scenario's kind of seed data) instead of every row.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DesignSpace } from '../src/core/domain/design-space.js';
import type { MeasuredAlloy } from '../src/core/domain/measured-alloy.js';
import { DEFAULT_STRATEGY } from '../src/core/domain/strategy.js';
import { compositionDistance, formatFormula, normalize } from '../src/core/chemistry/composition.js';
import { isSuccess } from '../src/core/domain/success.js';
import { usesOnlyElements } from '../src/core/domain/composition-grid.js';
import type { Objectives } from '../src/repositories/entities/campaign.entity.js';
import { BoStrategy } from '../src/services/design/bo-strategy.js';
import { ELONGATION_COLUMN, numberOrNull, readPublishedCsv, rowComposition, YIELD_COLUMN } from './published-data.js';

export const ZR9_SPACE: DesignSpace = {
  elements: ['Zr', 'Cu', 'Ni', 'Al', 'Ag', 'Ti', 'Fe', 'Nb', 'Pd'],
  bounds: {
    Zr: { min: 40, max: 75 }, Cu: { min: 0, max: 35 }, Ni: { min: 0, max: 20 }, Al: { min: 0, max: 20 }, Ag: { min: 0, max: 10 },
    Ti: { min: 0, max: 15 }, Fe: { min: 0, max: 10 }, Nb: { min: 0, max: 10 }, Pd: { min: 0, max: 10 },
  },
  step: 0.5,
  minElements: 3,
  maxElements: 6,
  baseElement: 'Zr',
};

export const ZR9_OBJECTIVES: Objectives = {
  requireGlass: true,
  targets: [
    { property: 'yieldStrengthMPa', threshold: 1600, weight: 1 },
    { property: 'elongationPct', threshold: 6, weight: 1 },
  ],
};

/** Every row of both published CSVs as measured alloys. */
export function publishedAlloys(dir: string): MeasuredAlloy[] {
  const out: MeasuredAlloy[] = [];
  const grouped = readPublishedCsv(join(dir, 'ALL_data_grouped_processed.csv'));
  for (const r of grouped.rows) {
    const c = rowComposition(r, grouped.elements);
    const label = numberOrNull(r.cls_label);
    if (c) out.push({ composition: c, isGlass: label === null ? null : label === 1, yieldStrengthMPa: numberOrNull(r[YIELD_COLUMN]), elongationPct: numberOrNull(r[ELONGATION_COLUMN]) });
  }
  const cls = readPublishedCsv(join(dir, 'ALL_data_cls.csv'));
  for (const r of cls.rows) {
    const c = rowComposition(r, cls.elements);
    const label = numberOrNull(r.cls_label);
    if (c) out.push({ composition: c, isGlass: label === null ? null : label === 1, yieldStrengthMPa: null, elongationPct: null });
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2).filter((a) => a !== '--'), options: { data: { type: 'string' }, repeats: { type: 'string' }, pending: { type: 'boolean' }, scarce: { type: 'boolean' } } });
  const all = publishedAlloys(values.data ?? '../shared/data/aimatdesign');
  const measured = values.scarce
    ? all.filter((a) => usesOnlyElements(a.composition, ZR9_SPACE.elements) && a.yieldStrengthMPa !== null && a.elongationPct !== null && !isSuccess(a, ZR9_OBJECTIVES))
    : all;
  const repeats = Number(values.repeats ?? 3);
  const strategy = new BoStrategy();
  let pending: MeasuredAlloy['composition'][] = [];
  console.log(`bo on ${measured.length} published alloys${values.scarce ? ' (scarce: of the space, missing the target)' : ''}, 9-element Zr space, 8 proposals; ${repeats} repeats`);
  const seconds: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const started = performance.now();
    const outcome = await strategy.propose({
      campaignId: 'bo-speed',
      space: ZR9_SPACE,
      objectives: ZR9_OBJECTIVES,
      strategy: { ...DEFAULT_STRATEGY, method: 'bo' },
      measured,
      pending,
      count: 8,
      seed: 1000 + r,
      iteration: r + 1,
      previous: { featureNames: null, agentCheckpoint: null },
      progress: async () => undefined,
      log: (line) => console.log(`  ${line}`),
    });
    seconds.push((performance.now() - started) / 1000);
    console.log(`  run ${r + 1}: ${seconds.at(-1)!.toFixed(2)} s, stages ${JSON.stringify(outcome.summary.seconds)}`);
    for (const p of outcome.proposals) {
      const q = p.prediction!;
      const nearest = Math.min(...measured.map((a) => compositionDistance(normalize(a.composition), p.composition)));
      console.log(`    ${formatFormula(p.composition).padEnd(34)} nearest measured ${nearest.toFixed(1).padStart(5)} at.% (L1)  P(success) ${q.successProbability!.toFixed(3)}  pGlass ${q.pGlass.toFixed(2)}  yield ${q.yieldStrengthMPa.toFixed(0)} ± ${q.yieldStrengthStd.toFixed(0)}  elong ${q.elongationPct.toFixed(1)} ± ${q.elongationStd.toFixed(1)}`);
    }
    if (values.pending) pending = outcome.proposals.map((p) => p.composition);
  }
  const mean = seconds.reduce((a, b) => a + b, 0) / seconds.length;
  const sd = Math.sqrt(seconds.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, seconds.length - 1));
  console.log(`seconds per recommendation of 8: ${mean.toFixed(2)} ± ${sd.toFixed(2)} (n = ${seconds.length})`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
