/**
 * Design-engine benchmark (issue 4): trains the surrogates on the AIMatDesign data, defines a
 * Zr-based design space (the elements of the data's Zr-based alloys with measured yield strength
 * and elongation), targets yield >= 1800 MPa and elongation >= 10 %, runs the agent for the
 * paper's budget of 128,000 surrogate-evaluated steps and prints the paper's success rates for
 * the full method and its ablations, over several seeds.
 *
 *   npm run bench:design -- --data ../shared/data/aimatdesign [--short] [--seeds 3] [--steps N]
 *                           [--variants full,no-tep,no-knowledge,no-amr,random]
 *
 * Rates: SR_legal = legal steps / steps; SR_cls = P(glass) >= 0.5 / legal; SR_80(k) = prediction
 * >= threshold_k / classified; SR_done = the paper's done_record (authors' Trainer.train): ends by
 * success (a new composition reaching 1.2x every threshold) / all ends (success, or a step into
 * an illegal or non-glass composition); ep = share of episodes (128 steps or ended earlier) in
 * which some step met every threshold, a stricter per-episode reading. "budget" = over the whole
 * 128,000-step training run (exploration included, as the paper's code counts them); "policy" =
 * the trained policy afterwards (small noise).
 */
import { join } from 'node:path';
import { ELONGATION_COLUMN, numberOrNull, readPublishedCsv, rowComposition, YIELD_COLUMN } from './published-data.js';
import { DESCRIPTOR_NAMES, elementFractionFeatures } from '../src/core/chemistry/descriptors.js';
import type { Composition } from '../src/core/chemistry/types.js';
import type { DesignSpace } from '../src/core/domain/design-space.js';
import type { MeasuredAlloy } from '../src/core/domain/measured-alloy.js';
import { evaluateFeatureSet, makeBundleRetrainer } from '../src/core/aimatdesign/bundle-refinement.js';
import { surrogatesFromBundle } from '../src/core/aimatdesign/bundle-surrogates.js';
import { resolveDesignConfig } from '../src/core/aimatdesign/config.js';
import { makeKnowledgeScorer } from '../src/core/knowledge/scorer.js';
import { RulesKnowledgeProvider } from '../src/core/knowledge/rules-provider.js';
import { AutomaticModelRefinement } from '../src/core/amr/amr.js';
import { toFractions, usesOnlyElements } from '../src/core/domain/composition-grid.js';
import { DEFAULT_ENV_CONFIG, VirtualLab } from '../src/core/rl/environment.js';
import { DEFAULT_REWARD_CONFIG } from '../src/core/rl/reward.js';
import { Td3Agent } from '../src/core/rl/td3.js';
import { setupTf } from '../src/core/rl/tf.js';
import { evaluatePolicy, trainAgent, type TrainReport } from '../src/core/aimatdesign/trainer.js';
import type { Objective } from '../src/core/domain/objectives.js';
import type { Surrogates } from '../src/core/domain/predictions.js';
import { SurrogateBundle } from '../src/core/surrogates/bundle.js';
import { TrustworthyExperiencePool } from '../src/core/tep/trustworthy-experience-pool.js';
import { Random } from '../src/core/util/random.js';

// 'random': uniform random actions in the same environment as the agent (safety layer and start
// curriculum included); 'random-paper': the paper's random policy (neither).
type Variant = 'full' | 'no-tep' | 'no-knowledge' | 'no-amr' | 'random' | 'random-paper';
const ALL_VARIANTS: Variant[] = ['full', 'no-tep', 'no-knowledge', 'no-amr', 'random', 'random-paper'];
const isRandom = (v: Variant) => v === 'random' || v === 'random-paper';

