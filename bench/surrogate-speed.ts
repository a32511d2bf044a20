/**
 * Batched prediction speed of the surrogate bundle (the RL agent's hot path):
 *
 *   npx tsx bench/surrogate-speed.ts [--data ../shared/data/aimatdesign] [--seconds 2] [--agent]
 *     [--no-before] [--save bundle.json | --load bundle.json] [--calibrate]
 *
 * Trains one bundle on the AIMatDesign data (the bundle defaults, or with --agent the feature set
 * the RL agent uses: campaign-element fractions plus all descriptors, regressors on all of them),
 * then times `predictFeatures` at batch 64 and 4096, per model, in rows per CPU second. "before" is the
 * implementation of the previous commit (row-at-a-time dot products over per-row arrays), kept
 * below in this file's memory and run on the same weights through the models' JSON; the script
 * also checks that both give the same numbers. The yield model is a blend of edRVFL and boosting
 * (src/core/surrogates/blended-regressor.ts): "before" runs its edRVFL member the old way and its
 * boosting member as it is.
 *
 * Then the overhead of the domain term (src/core/surrogates/domain-uncertainty.ts): the design
 * engine's call, predictFractions on batches of 64 fraction vectors over the campaign's elements,
 * with and without withDomainUncertainty over every alloy of the data as reference. The
 * calibration constants do not change the work done, so a fixed one is used unless --calibrate.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { DESCRIPTOR_NAMES, elementFractionFeatures, featurize } from '../src/core/chemistry/descriptors.js';
import type { Composition } from '../src/core/chemistry/types.js';
import type { MeasuredAlloy } from '../src/core/domain/measured-alloy.js';
import { surrogatesFromBundle } from '../src/core/aimatdesign/bundle-surrogates.js';
import { blendPredictions, type BlendedRegressorJSON } from '../src/core/surrogates/blended-regressor.js';
import { SurrogateBundle, type BundleJSON } from '../src/core/surrogates/bundle.js';
import { calibrateDomainUncertainty, withDomainUncertainty, type DomainCalibration } from '../src/core/surrogates/domain-uncertainty.js';
import type { EdRVFLJSON } from '../src/core/surrogates/edrvfl.js';
import { ObliviousBoostingRegressor, type ObliviousBoostingJSON } from '../src/core/surrogates/oblivious-boosting.js';
import type { FeatureMatrix } from '../src/core/surrogates/types.js';
import { Random } from '../src/core/util/random.js';

// ---------- the previous implementation (commit 57befa4), on the models' JSON ----------

function legacyEdrvfl(json: EdRVFLJSON) {
  const cfg = json.config;
  const H = cfg.hiddenUnits;
  const p = json.xMean.length;
  const networks = json.networks.map((layers) =>
    layers.map((l) => ({ fanIn: l.fanIn, weights: Float64Array.from(l.weights), biases: Float64Array.from(l.biases), readout: Float64Array.from(l.readout) })),
  );
  const xMean = Float64Array.from(json.xMean);
  const xStd = Float64Array.from(json.xStd);
  const inverse = (v: number) => (cfg.targetTransform === 'log1p' ? Math.max(Math.expm1(v), 0) : v);
  const hiddenForward = (layer: (typeof networks)[0][0], x: Float64Array, prev: Float64Array | null, m: number) => {
    const { weights, biases, fanIn } = layer;
    const relu = cfg.activation === 'relu';
    const out = new Float64Array(m * H);
    for (let i = 0; i < m; i++) {
      const xo = i * p;
      const ho = i * H;
      for (let j = 0; j < H; j++) {
        const wo = j * fanIn;
        let z = biases[j];
        for (let d = 0; d < p; d++) z += weights[wo + d] * x[xo + d];
        if (prev !== null) for (let d = 0; d < H; d++) z += weights[wo + p + d] * prev[ho + d];
        out[ho + j] = relu ? (z > 0 ? z : 0) : 1 / (1 + Math.exp(-z));
      }
    }
    return out;
  };
  return (X: FeatureMatrix) => {
    const m = X.length;
    const xs = new Float64Array(m * p);
    for (let i = 0; i < m; i++) {
      for (let d = 0; d < p; d++) {
        const z = (X[i][d] - xMean[d]) / xStd[d];
        xs[i * p + d] = z > cfg.inputClip ? cfg.inputClip : z < -cfg.inputClip ? -cfg.inputClip : z;
      }
    }
    const sum = new Float64Array(m);
    const sumSq = new Float64Array(m);
    let members = 0;
    for (const layers of networks) {
      let prev: Float64Array | null = null;
      for (const layer of layers) {
        const hidden = hiddenForward(layer, xs, prev, m);
        const beta = layer.readout;
        for (let i = 0; i < m; i++) {
          let s = beta[p + H];
          for (let d = 0; d < p; d++) s += xs[i * p + d] * beta[d];
          for (let j = 0; j < H; j++) s += hidden[i * H + j] * beta[p + j];
          const v = s * json.yStd + json.yMean;
          sum[i] += v;
          sumSq[i] += v * v;
        }
        members++;
        prev = hidden;
      }
    }
    const mean = new Float64Array(m);
    const std = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      const mu = sum[i] / members;
      const sd = Math.sqrt(Math.max(0, sumSq[i] / members - mu * mu));
      mean[i] = inverse(mu);
      std[i] = cfg.targetTransform === 'identity' ? sd : (inverse(mu + sd) - inverse(mu - sd)) / 2;
    }
    return { mean, std };
  };
}

function legacyBoosting(json: ObliviousBoostingJSON) {
  const trees = json.trees;
  const depth = Int32Array.from(trees, (t) => t.features.length);
  const splitOffset = new Int32Array(trees.length);
  const leafOffset = new Int32Array(trees.length);
  for (let t = 1; t < trees.length; t++) {
    splitOffset[t] = splitOffset[t - 1] + trees[t - 1].features.length;
    leafOffset[t] = leafOffset[t - 1] + trees[t - 1].leaves.length;
  }
  const feature = Int32Array.from(trees.flatMap((t) => t.features));
  const threshold = Float64Array.from(trees.flatMap((t) => t.thresholds));
  const leaf = Float64Array.from(trees.flatMap((t) => t.leaves));
  return (X: FeatureMatrix) => {
    const out = new Float64Array(X.length);
    for (let r = 0; r < X.length; r++) {
      const row = X[r];
      let s = json.baseScore;
      for (let t = 0; t < trees.length; t++) {
        const so = splitOffset[t];
        let idx = 0;
        for (let d = 0; d < depth[t]; d++) if (row[feature[so + d]] > threshold[so + d]) idx |= 1 << d;
        s += leaf[leafOffset[t] + idx];
      }
      out[r] = 1 / (1 + Math.exp(-s));
    }
    return out;
  };
}

function legacyBundle(json: BundleJSON) {
  const columns = Int32Array.from(json.regressorFeatureNames, (n) => json.featureNames.indexOf(n));
  const cls = legacyBoosting(json.classifier);
  const blend = json.yieldRegressor as BlendedRegressorJSON;
  const ysEdrvfl = blend.edrvfl ? legacyEdrvfl(blend.edrvfl) : null;
  const ysBoosting = blend.boosting ? ObliviousBoostingRegressor.fromJSON(blend.boosting) : null;
  const ys = (Xr: FeatureMatrix, X: FeatureMatrix) => blendPredictions(blend.weight, ysEdrvfl?.(Xr) ?? null, ysBoosting?.predict(X) ?? null);
  const el = legacyEdrvfl(json.elongationRegressor);
  const select = (X: FeatureMatrix) => X.map((row) => Float64Array.from(columns, (j) => row[j]));
  return {
    classifier: cls,
    yieldEdrvfl: ysEdrvfl,
    predictFeatures: (X: FeatureMatrix) => {
      const Xr = select(X);
      const y = ys(Xr, X);
      const e = el(Xr);
      return { pGlass: cls(X), yieldMean: y.mean, yieldStd: y.std, elongationMean: e.mean, elongationStd: e.std };
    },
  };
}

// ---------- data ----------

const ELEMENT = /^[A-Z][a-z]?$/;

function loadAlloys(dir: string): MeasuredAlloy[] {
  const read = (file: string) => parse(readFileSync(join(dir, file), 'utf8').replace(/^\uFEFF/, ''), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const num = (s: string | undefined) => (s === undefined || s.trim() === '' || !Number.isFinite(Number(s)) ? null : Number(s));
  const toAlloy = (r: Record<string, string>, withProps: boolean): MeasuredAlloy | null => {
    const c: Composition = {};
    for (const el of Object.keys(r).filter((k) => ELEMENT.test(k))) if (Number(r[el] || 0) > 0) c[el] = Number(r[el]);
    if (Object.keys(c).length === 0) return null;
    const label = num(r.cls_label);
    return {
      composition: c,
      isGlass: label === null ? null : label === 1,
      yieldStrengthMPa: withProps ? num(r['yield(MPa)']) : null,
      elongationPct: withProps ? num(r['\u0395(%)']) : null,
    };
  };
  return [
    ...read('ALL_data_cls.csv').map((r) => toAlloy(r, false)),
    ...read('ALL_data_grouped_processed.csv').map((r) => ({ ...toAlloy(r, true)!, isGlass: null })),
  ].filter((a): a is MeasuredAlloy => a !== null && Object.keys(a.composition).length > 0);
}

// ---------- timing ----------

/**
 * Rows per CPU second of fn on X (this process's user + system time, so other load on a shared
 * machine matters less than in wall time), repeated for at least `seconds` of CPU after a warm-up.
 */
