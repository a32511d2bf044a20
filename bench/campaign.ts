/**
 * Closed-loop benchmark (issue 6): the same simulated lab as `npm run demo` (the ground-truth
 * oracle of simulators/oracle.ts with its measurement noise, compositions made with the virtual
 * instruments' small deviations, seed data sampled from the oracle), several seeds, comparing
 * design strategies from the service's registry (src/design/strategies.ts) at equal experiment
 * budgets.
 *
 *   npm run bench:campaign [-- --seeds 3 --budget 96 --batch 8 --short --strategies aimatdesign,random,genetic]
 *
 * The strategies are driven directly against the oracle, batch after batch (strategy.propose ->
 * oracle.measure -> add to the measured set), instead of over MQTT: the same lab model, much
 * faster; `npm run demo` is the end-to-end path.
 *
 * Per strategy and seed: success rate of the measured experiments (glass formed, yield >=
 * threshold, elongation >= threshold in the oracle's measurement), experiments to the first
 * success, best yield and elongation among glass formers, the hypervolume beyond the targets and
 * the best min-normalised score (min over targets of value/threshold; >= 1 meets every target),
 * wall time per proposal batch. Then mean ± standard deviation over seeds and the target line
 * "AIMatDesign success rate / random success rate".
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig, type AppConfig } from '../src/config/config.js';
import type { Composition, MeasuredAlloy } from '../src/core/chemistry/types.js';
import { hypervolume2d } from '../src/core/campaign/analytics.js';
import { withStrategyDefaults, type StrategySettings } from '../src/core/campaign/strategy.js';
import { isSuccess } from '../src/core/campaign/success.js';
import { hashString, Random } from '../src/core/util/random.js';
import type { Objectives } from '../src/campaigns/campaign.entity.js';
import { fitness } from '../src/design/genetic-strategy.js';
import { STRATEGIES } from '../src/design/strategies.js';
import type { DesignStrategy } from '../src/design/strategy.js';
import { createOracle, DEMO_DESIGN_SPACE, DEMO_OBJECTIVES, sampleSeedAlloys } from '../simulators/oracle.js';
import { compositionAsMade } from '../simulators/virtual-instrument.js';

export interface BenchOptions {
  seeds: number;
  budget: number;
  batch: number;
  seedAlloys: number;
  strategies: string[];
  /** AIMatDesign training episodes in the first design iteration (null: the service's default). */
  episodes: number | null;
  /** AIMatDesign's agent walks on from a success instead of ending the episode. */
  successContinues: boolean;
  /** AIMatDesign with the safety layer (EnvConfig.projectActions; off in campaigns by default). */
  safetyLayer: boolean;
  /** AIMatDesign's start curriculum share (null: the service's default). */
  curriculum: number | null;
  short: boolean;
  verbose: boolean;
}

export const BENCH_USAGE = `usage: npm run bench:campaign -- [--seeds 3] [--budget 96] [--batch 8] [--seed-alloys 32]
       [--strategies aimatdesign,random,genetic] [--episodes N|service] [--success-continues]
       [--safety-layer] [--curriculum 0..1] [--short] [--verbose]

Defaults: 3 seeds, budget 96 in batches of 8, AIMatDesign with the service's strategy defaults.
--short: 2 seeds, budget 24 in batches of 8, 10 AIMatDesign episodes in the first iteration (CI; about a minute).
--episodes N: AIMatDesign training episodes in the first design iteration (later ones refresh the warm agent).`;