interface Args {
  data: string;
  short: boolean;
  seeds: number;
  steps: number;
  variants: Variant[];
  evalSteps: number;
  envs: number;
  gradientSteps: number;
  batch: number;
  hidden: number[];
  gamma: number;
  terminate: boolean;
  actorLr: number;
  doneFactor: number;
  successTerminal: boolean;
  measuredStart: number;
  noveltyBonus: number;
  per: boolean;
  successContinues: boolean;
  projection: boolean;
  absorbing: number;
  curriculum: number;
  firstSeed: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { data: '../shared/data/aimatdesign', short: false, seeds: 3, steps: 128_000, variants: ALL_VARIANTS, evalSteps: 12_800, envs: 32, gradientSteps: 1, batch: 128, hidden: [64, 64], gamma: 0.99, terminate: true, actorLr: 3e-4, doneFactor: 1, successTerminal: false, measuredStart: 0.5, noveltyBonus: DEFAULT_REWARD_CONFIG.noveltyBonus, per: false, successContinues: false, projection: true, absorbing: 0, curriculum: DEFAULT_ENV_CONFIG.startCurriculum, firstSeed: 1000 };
  let stepsGiven = false;
  let seedsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--data') a.data = v();
    else if (k === '--short') a.short = true;
    else if (k === '--seeds') {
      a.seeds = Number(v());
      seedsGiven = true;
    } else if (k === '--steps') {
      a.steps = Number(v());
      stepsGiven = true;
    }
    else if (k === '--eval-steps') a.evalSteps = Number(v());
    else if (k === '--variants') a.variants = v().split(',') as Variant[];
    else if (k === '--envs') a.envs = Number(v());
    else if (k === '--grad-steps') a.gradientSteps = Number(v());
    else if (k === '--batch') a.batch = Number(v());
    else if (k === '--gamma') a.gamma = Number(v());
    else if (k === '--no-terminate') a.terminate = false;
    else if (k === '--actor-lr') a.actorLr = Number(v());
    else if (k === '--done-factor') a.doneFactor = Number(v());
    else if (k === '--success-terminal') a.successTerminal = true;
    else if (k === '--measured-start') a.measuredStart = Number(v());
    else if (k === '--novelty-bonus') a.noveltyBonus = Number(v());
    else if (k === '--per') a.per = true;
    else if (k === '--success-continues') a.successContinues = true;
    else if (k === '--no-projection') a.projection = false;
    else if (k === '--absorbing') a.absorbing = Number(v());
    else if (k === '--curriculum') a.curriculum = Number(v());
    else if (k === '--first-seed') a.firstSeed = Number(v());
    else if (k === '--hidden') a.hidden = v().split('-').map(Number);
    else if (k === '--') continue;
    else if (k === '--help' || k === '-h') {
      console.log('usage: bench/design.ts --data DIR [--short] [--seeds 3] [--steps 128000] [--variants full,no-tep,no-knowledge,no-amr,random] [--envs 32] [--grad-steps 1] [--batch 128] [--hidden 64-64]');
      process.exit(0);
    } else throw new Error(`unknown argument ${k}`);
  }
  for (const v of a.variants) if (!ALL_VARIANTS.includes(v)) throw new Error(`unknown variant ${v}`);
  if (a.short) {
    if (!stepsGiven) a.steps = 8_192;
    if (!seedsGiven) a.seeds = 1;
    a.evalSteps = 2_048;
  }
  return a;
}

// ---------- data ----------

function loadData(dir: string): { measured: MeasuredAlloy[]; classOnly: MeasuredAlloy[] } {
  const grouped = readPublishedCsv(join(dir, 'ALL_data_grouped_processed.csv')).rows;
  const elements = Object.keys(grouped[0]).filter((k) => /^[A-Z][a-z]?$/.test(k));
  const measured: MeasuredAlloy[] = [];
  for (const r of grouped) {
    const c = rowComposition(r, elements);
    if (!c) continue;
    const label = numberOrNull(r.cls_label);
    measured.push({ composition: c, isGlass: label === null ? null : label === 1, yieldStrengthMPa: numberOrNull(r[YIELD_COLUMN]), elongationPct: numberOrNull(r[ELONGATION_COLUMN]) });
  }
  const cls = readPublishedCsv(join(dir, 'ALL_data_cls.csv')).rows;
  const classOnly: MeasuredAlloy[] = [];
  for (const r of cls) {
    const c = rowComposition(r, elements);
    const label = numberOrNull(r.cls_label);
    if (c && label !== null) classOnly.push({ composition: c, isGlass: label === 1, yieldStrengthMPa: null, elongationPct: null });
  }
  return { measured, classOnly };
}

const baseOf = (c: Composition) => Object.entries(c).sort((a, b) => b[1] - a[1])[0][0];