function rowsPerSecond(fn: (X: FeatureMatrix) => unknown, X: FeatureMatrix, seconds: number): number {
  fn(X.slice(0, 64));
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  let rows = 0;
  const t0 = cpu();
  let elapsed = 0;
  while (elapsed < seconds || rows === 0) {
    fn(X);
    rows += X.length;
    elapsed = cpu() - t0;
  }
  return rows / elapsed;
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]) / Math.max(Math.abs(a[i]), Math.abs(b[i]), 1e-300);
    if (a[i] !== b[i]) worst = Math.max(worst, d);
  }
  return worst;
}

function main(): void {
  const argv = process.argv.slice(2);
  const opt = (name: string, fallback: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : fallback);
  const dir = opt('--data', '../shared/data/aimatdesign');
  const seconds = Number(opt('--seconds', '2'));
  const agent = argv.includes('--agent');

  const alloys = loadAlloys(dir);
  const campaign = ['Zr', 'Al', 'Cu', 'Ni', 'Fe', 'Ti', 'Ag', 'Nb', 'Sc', 'Ta', 'Hf', 'Pd'];
  const allElements = [...new Set(alloys.flatMap((a) => Object.keys(a.composition)))].sort();
  const featureNames = agent ? [...elementFractionFeatures(campaign), ...DESCRIPTOR_NAMES] : [...DESCRIPTOR_NAMES, ...elementFractionFeatures(allElements)];
  const t0 = performance.now();
  const load = opt('--load', '');
  const bundle = load
    ? SurrogateBundle.fromJSON(JSON.parse(readFileSync(load, 'utf8')) as BundleJSON)
    : SurrogateBundle.train(alloys, agent ? { featureNames, regressorFeatureNames: featureNames, seed: 42 } : { featureNames, seed: 42 });
  const trainSeconds = (performance.now() - t0) / 1000;
  if (argv.includes('--save')) writeFileSync(opt('--save', ''), JSON.stringify(bundle));
  const json = JSON.parse(JSON.stringify(bundle)) as BundleJSON;
  const legacy = legacyBundle(json);

  // Random Zr-rich compositions over the campaign elements, as the agent would query.
  const rng = new Random(7);
  const comps = Array.from({ length: 4096 }, () => {
    const c: Composition = { Zr: rng.uniform(40, 70) };
    for (const el of rng.shuffle(campaign.slice(1)).slice(0, 2 + rng.int(4))) c[el] = rng.uniform(0, 20);
    return c;
  });
  const X = featurize(comps, featureNames).map((r) => Float64Array.from(r));

  const yc = bundle.elongationRegressor.config;
  console.log(
    `bundle: ${featureNames.length} features (regressors on ${bundle.regressorFeatureNames.length}), ${bundle.classifier.treeCount} trees; ` +
      `edRVFL ${yc.layers} layers x ${yc.hiddenUnits} units x ${yc.ensembles} ensembles (${yc.activation}); ` +
      `yield blend weight of edRVFL ${bundle.yieldRegressor.weight} (boosting ${bundle.yieldRegressor.boosting?.treeCount ?? 0} trees); trained in ${trainSeconds.toFixed(1)} s`,
  );
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, load average ${loadavg().map((v) => v.toFixed(2)).join(' ')}; node ${process.version}`);

  const check = X.slice(0, 512);
  const now = bundle.predictFeatures(check);
  const before = legacy.predictFeatures(check);
  const diffs = (Object.keys(now) as (keyof typeof now)[]).map((k) => `${k} ${maxRelDiff(now[k], before[k]).toExponential(1)}`);
  console.log(`max relative difference new vs before over ${check.length} rows: ${diffs.join(', ')}`);

  const fast = {
    bundle: (x: FeatureMatrix) => bundle.predictFeatures(x),
    classifier: (x: FeatureMatrix) => bundle.classifier.predictProba(x),
    yield: (x: FeatureMatrix) => bundle.yieldRegressor.edrvfl!.predict(x),
    elongation: (x: FeatureMatrix) => bundle.elongationRegressor.predict(x),
  };
  const cols = Int32Array.from(bundle.regressorFeatureNames, (n) => featureNames.indexOf(n));
  const Xr = X.map((row) => Float64Array.from(cols, (j) => row[j]));
  const slow = {
    bundle: legacy.predictFeatures,
    classifier: legacy.classifier,
    yield: legacy.yieldEdrvfl!,
    elongation: legacyEdrvfl(json.elongationRegressor),
  };
  // The regressors alone see the already-selected columns.
  const input = { bundle: X, classifier: X, yield: Xr, elongation: Xr };
  const skipBefore = argv.includes('--no-before');
  console.log(`\n${'model'.padEnd(22)}${'batch'.padStart(6)}${'before rows/s'.padStart(16)}${'after rows/s'.padStart(16)}${'speed-up'.padStart(10)}`);
  const models = bundle.yieldRegressor.edrvfl ? (['bundle', 'yield', 'elongation', 'classifier'] as const) : (['bundle', 'elongation', 'classifier'] as const);
  for (const name of models) {
    for (const batch of [64, 4096]) {
      const x = input[name].slice(0, batch);
      const s = skipBefore ? NaN : rowsPerSecond(slow[name], x, seconds);
      const f = rowsPerSecond(fast[name], x, seconds);
      const label = name === 'bundle' ? 'bundle.predictFeatures' : name === 'classifier' ? 'classifier' : `${name} edRVFL`;
      console.log(`${label.padEnd(22)}${String(batch).padStart(6)}${s.toFixed(0).padStart(16)}${f.toFixed(0).padStart(16)}${(f / s).toFixed(1).padStart(9)}x`);
    }
  }

  // ----- the domain term's overhead on the engine's call -----
  const tc = performance.now();
  const calibration: DomainCalibration = argv.includes('--calibrate')
    ? calibrateDomainUncertainty(alloys, { featureNames, seed: 42, folds: 5, bundle: agent ? { regressorFeatureNames: featureNames } : {} })
    : {
        kind: 'domain-calibration',
        yieldStrength: { modelScale: 1, offset: 100, slope: 20, n: 0, outOfFold: null as never, withoutDistance: { modelScale: 1, offset: 150 } },
        elongation: { modelScale: 1, offset: 1, slope: 0.3, n: 0, outOfFold: null as never, withoutDistance: { modelScale: 1, offset: 2 } },
        glass: { farFieldPGlass: 0.1, length: 10, n: 0, outOfFold: null as never },
      };
  if (argv.includes('--calibrate')) console.log(`\ncalibrateDomainUncertainty (one SurrogateBundle.crossValidate, 5 folds, + the fit): ${((performance.now() - tc) / 1000).toFixed(1)} s`);
  const plain = surrogatesFromBundle(bundle, campaign);
  const t1 = performance.now();
  const aware = withDomainUncertainty(plain, alloys, campaign, calibration);
  const setupMs = performance.now() - t1;
  const states = comps.map((c) => {
    const v = Float64Array.from(campaign, (el) => c[el] ?? 0);
    const total = v.reduce((a, b) => a + b, 0);
    return v.map((x) => x / total);
  });
  const statesAsRows = states as unknown as FeatureMatrix;
  const plainRate = rowsPerSecond((x) => plain.predictFractions(x as unknown as Float64Array[]), statesAsRows.slice(0, 64), seconds);
  const awareRate = rowsPerSecond((x) => aware.predictFractions(x as unknown as Float64Array[]), statesAsRows.slice(0, 64), seconds);
  const distRate = rowsPerSecond((x) => aware.nearestDistance(x as unknown as Float64Array[]), statesAsRows.slice(0, 64), seconds);
  const perCall = (rate: number) => (64 / rate) * 1000;
  console.log(
    `\ndomain term (${alloys.length} reference alloys, ${campaign.length} campaign elements, set up in ${setupMs.toFixed(0)} ms), batch 64:\n` +
      `  predictFractions ${plainRate.toFixed(0)} rows/s (${perCall(plainRate).toFixed(2)} ms/call), with the domain term ${awareRate.toFixed(0)} rows/s ` +
      `(${perCall(awareRate).toFixed(2)} ms/call): +${(100 * (plainRate / awareRate - 1)).toFixed(1)} % per call, ` +
      `+${(((perCall(awareRate) - perCall(plainRate)) * 15000) / 1000).toFixed(1)} s over 15,000 calls; nearestDistance alone ${perCall(distRate).toFixed(3)} ms/call`,
  );
  console.log(`load average after: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
}

main();