export function parseBenchArgs(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== '--'),
    options: {
      seeds: { type: 'string' },
      budget: { type: 'string' },
      batch: { type: 'string' },
      'seed-alloys': { type: 'string' },
      strategies: { type: 'string' },
      episodes: { type: 'string' },
      'success-continues': { type: 'boolean' },
      'safety-layer': { type: 'boolean' },
      curriculum: { type: 'string' },
      short: { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const short = values.short ?? false;
  const num = (v: string | undefined, name: string, fallback: number) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`invalid --${name} ${v}`);
    return n;
  };
  const share = (v: string) => {
    const n = Number(v);
    if (!(n >= 0 && n <= 1)) throw new Error(`invalid --curriculum ${v}: a share in [0, 1]`);
    return n;
  };
  const strategies = (values.strategies ?? 'aimatdesign,random,genetic').split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of strategies) if (!STRATEGIES[s]) throw new Error(`unknown strategy ${s}: one of ${Object.keys(STRATEGIES).join(', ')}`);
  return {
    seeds: num(values.seeds, 'seeds', short ? 2 : 3),
    budget: num(values.budget, 'budget', short ? 24 : 96),
    batch: num(values.batch, 'batch', 8),
    seedAlloys: num(values['seed-alloys'], 'seed-alloys', 32),
    strategies,
    episodes: values.episodes === 'service' || (values.episodes === undefined && !short) ? null : num(values.episodes, 'episodes', 10),
    successContinues: values['success-continues'] ?? false,
    safetyLayer: values['safety-layer'] ?? false,
    curriculum: values.curriculum === undefined ? null : share(values.curriculum),
    short,
    verbose: values.verbose ?? false,
  };
}

export interface RunResult {
  strategy: string;
  seed: number;
  measured: number;
  successes: number;
  successRate: number;
  /** Experiment number (1-based) of the first success; null when none. */
  firstSuccess: number | null;
  bestYield: number | null;
  bestElongation: number | null;
  hypervolume: number;
  bestScore: number;
  /** Wall time of each proposal batch, ms. */
  batchMs: number[];
  /** The measured alloys, in order (as made, with the oracle's measurements). */
  alloys: MeasuredAlloy[];
}

export interface BenchResult {
  options: BenchOptions;
  runs: RunResult[];
  /** The printed report. */
  text: string;
  /** AIMatDesign success rate / random success rate (means over seeds); null when not both ran. */
  ratio: number | null;
}

const OBJECTIVES: Objectives = {
  requireGlass: true,
  targets: DEMO_OBJECTIVES.map((t) => ({ property: t.property, threshold: t.threshold, weight: 1 })),
};