/** Elements of the Zr-based alloys with both properties measured (appearing at least twice), bounds from the data. */
function zrDesignSpace(measured: MeasuredAlloy[]): DesignSpace {
  const zr = measured.filter((a) => baseOf(a.composition) === 'Zr' && a.yieldStrengthMPa !== null && a.elongationPct !== null);
  const count = new Map<string, number>();
  const max = new Map<string, number>();
  let zrMin = 100;
  for (const a of zr) {
    for (const [el, v] of Object.entries(a.composition)) {
      count.set(el, (count.get(el) ?? 0) + 1);
      max.set(el, Math.max(max.get(el) ?? 0, v));
    }
    zrMin = Math.min(zrMin, a.composition.Zr);
  }
  const elements = [...count.entries()].filter(([, n]) => n >= 2).sort((a, b) => b[1] - a[1]).map(([el]) => el);
  const bounds: DesignSpace['bounds'] = {};
  for (const el of elements) bounds[el] = el === 'Zr' ? { min: Math.floor(zrMin), max: Math.ceil(max.get(el)!) } : { min: 0, max: Math.ceil(max.get(el)!) };
  return { elements, bounds, step: 0.5, minElements: 3, maxElements: 7, baseElement: 'Zr' };
}

// ---------- surrogates ----------

const INITIAL_DESCRIPTORS = ['delta', 'dHmix', 'dSmix', 'vec'];

function sd(v: number[]) {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
}

