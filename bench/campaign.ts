/**
 * Closed-loop benchmark (issues 6 and 13): design strategies from the service's registry
 * (src/design/strategies.ts) at equal experiment budgets, on virtual labs they were not tuned to.
 *
 *   npm run bench:campaign [-- --oracle data,smooth --scenario scarce,literature --space zr9,demo
 *                              --strategies aimatdesign,bo,genetic,random --seeds 5 --budget 48 --batch 8]
 *
 * A scenario is oracle x space x seed data (simulators/scenarios.ts):
 * - oracle `data`: the truth interpolates the published measurements (simulators/data-oracle.ts);
 *   `smooth`: a smooth function of glass-forming descriptors plus hidden bumps (simulators/oracle.ts);
 * - space `zr9` (9-element Zr space, yield >= 1600 MPa and elongation >= 6 %) or `demo` (the
 *   README's 8-element space, yield >= 1600 MPa and elongation >= 4 %);
 * - seeds `scarce` (published alloys of the space that all miss the target; on the smooth oracle,
 *   alloys sampled from it) or `literature` (every published row of both files).
 *
 * The strategies are driven directly against the oracle, batch after batch (strategy.propose ->
 * as-made deviation -> oracle.measure -> add to the measured set), not over MQTT: the same lab
 * model, much faster; `npm run demo` and the end-to-end tests are the MQTT path.
 *
 * Per run: successes (glass formed and every target met in the oracle's measurement), the
 * experiment number of the first success, the success rate in the second half of the budget, the
 * glass-forming rate of the proposals, best values, the hypervolume beyond the targets, the best
 * min-normalised score, wall time per proposal batch. Per scenario and strategy: mean ± sd over seeds.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig, type AppConfig } from '../src/config/config.js';
import type { Composition } from '../src/core/chemistry/types.js';
import type { MeasuredAlloy } from '../src/core/domain/measured-alloy.js';
import { hypervolume2d } from '../src/core/analytics/analytics.js';
import { withStrategyDefaults, type StrategySettings } from '../src/core/domain/strategy.js';
import { isSuccess } from '../src/core/domain/success.js';
import { hashString, Random } from '../src/core/util/random.js';
import type { Objectives } from '../src/repositories/entities/campaign.entity.js';
import { fitness } from '../src/services/design/genetic-strategy.js';
import { STRATEGIES } from '../src/services/design/strategies.js';
import type { DesignContext, DesignStrategy } from '../src/services/design/strategy.js';
import {
  createLabOracle,
  LAB_SPACES,
  ORACLE_KINDS,
  SEED_SCENARIOS,
  scenarioSeedAlloys,
  type LabSpace,
  type OracleKind,
  type SeedScenario,
} from '../simulators/scenarios.js';
import { compositionAsMade } from '../simulators/virtual-instrument.js';

export interface BenchOptions {
  seeds: number;
  /** First seed (runs use firstSeed .. firstSeed + seeds - 1). */
  firstSeed: number;
  budget: number;
  batch: number;
  oracles: OracleKind[];
  scenarios: SeedScenario[];
  spaces: string[];
  strategies: string[];
  /** AIMatDesign training episodes in the first design iteration (null: the service's default). */
  episodes: number | null;
  /** AIMatDesign's agent walks on from a success instead of ending the episode. */
  successContinues: boolean;
  /** AIMatDesign with the safety layer (EnvConfig.projectActions; see the strategy settings). */
  safetyLayer: boolean | null;
  /** AIMatDesign's start curriculum share (null: the service's default). */
  curriculum: number | null;
  /** AIMatDesign's trust region on/off (null: the service's default). */
  trustRegion: boolean | null;
  /** Local evidence in AIMatDesign's proposals (null: the service's default). */
  localEvidence: boolean | null;
  short: boolean;
  verbose: boolean;
  /** Also write every run (with its measured alloys) to this JSON file. */
  json: string | null;
}

const DEFAULT_STRATEGY_LIST = ['aimatdesign', 'bo', 'genetic', 'random'];