/** One campaign: propose, make (as-made deviations), measure with the oracle, batch after batch. */
export async function runCampaign(
  name: string,
  seed: number,
  o: Pick<BenchOptions, 'budget' | 'batch' | 'seedAlloys' | 'episodes' | 'verbose'> & Partial<Pick<BenchOptions, 'successContinues' | 'safetyLayer' | 'curriculum'>>,
  config: AppConfig,
  onBatch: (done: number) => void = () => undefined,
): Promise<RunResult> {
  const oracle = createOracle(seed);
  const space = DEMO_DESIGN_SPACE;
  const seedData = sampleSeedAlloys(oracle, space, o.seedAlloys, new Random(`bench-seed|${seed}`));
  const measured: MeasuredAlloy[] = [...seedData];
  const results: MeasuredAlloy[] = [];
  const strategy: DesignStrategy = STRATEGIES[name](config, null);
  const partial: Partial<StrategySettings> = { method: name as StrategySettings['method'] };
  if (o.episodes !== null) partial.episodesPerIteration = o.episodes;
  if (o.successContinues) partial.successEndsEpisode = false;
  if (o.safetyLayer) partial.safetyLayer = true;
  if (o.curriculum !== null && o.curriculum !== undefined) partial.startCurriculum = o.curriculum;
  const settings = withStrategyDefaults(partial);
  const campaignSeed = seed * 7919;
  let previous: { featureNames: string[] | null; agentCheckpoint: unknown | null } = { featureNames: null, agentCheckpoint: null };
  const batchMs: number[] = [];
  for (let iteration = 1; results.length < o.budget; iteration++) {
    const count = Math.min(o.batch, o.budget - results.length);
    const started = performance.now();
    const outcome = await strategy.propose({
      campaignId: `bench-${name}-${seed}`,
      space,
      objectives: OBJECTIVES,
      strategy: settings,
      measured: [...measured],
      pending: [],
      count,
      seed: (campaignSeed ^ hashString(`iteration:${iteration}`)) >>> 0,
      iteration,
      previous,
      progress: async () => undefined,
      log: (line) => o.verbose && process.stderr.write(`    ${name} seed ${seed}: ${line}\n`),
    });
    batchMs.push(performance.now() - started);
    if (outcome.proposals.length === 0) throw new Error(`${name} proposed nothing in iteration ${iteration}`);
    const active = outcome.modelVersions.at(-1);
    previous = { featureNames: active?.features ?? previous.featureNames, agentCheckpoint: outcome.agent?.weights ?? previous.agentCheckpoint };
    for (const p of outcome.proposals.slice(0, count)) {
      // As the virtual instruments do: the alloy as made deviates a little; the oracle measures it.
      const number = results.length + 1;
      const asMade: Composition = compositionAsMade(p.composition, new Random(`bench-make|${seed}|${name}|${number}`));
      const m = oracle.measure(asMade, number);
      const alloy: MeasuredAlloy = { composition: asMade, isGlass: m.isGlass, yieldStrengthMPa: m.yieldStrengthMPa, elongationPct: m.elongationPct };
      results.push(alloy);
      measured.push(alloy);
    }
    onBatch(results.length);
  }
  const successes = results.map((r) => isSuccess(r, OBJECTIVES));
  const glass = results.filter((r) => r.isGlass === true);
  const max = (v: (number | null)[]) => {
    const f = v.filter((x): x is number => x !== null && Number.isFinite(x));
    return f.length ? Math.max(...f) : null;
  };
  const [yieldT, elongT] = [DEMO_OBJECTIVES[0].threshold, DEMO_OBJECTIVES[1].threshold];
  return {
    strategy: name,
    seed,
    measured: results.length,
    successes: successes.filter(Boolean).length,
    successRate: successes.filter(Boolean).length / results.length,
    firstSuccess: successes.indexOf(true) >= 0 ? successes.indexOf(true) + 1 : null,
    bestYield: max(glass.map((r) => r.yieldStrengthMPa)),
    bestElongation: max(glass.map((r) => r.elongationPct)),
    hypervolume: hypervolume2d(
      glass.filter((r) => r.yieldStrengthMPa !== null && r.elongationPct !== null).map((r) => ({ x: r.yieldStrengthMPa!, y: r.elongationPct! })),
      { x: yieldT, y: elongT },
    ),
    bestScore: Math.max(0, ...results.map((r) => fitness(r, OBJECTIVES))),
    batchMs,
    alloys: results,
  };
}