const fmtPct = (x: number) => (100 * x).toFixed(1).padStart(5);
const meanSpread = (v: number[]) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return `${(100 * m).toFixed(1)} ± ${(100 * sd(v)).toFixed(1)}`;
};

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const backend = await setupTf({ log: (l) => console.log(l) });
  const t0 = performance.now();
  const { measured, classOnly } = loadData(args.data);
  const space = zrDesignSpace(measured);
  const objectives: Objective[] = [
    { property: 'yieldStrengthMPa', threshold: 1800, weight: 1 },
    { property: 'elongationPct', threshold: 10, weight: 1 },
  ];
  console.log(`data: ${measured.length} property rows, ${classOnly.length} classification rows; design space: ${space.elements.join(' ')} (Zr ${space.bounds.Zr.min}-${space.bounds.Zr.max} at.%), step ${space.step}`);
  // Surrogates: classifier on every labelled row, regressors on the property rows.
  const training = args.short ? [...measured, ...classOnly.filter((_, i) => i % 4 === 0)] : [...measured, ...classOnly];
  const featureNames = [...elementFractionFeatures(space.elements), ...INITIAL_DESCRIPTORS];
  const candidates = DESCRIPTOR_NAMES.filter((d) => !INITIAL_DESCRIPTORS.includes(d));
  const bundle = SurrogateBundle.train(training, { featureNames, seed: 42 });
  const baseSurrogates = surrogatesFromBundle(bundle, space.elements);
  const folds = args.short ? 3 : 5;
  const needsAmr = args.variants.includes('full');
  const baseCv = needsAmr ? evaluateFeatureSet(training, featureNames, 42, folds) : { error: 0, metrics: {} };
  console.log(`surrogates: ${featureNames.length} features, trained${needsAmr ? ` and cross-validated (error ${baseCv.error.toFixed(4)})` : ''} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const inSpace = measured.filter((a) => usesOnlyElements(a.composition, space.elements) && baseOf(a.composition) === 'Zr');
  const starts = inSpace.map((a) => toFractions(a.composition, space.elements));
  const knownGlasses = inSpace.filter((a) => a.isGlass).map((a) => a.composition);
  const cfg = resolveDesignConfig({
    env: { numEnvs: args.envs, illegalEndsEpisode: args.terminate, nonGlassEndsEpisode: args.terminate, successIsTerminal: args.successTerminal, successEndsEpisode: !args.successContinues, projectActions: args.projection, absorbingSuccessGamma: args.absorbing, startCurriculum: args.curriculum, measuredStartProb: args.measuredStart, reward: { ...DEFAULT_REWARD_CONFIG, doneFactor: args.doneFactor, noveltyBonus: args.noveltyBonus } },
    tep: { successIsTerminal: args.successTerminal, absorbingSuccessGamma: args.absorbing },
    td3: { batchSize: args.batch, actorHidden: args.hidden, criticHidden: args.hidden, gamma: args.gamma, actorLr: args.actorLr },
    train: { totalSteps: args.steps, learningStarts: Math.min(4_096, args.steps / 8), gradientSteps: args.gradientSteps, prioritizedReplay: args.per ? {} : null },
    amr: { checkEvery: 8_192, cooldown: 32_768, maxRefinements: 1, warmupProgress: 0.25 },
  });
  console.log(
    `agent: TD3 actor ${cfg.td3.actorHidden.join('-')} / critics ${cfg.td3.criticHidden.join('-')} (LayerNorm, LeakyReLU), batch ${cfg.td3.batchSize}, ` +
      `${args.terminate ? 'illegal/non-glass ends the episode (paper)' : 'illegal/non-glass moves rejected, episode goes on'}; ${cfg.env.numEnvs} envs, ${cfg.train.gradientSteps} update(s) per vector step of ${cfg.env.numEnvs} env steps; ${args.steps} steps; backend ${backend}`,
  );

  type Row = { variant: Variant; seed: number; report: TrainReport; policy: Awaited<ReturnType<typeof evaluatePolicy>>; events: number; accepted: number };
  const rows: Row[] = [];
  const header = 'variant       seed | budget: legal   cls  SR80y  SR80e   done     ep | policy: legal   cls  SR80y  SR80e   done     ep |  wall s  pred/s  TEP  AMR';
  console.log(header);
  for (let s = 0; s < args.seeds; s++) {
    const seed = args.firstSeed + s;
    for (const variant of args.variants) {
      const rng = new Random(seed);
      const useTep = variant !== 'no-tep' && !isRandom(variant);
      const useKnowledge = variant !== 'no-knowledge' && !isRandom(variant);
      const useAmr = variant === 'full';
      const tep = useTep ? new TrustworthyExperiencePool({ space, objectives, surrogates: baseSurrogates, rewardConfig: cfg.env.reward, config: cfg.tep }) : null;
      tep?.addAll(inSpace);
      const provider = new RulesKnowledgeProvider({ knownGlasses });
      const envConfig = variant === 'random-paper' ? { ...cfg.env, projectActions: false, startCurriculum: 0 } : cfg.env;
      const env = new VirtualLab({
        space,
        objectives,
        surrogates: baseSurrogates,
        rng: rng.fork(),
        measuredStarts: starts,
        config: envConfig,
        knowledge: useKnowledge ? makeKnowledgeScorer(provider, space.elements, { gridStep: space.step }) : undefined,
      });
      const agent = isRandom(variant) ? null : new Td3Agent(space.elements.length, rng.fork(), cfg.td3);
      const amr = useAmr
        ? new AutomaticModelRefinement({
            provider,
            elements: space.elements,
            candidates,
            current: { featureNames, cvError: baseCv.error, metrics: baseCv.metrics },
            config: cfg.amr,
            retrain: makeBundleRetrainer({ alloys: training, elements: space.elements, seed: 42, folds }),
          })
        : null;
      const report = await trainAgent({
        env,
        agent,
        rng: rng.fork(),
        config: { ...cfg.train, randomPolicy: isRandom(variant), knowledge: useKnowledge ? cfg.train.knowledge : { ...cfg.train.knowledge, weight: 0 } },
        tep,
        refinement: amr,
      });
      const evalEnv = new VirtualLab({ space, objectives, surrogates: env.surrogates as Surrogates, rng: new Random(seed + 7), measuredStarts: starts, config: envConfig });
      const policy = await evaluatePolicy({ env: evalEnv, agent, rng: new Random(seed + 9), steps: args.evalSteps, noise: 0.05 });
      agent?.dispose();
      const events = amr?.events.length ?? 0;
      const accepted = amr?.events.filter((e) => e.accepted).length ?? 0;
      rows.push({ variant, seed, report, policy, events, accepted });
      const r = report.rates;
      console.log(
        `${variant.padEnd(13)} ${String(seed).padStart(4)} |        ${fmtPct(r.srLegal)} ${fmtPct(r.srCls)} ${fmtPct(r.sr80[0])} ${fmtPct(r.sr80[1])} ${fmtPct(r.srDone)}  ${fmtPct(r.srEpisodes)} |        ${fmtPct(policy.srLegal)} ${fmtPct(policy.srCls)} ${fmtPct(policy.sr80[0])} ${fmtPct(policy.sr80[1])} ${fmtPct(policy.srDone)}  ${fmtPct(policy.srEpisodes)} | ` +
          `${report.wallSeconds.toFixed(1).padStart(7)} ${report.predictionsPerSecond.toFixed(0).padStart(7)} ${String(tep?.size ?? '-').padStart(4)} ${useAmr ? `${events}/${accepted}` : '-'}`,
      );
      for (const e of amr?.events ?? []) {
        console.log(
          `  AMR @${e.envSteps}: ${e.reason} corr ${e.correlationBefore.toFixed(3)} -> ${e.correlationAfter?.toFixed(3) ?? 'n/a'}, rel.std ${e.relativeStdBefore.toFixed(3)}; ` +
            `chose ${e.featuresChosen.join(', ')} (${e.selectionSource}); cv ${e.cvErrorBefore.toFixed(4)} -> ${e.cvErrorAfter?.toFixed(4) ?? 'n/a'}: ${e.accepted ? 'accepted' : 'rejected'}${e.error ? ` (${e.error})` : ''}`,
        );
      }
    }
  }
  console.log(`\nsummary over ${args.seeds} seed(s): mean ± spread (std) in %`);
  console.log('variant       | budget SR_legal   SR_cls      SR_80 yield  SR_80 elong  SR_done      episodes     | policy SR_done  episodes     | wall s');
  for (const variant of args.variants) {
    const rs = rows.filter((r) => r.variant === variant);
    const col = (f: (r: Row) => number) => meanSpread(rs.map(f)).padEnd(12);
    console.log(
      `${variant.padEnd(13)} | ${col((r) => r.report.rates.srLegal)} ${col((r) => r.report.rates.srCls)} ${col((r) => r.report.rates.sr80[0])} ${col((r) => r.report.rates.sr80[1])} ${col((r) => r.report.rates.srDone)} ${col((r) => r.report.rates.srEpisodes)} | ` +
        `${col((r) => r.policy.srDone)}   ${col((r) => r.policy.srEpisodes)} | ${(rs.reduce((a, r) => a + r.report.wallSeconds, 0) / rs.length).toFixed(1)}`,
    );
  }
  // Convergence: SR_done per tenth of the budget (mean over seeds); TEP's effect shows early.
  console.log('\nSR_done per 10 % of the training budget (mean over seeds, %):');
  for (const variant of args.variants) {
    const rs = rows.filter((r) => r.variant === variant);
    const n = Math.min(...rs.map((r) => r.report.curve.length));
    const curve = Array.from({ length: n }, (_, i) => rs.reduce((a, r) => a + (r.report.curve[i].srDone ?? 0), 0) / rs.length);
    const firstAbove = (level: number) => {
      const i = curve.findIndex((v) => v >= level);
      return i < 0 ? 'never' : `${(i + 1) * 10} %`;
    };
    console.log(`${variant.padEnd(13)} ${curve.map((v) => (100 * v).toFixed(1).padStart(5)).join(' ')}   (reaches 10 %: ${firstAbove(0.1)}, 25 %: ${firstAbove(0.25)})`);
  }
  const mean = (v: Variant, f: (r: Row) => number) => {
    const rs = rows.filter((r) => r.variant === v);
    return rs.reduce((a, r) => a + f(r), 0) / Math.max(1, rs.length);
  };
  for (const baseline of ['random-paper', 'random'] as const) {
    if (!args.variants.includes('full') || !args.variants.includes(baseline)) continue;
    for (const [label, f] of [['budget', (r: Row) => r.report.rates.srDone], ['policy', (r: Row) => r.policy.srDone]] as const) {
      const full = mean('full', f);
      const rnd = mean(baseline, f);
      console.log(`targets (${label}): full SR_done ${(100 * full).toFixed(1)} % (> 50 %: ${full > 0.5 ? 'yes' : 'no'}); ${baseline} ${(100 * rnd).toFixed(1)} %; ratio ${(full / Math.max(rnd, 1e-9)).toFixed(1)}x (>= 3x: ${full >= 3 * rnd ? 'yes' : 'no'})`);
    }
  }
  const full = rows.filter((r) => r.variant === 'full');
  if (full.length) {
    const preds = full.reduce((a, r) => a + r.report.stats.predictions, 0);
    const wall = full.reduce((a, r) => a + r.report.wallSeconds, 0);
    console.log(`full method: ${(wall / full.length).toFixed(1)} s per ${args.steps}-step run, ${(preds / wall).toFixed(0)} predictions/s`);
  }
  console.log(`total wall time ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