export const BENCH_USAGE = `usage: npm run bench:campaign -- [--oracle data,smooth] [--scenario scarce,literature] [--space zr9,demo]
       [--strategies ${DEFAULT_STRATEGY_LIST.join(',')}] [--seeds 5] [--first-seed 1] [--budget 48] [--batch 8]
       [--episodes N|service] [--success-continues] [--safety-layer on|off] [--curriculum 0..1]
       [--trust-region on|off] [--local-evidence on|off] [--short] [--verbose] [--json FILE]

Defaults: the data oracle, scarce and literature seed data, the zr9 space, every registered strategy
of ${DEFAULT_STRATEGY_LIST.join(', ')}, 5 seeds, 48 experiments in batches of 8, the service's strategy defaults.
--space hea: the high-entropy-alloy lab (crystalline allowed, data oracle only).
Lists take "all". --short (CI): data oracle, scarce seeds, zr9, 2 seeds, 16 experiments in batches of 8,
10 AIMatDesign episodes in the first iteration.
--episodes N: AIMatDesign training episodes in the first design iteration (later ones refresh the warm agent).`;

export function parseBenchArgs(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== '--'),
    options: {
      seeds: { type: 'string' },
      'first-seed': { type: 'string' },
      budget: { type: 'string' },
      batch: { type: 'string' },
      oracle: { type: 'string' },
      scenario: { type: 'string' },
      space: { type: 'string' },
      strategies: { type: 'string' },
      episodes: { type: 'string' },
      'success-continues': { type: 'boolean' },
      'safety-layer': { type: 'string' },
      curriculum: { type: 'string' },
      'trust-region': { type: 'string' },
      'local-evidence': { type: 'string' },
      short: { type: 'boolean' },
      verbose: { type: 'boolean' },
      json: { type: 'string' },
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
  const onOff = (v: string | undefined, name: string) => {
    if (v === undefined) return null;
    if (v === 'on' || v === 'off') return v === 'on';
    throw new Error(`invalid --${name} ${v}: on or off`);
  };
  const list = <T extends string>(v: string | undefined, name: string, allowed: readonly T[], fallback: readonly T[]): T[] => {
    if (v === undefined) return [...fallback];
    const items = v === 'all' ? [...allowed] : v.split(',').map((x) => x.trim()).filter(Boolean);
    for (const x of items) if (!allowed.includes(x as T)) throw new Error(`unknown ${name} ${x}: one of ${allowed.join(', ')}`);
    if (!items.length) throw new Error(`--${name} needs at least one value`);
    return items as T[];
  };
  const registered = Object.keys(STRATEGIES);
  const strategies = list(values.strategies, 'strategy', registered, DEFAULT_STRATEGY_LIST.filter((s) => registered.includes(s)));
  return {
    seeds: num(values.seeds, 'seeds', short ? 2 : 5),
    firstSeed: num(values['first-seed'], 'first-seed', 1),
    budget: num(values.budget, 'budget', short ? 16 : 48),
    batch: num(values.batch, 'batch', 8),
    oracles: list(values.oracle, 'oracle', ORACLE_KINDS, ['data']),
    scenarios: list(values.scenario, 'scenario', SEED_SCENARIOS, short ? ['scarce'] : SEED_SCENARIOS),
    spaces: list(values.space, 'space', Object.keys(LAB_SPACES), ['zr9']),
    strategies,
    episodes: values.episodes === 'service' || (values.episodes === undefined && !short) ? null : num(values.episodes, 'episodes', 10),
    successContinues: values['success-continues'] ?? false,
    safetyLayer: onOff(values['safety-layer'], 'safety-layer'),
    curriculum: values.curriculum === undefined ? null : share(values.curriculum),
    trustRegion: onOff(values['trust-region'], 'trust-region'),
    localEvidence: onOff(values['local-evidence'], 'local-evidence'),
    short,
    verbose: values.verbose ?? false,
    json: values.json ?? null,
  };
}

/** One scenario: which lab, which space and targets, which seed data. */
export interface Scenario {
  oracle: OracleKind;
  space: LabSpace;
  seeds: SeedScenario;
}

export function scenarioName(s: Scenario): string {
  return `${s.oracle} oracle, ${s.space.name} space, ${s.seeds} seeds`;
}

export interface RunResult {
  scenario: string;
  strategy: string;
  seed: number;
  seedAlloys: number;
  measured: number;
  successes: number;
  successRate: number;
  /** Success rate in the second half of the budget (experiments budget/2 + 1 .. budget). */
  secondHalfRate: number;
  /** Share of the measured proposals that formed a glass. */
  glassRate: number;
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
}

export function objectivesOf(lab: LabSpace): Objectives {
  return { requireGlass: lab.requireGlass ?? true, targets: lab.objectives.map((t) => ({ property: t.property, threshold: t.threshold, weight: 1 })) };
}