export async function runBenchmark(o: BenchOptions, progress: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<BenchResult> {
  const config = loadConfig({ LOG_LEVEL: 'error' });
  const runs: RunResult[] = [];
  const total = o.seeds * o.strategies.length;
  let k = 0;
  const t0 = performance.now();
  for (let seed = 1; seed <= o.seeds; seed++) {
    for (const name of o.strategies) {
      k++;
      const label = `[${k}/${total}] seed ${seed} ${name}`;
      const started = performance.now();
      const run = await runCampaign(name, seed, o, config, (done) => {
        if (o.verbose || name === 'aimatdesign') progress(`${label}: ${done}/${o.budget} experiments (${((performance.now() - started) / 1000).toFixed(0)} s)`);
      });
      runs.push(run);
      progress(
        `${label}: success ${run.successes}/${run.measured} (${pct(run.successRate)}), first success #${run.firstSuccess ?? '-'}, ` +
          `${((performance.now() - started) / 1000).toFixed(1)} s [${((performance.now() - t0) / 1000).toFixed(0)} s total]`,
      );
    }
  }
  const text = report(o, runs);
  const rate = (s: string) => mean(runs.filter((r) => r.strategy === s).map((r) => r.successRate));
  const ratio = o.strategies.includes('aimatdesign') && o.strategies.includes('random') ? ratioOf(rate('aimatdesign'), rate('random')) : null;
  return { options: o, runs, text, ratio };
}

// ---------------------------------------------------------------------------------------------

function mean(v: number[]): number {
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
}

function sd(v: number[]): number {
  if (v.length < 2) return 0;
  const m = mean(v);
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

function ratioOf(a: number, b: number): number | null {
  if (b > 0) return a / b;
  return a > 0 ? Infinity : null;
}

function pm(v: number[], digits: number, scale = 1): string {
  if (v.length === 0) return '-';
  return `${(mean(v) * scale).toFixed(digits)} ± ${(sd(v) * scale).toFixed(digits)}`;
}

function report(o: BenchOptions, runs: RunResult[]): string {
  const lines: string[] = [];
  lines.push(
    `Closed-loop benchmark: ${o.seeds} seed(s), budget ${o.budget} experiments in batches of ${o.batch}, ${o.seedAlloys} seed alloys per campaign` +
      `${o.episodes !== null ? `, AIMatDesign ${o.episodes} episodes per iteration` : ''}${o.short ? ' (--short)' : ''}`,
  );
  lines.push(
    `Lab: ground-truth oracle (simulators/oracle.ts, seed = run seed) with measurement noise and as-made deviations; strategies driven directly ` +
      `(propose -> oracle.measure), not over MQTT (npm run demo is the end-to-end path).`,
  );
  lines.push(`Targets: glass, yield >= ${DEMO_OBJECTIVES[0].threshold} MPa, elongation >= ${DEMO_OBJECTIVES[1].threshold} %. Values: mean ± sd over seeds.`);
  lines.push('');
  const head = ['strategy', 'success rate', 'first success (#)', 'best yield MPa', 'best elong. %', 'hypervolume MPa·%', 'best score', 'ms / batch'];
  const rows = o.strategies.map((s) => {
    const r = runs.filter((x) => x.strategy === s);
    const found = r.filter((x) => x.firstSuccess !== null).map((x) => x.firstSuccess!);
    return [
      s,
      `${pm(r.map((x) => x.successRate), 1, 100)} %`,
      found.length === r.length ? pm(found, 1) : `${found.length ? pm(found, 1) : '-'} (${r.length - found.length} none)`,
      pm(r.filter((x) => x.bestYield !== null).map((x) => x.bestYield!), 0),
      pm(r.filter((x) => x.bestElongation !== null).map((x) => x.bestElongation!), 2),
      pm(r.map((x) => x.hypervolume), 1),
      pm(r.map((x) => x.bestScore), 3),
      pm(r.map((x) => mean(x.batchMs)), 1),
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  lines.push(line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line));
  lines.push('');
  lines.push('Per seed (success rate):');
  for (const s of o.strategies) {
    lines.push(`  ${s.padEnd(12)} ${runs.filter((x) => x.strategy === s).map((x) => `seed ${x.seed}: ${x.successes}/${x.measured}`).join(', ')}`);
  }
  lines.push('');
  const rate = (s: string) => mean(runs.filter((r) => r.strategy === s).map((r) => r.successRate));
  if (o.strategies.includes('aimatdesign') && o.strategies.includes('random')) {
    const ratio = ratioOf(rate('aimatdesign'), rate('random'));
    lines.push(
      `AIMatDesign success rate / random success rate = ${ratio === null ? 'n/a (neither succeeded)' : ratio === Infinity ? '∞ (random never succeeded)' : `${ratio.toFixed(2)}x`} (target >= 3x)` +
        ` [${pct(rate('aimatdesign'))} vs ${pct(rate('random'))}]`,
    );
  }
  for (const s of o.strategies.filter((x) => x !== 'aimatdesign' && x !== 'random')) {
    if (!o.strategies.includes('random')) break;
    const ratio = ratioOf(rate(s), rate('random'));
    lines.push(`${s} success rate / random success rate = ${ratio === null ? 'n/a' : ratio === Infinity ? '∞' : `${ratio.toFixed(2)}x`}`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  let options: BenchOptions | 'help';
  try {
    options = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n${BENCH_USAGE}`);
    process.exit(2);
  }
  if (options === 'help') {
    console.log(BENCH_USAGE);
    return;
  }
  const t0 = performance.now();
  const result = await runBenchmark(options);
  console.log(result.text);
  console.log(`\n(${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(`bench:campaign failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