/** One campaign: propose, make (as-made deviations), measure with the oracle, batch after batch. */
export async function runCampaign(
  name: string,
  seed: number,
  scenario: Scenario,
  o: Pick<BenchOptions, 'budget' | 'batch' | 'episodes' | 'verbose'> & Partial<Pick<BenchOptions, 'successContinues' | 'safetyLayer' | 'curriculum' | 'trustRegion' | 'localEvidence'>>,
  config: AppConfig,
  onBatch: (done: number) => void = () => undefined,
): Promise<RunResult> {
  const oracle = createLabOracle(scenario.oracle, seed, scenario.space);
  const { space } = scenario.space;
  const objectives = objectivesOf(scenario.space);
  const seedData = scenarioSeedAlloys(scenario.seeds, oracle, scenario.space, scenario.oracle, seed);
  const measured: MeasuredAlloy[] = [...seedData];
  const results: MeasuredAlloy[] = [];
  const strategy: DesignStrategy = STRATEGIES[name](config, null);
  const partial: Partial<StrategySettings> = { method: name as StrategySettings['method'] };
  if (o.episodes !== null) partial.episodesPerIteration = o.episodes;
  if (o.successContinues) partial.successEndsEpisode = false;
  if (o.safetyLayer !== null && o.safetyLayer !== undefined) partial.safetyLayer = o.safetyLayer;
  if (o.curriculum !== null && o.curriculum !== undefined) partial.startCurriculum = o.curriculum;
  if (o.trustRegion !== null && o.trustRegion !== undefined) partial.trustRegion = o.trustRegion;
  if (o.localEvidence !== null && o.localEvidence !== undefined) partial.localEvidence = o.localEvidence;
  const settings = withStrategyDefaults(partial);
  const campaignSeed = seed * 7919;
  let previous: DesignContext['previous'] = { featureNames: null, agentCheckpoint: null, trustRegion: null };
  const batchMs: number[] = [];
  for (let iteration = 1; results.length < o.budget; iteration++) {
    const count = Math.min(o.batch, o.budget - results.length);
    const started = performance.now();
    const outcome = await strategy.propose({
      campaignId: `bench-${name}-${seed}`,
      space,
      objectives,
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
    previous = {
      featureNames: active?.features ?? previous.featureNames,
      agentCheckpoint: outcome.agent?.weights ?? previous.agentCheckpoint,
      trustRegion: outcome.agent?.config.trustRegion ?? previous.trustRegion,
    };
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
  const successes = results.map((r) => isSuccess(r, objectives));
  const glass = results.filter((r) => r.isGlass === true);
  // The alloys whose properties count: glass formers, or all of them when crystalline is allowed (hea).
  const eligible = objectives.requireGlass ? glass : results;
  const max = (v: (number | null)[]) => {
    const f = v.filter((x): x is number => x !== null && Number.isFinite(x));
    return f.length ? Math.max(...f) : null;
  };
  const half = Math.floor(results.length / 2);
  const [yieldT, elongT] = [scenario.space.objectives[0].threshold, scenario.space.objectives[1].threshold];
  return {
    scenario: scenarioName(scenario),
    strategy: name,
    seed,
    seedAlloys: seedData.length,
    measured: results.length,
    successes: successes.filter(Boolean).length,
    successRate: successes.filter(Boolean).length / results.length,
    secondHalfRate: successes.slice(half).filter(Boolean).length / Math.max(1, results.length - half),
    glassRate: glass.length / results.length,
    firstSuccess: successes.indexOf(true) >= 0 ? successes.indexOf(true) + 1 : null,
    bestYield: max(eligible.map((r) => r.yieldStrengthMPa)),
    bestElongation: max(eligible.map((r) => r.elongationPct)),
    hypervolume: hypervolume2d(
      eligible.filter((r) => r.yieldStrengthMPa !== null && r.elongationPct !== null).map((r) => ({ x: r.yieldStrengthMPa!, y: r.elongationPct! })),
      { x: yieldT, y: elongT },
    ),
    bestScore: Math.max(0, ...results.map((r) => fitness(r, objectives))),
    batchMs,
    alloys: results,
  };
}

export function scenariosOf(o: BenchOptions): Scenario[] {
  const out: Scenario[] = [];
  for (const oracle of o.oracles)
    for (const space of o.spaces)
      for (const seeds of o.scenarios) if (!(oracle === 'smooth' && LAB_SPACES[space].requireGlass === false)) out.push({ oracle, space: LAB_SPACES[space], seeds });
  return out;
}

export async function runBenchmark(o: BenchOptions, progress: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<BenchResult> {
  const config = loadConfig({ LOG_LEVEL: 'error' });
  const runs: RunResult[] = [];
  const scenarios = scenariosOf(o);
  const total = scenarios.length * o.seeds * o.strategies.length;
  let k = 0;
  const t0 = performance.now();
  for (const scenario of scenarios) {
    for (let seed = o.firstSeed; seed < o.firstSeed + o.seeds; seed++) {
      for (const name of o.strategies) {
        k++;
        const label = `[${k}/${total}] ${scenarioName(scenario)}, seed ${seed} ${name}`;
        const started = performance.now();
        const run = await runCampaign(name, seed, scenario, o, config, (done) => {
          if (o.verbose || name === 'aimatdesign' || name === 'bo') progress(`${label}: ${bar(done / o.budget)} ${done}/${o.budget} experiments (${((performance.now() - started) / 1000).toFixed(0)} s)`);
        });
        runs.push(run);
        progress(
          `${label}: success ${run.successes}/${run.measured}, first success #${run.firstSuccess ?? '-'}, glass ${run.alloys.filter((a) => a.isGlass).length}, ` +
            `${((performance.now() - started) / 1000).toFixed(1)} s [${((performance.now() - t0) / 1000).toFixed(0)} s total]`,
        );
      }
    }
  }
  return { options: o, runs, text: report(o, scenarios, runs) };
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

function pm(v: number[], digits: number, scale = 1): string {
  if (v.length === 0) return '-';
  return `${(mean(v) * scale).toFixed(digits)} ± ${(sd(v) * scale).toFixed(digits)}`;
}

function bar(fraction: number, width = 20): string {
  const n = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
}

function report(o: BenchOptions, scenarios: Scenario[], runs: RunResult[]): string {
  const lines: string[] = [];
  lines.push(
    `Closed-loop benchmark: seeds ${o.firstSeed}..${o.firstSeed + o.seeds - 1}, budget ${o.budget} experiments in batches of ${o.batch}` +
      `${o.episodes !== null ? `, AIMatDesign ${o.episodes} episodes in the first iteration` : ''}${o.short ? ' (--short)' : ''}`,
  );
  lines.push(
    'Labs: simulators/scenarios.ts (oracle x space x seed data), measurement noise and as-made deviations; strategies driven directly ' +
      '(propose -> oracle.measure), not over MQTT (npm run demo is the end-to-end path). Values: mean ± sd over seeds.',
  );
  for (const scenario of scenarios) {
    const name = scenarioName(scenario);
    const mine = runs.filter((r) => r.scenario === name);
    lines.push('');
    lines.push(
      `## ${name}: targets ${scenario.space.requireGlass === false ? '(crystalline allowed) ' : 'glass, '}${scenario.space.objectives.map((t) => `${t.property === 'yieldStrengthMPa' ? 'yield' : 'elongation'} >= ${t.threshold}`).join(', ')}; ` +
        `${mine[0]?.seedAlloys ?? '?'} seed alloys`,
    );
    const head = ['strategy', 'successes', 'first success (#)', `success rate ${Math.floor(o.budget / 2) + 1}-${o.budget}`, 'glass rate', 'best score', 'hypervolume MPa·%', 's / batch'];
    const rows = o.strategies.map((s) => {
      const r = mine.filter((x) => x.strategy === s);
      const found = r.filter((x) => x.firstSuccess !== null).map((x) => x.firstSuccess!);
      return [
        s,
        pm(r.map((x) => x.successes), 1),
        found.length === r.length ? pm(found, 1) : `${found.length ? pm(found, 1) : '-'} (${r.length - found.length}/${r.length} none)`,
        `${pm(r.map((x) => x.secondHalfRate), 1, 100)} %`,
        `${pm(r.map((x) => x.glassRate), 1, 100)} %`,
        pm(r.map((x) => x.bestScore), 3),
        pm(r.map((x) => x.hypervolume), 1),
        pm(r.map((x) => mean(x.batchMs) / 1000), 1),
      ];
    });
    lines.push(...table(head, rows));
    lines.push('Per seed (successes / glasses):');
    for (const s of o.strategies) {
      lines.push(`  ${s.padEnd(12)} ${mine.filter((x) => x.strategy === s).map((x) => `seed ${x.seed}: ${x.successes}/${x.alloys.filter((a) => a.isGlass).length}`).join(', ')}`);
    }
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
  if (options.json) writeFileSync(options.json, JSON.stringify({ options, runs: result.runs }, null, 1));
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
