/**
 * edRVFL: ensemble deep random vector functional link network (Katuwal, Suganthan et al.), a
 * regressor with an ensemble spread as its uncertainty.
 *
 * A deep RVFL stacks L random hidden layers that are never trained:
 *   layer 1 sees the standardized input x,
 *   layer k > 1 sees [x, h_{k-1}] (the direct link re-feeds the input at every depth),
 *   h_k = act(W_k [x, h_{k-1}] + b_k) with W_k, b_k drawn once from a seeded uniform.
 * Each layer gets its own linear readout on [x, h_k, 1], fitted in closed form by ridge
 * regression, so every layer is a complete model. The prediction is the mean over the L layer
 * outputs, and over `ensembles` independently drawn (optionally bootstrapped) networks; the
 * standard deviation across those L x ensembles outputs is the uncertainty: members agree where
 * the data pins them down and drift apart away from it. With a log1p target the members are
 * averaged in log space and the mean and spread mapped back.
 */
import { Matrix } from 'ml-matrix';
import { Random } from '../util/random.js';
import { columnStats, solveRidge } from './ridge.js';
import type { FeatureMatrix, UncertainRegressor } from './types.js';

export interface EdRVFLConfig {
  /** Hidden layers per network (each with its own readout). */
  layers: number;
  /** Hidden units per layer. */
  hiddenUnits: number;
  /** Ridge penalty of every readout (on standardized features and target). */
  ridgeLambda: number;
  activation: 'relu' | 'sigmoid';
  /** Hidden weights ~ U(-s, s) / sqrt(fan-in), biases ~ U(-s, s) / sqrt(3): pre-activations of spread ~s. */
  weightScale: number;
  /** Independent networks (different random weights) averaged together. */
  ensembles: number;
  /** Train each network on a bootstrap resample of the rows (bagging) for extra diversity. */
  bootstrap: boolean;
  /**
   * Standardized inputs are clipped to [-c, c]: a rare element seen in a handful of training rows
   * has a tiny std, and would otherwise reach z-scores in the tens and swamp the random layers.
   */
  inputClip: number;
  /** Fit on log1p(y) and map members back with expm1 (for heavy-tailed, non-negative targets). */
  targetTransform: 'identity' | 'log1p';
  seed: number;
}

// Tuned by 5-fold CV on yield strength (312 alloys, chemistry descriptors): a large weight scale
// (strongly non-linear random features) and more units helped most; sigmoid was clearly worse.
export const DEFAULT_EDRVFL_CONFIG: EdRVFLConfig = {
  layers: 6,
  hiddenUnits: 128,
  ridgeLambda: 1,
  activation: 'relu',
  weightScale: 3,
  ensembles: 8,
  bootstrap: true,
  inputClip: 5,
  targetTransform: 'identity',
  seed: 42,
};

/**
 * One hidden layer: weights input-major (wT[d * H + j] multiplies input d into unit j, the layout
 * the batched kernel streams through), biases, readout on [x, h, 1]. The JSON keeps the
 * unit-major layout (w[j * fanIn + d]) of earlier versions.
 */
interface Layer {
  fanIn: number;
  wT: Float64Array;
  biases: Float64Array;
  readout: Float64Array;
  /**
   * Derived (not serialised): the pre-activations and the readout of a row whose raw features are
   * all 0, i.e. whose standardized inputs are the reference z0 (see `compile`). Prediction adds
   * only the inputs that differ from z0, which for sparse features (element fractions, group
   * fractions) is a handful per row.
   */
  base: Float64Array;
  readoutBase: number;
}

/** Rows per block of the batched forward pass: one layer's weights stay in cache across a block. */
const BLOCK_ROWS = 64;

export interface EdRVFLJSON {
  kind: 'edrvfl';
  config: EdRVFLConfig;
  xMean: number[];
  xStd: number[];
  yMean: number;
  yStd: number;
  networks: { fanIn: number; weights: number[]; biases: number[]; readout: number[] }[][];
}

export class EdRVFLRegressor implements UncertainRegressor {
  readonly config: EdRVFLConfig;
  private xMean: Float64Array = new Float64Array(0);
  private xStd: Float64Array = new Float64Array(0);
  private yMean = 0;
  private yStd = 1;
  private networks: Layer[][] = [];
  /** Standardized raw 0 per feature (see compile). */
  private z0: Float64Array = new Float64Array(0);

  constructor(config: Partial<EdRVFLConfig> = {}) {
    this.config = { ...DEFAULT_EDRVFL_CONFIG, ...config };
    if (this.config.layers < 1 || this.config.hiddenUnits < 1 || this.config.ensembles < 1) {
      throw new RangeError('layers, hiddenUnits and ensembles must be >= 1');
    }
  }

  fit(X: FeatureMatrix, y: ArrayLike<number>): this {
    const cfg = this.config;
    const n = X.length;
    if (n !== y.length || n === 0) throw new RangeError('X and y must be non-empty and aligned');
    const p = X[0].length;
    const H = cfg.hiddenUnits;

    // Standardize inputs and (transformed) target so one lambda and one weight scale fit all data sets.
    const { mean, std } = columnStats(X);
    this.xMean = mean;
    this.xStd = std;
    const t = Float64Array.from(y, (v) => this.forwardTarget(v));
    let tMean = 0;
    for (let i = 0; i < n; i++) tMean += t[i];
    tMean /= n;
    let tVar = 0;
    for (let i = 0; i < n; i++) tVar += (t[i] - tMean) ** 2;
    this.yMean = tMean;
    this.yStd = Math.sqrt(tVar / n) > 1e-12 ? Math.sqrt(tVar / n) : 1;
    const xs = this.standardize(X);
    const ts = Float64Array.from(t, (v) => (v - this.yMean) / this.yStd);

    const rng = new Random(cfg.seed);
    this.networks = [];
    for (let e = 0; e < cfg.ensembles; e++) {
      const netRng = rng.fork();
      // Bagging: each network sees a bootstrap resample (same size, with replacement).
      const rows = cfg.bootstrap ? Array.from({ length: n }, () => netRng.int(n)) : Array.from({ length: n }, (_, i) => i);
      const m = rows.length;
      const xRows = new Float64Array(m * p);
      rows.forEach((r, i) => xRows.set(xs.subarray(r * p, (r + 1) * p), i * p));
      const target = Matrix.columnVector(rows.map((r) => ts[r]));

      const layers: Layer[] = [];
      let prev: Float64Array | null = null;
      for (let k = 0; k < cfg.layers; k++) {
        const fanIn = k === 0 ? p : p + H;
        const weights = new Float64Array(H * fanIn);
        const biases = new Float64Array(H);
        const wScale = cfg.weightScale / Math.sqrt(fanIn);
        const bScale = cfg.weightScale / Math.sqrt(3);
        for (let i = 0; i < weights.length; i++) weights[i] = netRng.uniform(-wScale, wScale);
        for (let j = 0; j < H; j++) biases[j] = netRng.uniform(-bScale, bScale);
        const layer: Layer = { fanIn, wT: transpose(weights, H, fanIn), biases, readout: new Float64Array(0), base: biases, readoutBase: 0 };
        const hidden = this.hiddenForward(layer, xRows, prev, m, p);

        // Readout on [x, h_k, 1] by ridge in closed form.
        const D = new Matrix(m, p + H + 1);
        for (let i = 0; i < m; i++) {
          for (let d = 0; d < p; d++) D.set(i, d, xRows[i * p + d]);
          for (let j = 0; j < H; j++) D.set(i, p + j, hidden[i * H + j]);
          D.set(i, p + H, 1);
        }
        layer.readout = Float64Array.from(solveRidge(D, target, cfg.ridgeLambda).getColumn(0));
        layers.push(layer);
        prev = hidden;
      }
      this.networks.push(layers);
    }
    this.compile();
    return this;
  }

  /**
   * Precompute, per layer, the contribution of the reference input z0 = standardized raw 0 (what
   * an absent element's fraction standardizes to): base = b + W_x z0 and readoutBase =
   * beta_1 + beta_x . z0. A row then adds W_x (z - z0) over the features where z != z0 only. This
   * regroups the sums (relative differences ~1e-15 against the plain b + W_x z + W_h h), and is a
   * pure function of the stored weights, so a model loaded from JSON predicts bit-identically.
   */
  private compile(): void {
    const p = this.xMean.length;
    const H = this.config.hiddenUnits;
    const z0 = new Float64Array(p);
    const clip = this.config.inputClip;
    for (let d = 0; d < p; d++) {
      const z = (0 - this.xMean[d]) / this.xStd[d];
      z0[d] = z > clip ? clip : z < -clip ? -clip : z;
    }
    this.z0 = z0;
    for (const layers of this.networks) {
      for (const layer of layers) {
        const base = Float64Array.from(layer.biases);
        let readoutBase = layer.readout[p + H];
        for (let d = 0; d < p; d++) {
          const v = z0[d];
          if (v === 0) continue;
          const o = d * H;
          for (let j = 0; j < H; j++) base[j] += v * layer.wT[o + j];
          readoutBase += v * layer.readout[d];
        }
        layer.base = base;
        layer.readoutBase = readoutBase;
      }
    }
    this.scratch = null;
  }

  /**
   * Mean and std over all layer outputs of all networks, in the target's units. Batched over rows.
   * With `columns`, the model's feature d of row i is X[i][columns[d]] (no copy of the rows).
   *
   * The hot path of the RL agent. Rows go through in blocks of BLOCK_ROWS, layer by layer, so each
   * layer's weights are read from cache for the whole block; per row, the pre-activations start
   * from the layer's precomputed base (b + W_x z0, see compile) and are accumulated input by input
   * (i-k-j order) over the inputs that matter only: the features that differ from z0 (a few per
   * row for element fractions) and the non-zero hidden units of the layer below (ReLU leaves about
   * half at 0); the readout is fused into the same pass, and all buffers are reused scratch.
   * Against the textbook b + W [x, h] this regroups the sums: relative differences ~1e-15.
   *
   * Measured (bench/surrogate-speed.ts) about 5-6x the row-at-a-time version. What remains is the
   * hidden-to-hidden product (about 65 non-zero units x 128 per layer), at roughly 1-1.7 G
   * multiply-adds per second in scalar JavaScript; the next step would be a WebAssembly SIMD
   * kernel (f64x2, same per-lane arithmetic) or smaller networks.
   */
  predict(X: FeatureMatrix, columns?: ArrayLike<number>): { mean: Float64Array; std: Float64Array } {
    if (this.networks.length === 0) throw new Error('model is not fitted');
    const m = X.length;
    const p = this.xMean.length;
    const H = this.config.hiddenUnits;
    const relu = this.config.activation === 'relu';
    const fanInMax = p + H + UNROLL;
    if (columns !== undefined && columns.length !== p) throw new RangeError(`expected ${p} columns, got ${columns.length}`);
    const scratch = this.scratchFor(p, H);
    const { xs, offsets, values, xIndex, counts, xCounts, hidden, sum, sumSq } = scratch;
    const z0 = this.z0;
    const mean = new Float64Array(m);
    const std = new Float64Array(m);
    const yStd = this.yStd;
    const yMean = this.yMean;

    for (let r0 = 0; r0 < m; r0 += BLOCK_ROWS) {
      const b = Math.min(BLOCK_ROWS, m - r0);
      this.standardizeInto(X, r0, b, columns, xs);
      // Each row's inputs that differ from the reference z0, as (offset into wT, z - z0): shared by all layers.
      for (let r = 0; r < b; r++) {
        const lo = r * fanInMax;
        let c = 0;
        for (let d = 0; d < p; d++) {
          const v = xs[r * p + d] - z0[d];
          if (v !== 0) {
            offsets[lo + c] = d * H;
            values[lo + c] = v;
            xIndex[r * p + c] = d;
            c++;
          }
        }
        xCounts[r] = c;
        counts[r] = padList(offsets, values, lo, c);
        sum[r] = 0;
        sumSq[r] = 0;
      }
      for (const layers of this.networks) {
        for (let k = 0; k < layers.length; k++) {
          const { wT, base, readout, readoutBase } = layers[k];
          for (let r = 0; r < b; r++) {
            const lo = r * fanInMax;
            // Layer 1 sees x only; deeper layers [x, h_{k-1}], whose non-zeros follow x's in the list.
            const n = k === 0 ? padList(offsets, values, lo, xCounts[r]) : counts[r];
            accumulateRow(wT, base, H, offsets, values, lo, n, hidden, relu);
            // Fused readout on [x, h_k, 1], and the next layer's input list from h_k's non-zeros.
            let s = readoutBase;
            const nx = xCounts[r];
            for (let c = 0; c < nx; c++) s += values[lo + c] * readout[xIndex[r * p + c]];
            let c = lo + nx;
            for (let j = 0; j < H; j++) {
              const h = hidden[j];
              if (h !== 0) {
                s += h * readout[p + j];
                offsets[c] = (p + j) * H;
                values[c] = h;
                c++;
              }
            }
            counts[r] = padList(offsets, values, lo, c - lo);
            // Aggregate in the fitted (transformed) space: averaging expm1 of log-space members
            // would let one member that extrapolates far out dominate the mean.
            const v = s * yStd + yMean;
            sum[r] += v;
            sumSq[r] += v * v;
          }
        }
      }
      let members = 0;
      for (const layers of this.networks) members += layers.length;
      for (let r = 0; r < b; r++) {
        const mu = sum[r] / members;
        const sd = Math.sqrt(Math.max(0, sumSq[r] / members - mu * mu));
        mean[r0 + r] = this.inverseTarget(mu);
        // Back-transformed spread: half the width of the mapped +-1 sd interval (= sd when identity).
        std[r0 + r] = this.config.targetTransform === 'identity' ? sd : (this.inverseTarget(mu + sd) - this.inverseTarget(mu - sd)) / 2;
      }
    }
    return { mean, std };
  }

  /** Scratch buffers for predict, allocated once per model (and feature count) and reused. */
  private scratch: PredictScratch | null = null;

  private scratchFor(p: number, H: number): PredictScratch {
    if (this.scratch === null) {
      const fanInMax = p + H + UNROLL;
      this.scratch = {
        xs: new Float64Array(BLOCK_ROWS * p),
        offsets: new Int32Array(BLOCK_ROWS * fanInMax),
        values: new Float64Array(BLOCK_ROWS * fanInMax),
        xIndex: new Int32Array(BLOCK_ROWS * p),
        counts: new Int32Array(BLOCK_ROWS),
        xCounts: new Int32Array(BLOCK_ROWS),
        hidden: new Float64Array(H),
        sum: new Float64Array(BLOCK_ROWS),
        sumSq: new Float64Array(BLOCK_ROWS),
      };
    }
    return this.scratch;
  }

  /** act(W [x, prev] + b) for m rows (training); x row-major (m x p), prev row-major (m x H) or null for layer 1. */
  private hiddenForward(layer: Layer, x: Float64Array, prev: Float64Array | null, m: number, p: number): Float64Array {
    const H = this.config.hiddenUnits;
    const relu = this.config.activation === 'relu';
    const out = new Float64Array(m * H);
    const offsets = new Int32Array(layer.fanIn + UNROLL);
    const values = new Float64Array(layer.fanIn + UNROLL);
    const row = new Float64Array(H);
    for (let i = 0; i < m; i++) {
      let c = 0;
      for (let d = 0; d < p; d++) {
        const v = x[i * p + d];
        if (v !== 0) {
          offsets[c] = d * H;
          values[c] = v;
          c++;
        }
      }
      if (prev !== null) {
        for (let j = 0; j < H; j++) {
          const v = prev[i * H + j];
          if (v !== 0) {
            offsets[c] = (p + j) * H;
            values[c] = v;
            c++;
          }
        }
      }
      accumulateRow(layer.wT, layer.biases, H, offsets, values, 0, padList(offsets, values, 0, c), row, relu);
      out.set(row, i * H);
    }
    return out;
  }

  /** Standardized, clipped rows r0 .. r0 + b - 1 of X into xs (row-major b x p). */
  private standardizeInto(X: FeatureMatrix, r0: number, b: number, columns: ArrayLike<number> | undefined, xs: Float64Array): void {
    const p = this.xMean.length;
    const clip = this.config.inputClip;
    const xMean = this.xMean;
    const xStd = this.xStd;
    for (let r = 0; r < b; r++) {
      const row = X[r0 + r];
      const o = r * p;
      if (columns === undefined) {
        if (row.length !== p) throw new RangeError(`expected ${p} features, got ${row.length}`);
        for (let d = 0; d < p; d++) {
          const z = (row[d] - xMean[d]) / xStd[d];
          xs[o + d] = z > clip ? clip : z < -clip ? -clip : z;
        }
      } else {
        for (let d = 0; d < p; d++) {
          const z = (row[columns[d]] - xMean[d]) / xStd[d];
          xs[o + d] = z > clip ? clip : z < -clip ? -clip : z;
        }
      }
    }
  }

  private standardize(X: FeatureMatrix): Float64Array {
    const p = this.xMean.length;
    const out = new Float64Array(X.length * p);
    const clip = this.config.inputClip;
    for (let i = 0; i < X.length; i++) {
      const row = X[i];
      if (row.length !== p) throw new RangeError(`expected ${p} features, got ${row.length}`);
      for (let d = 0; d < p; d++) {
        const z = (row[d] - this.xMean[d]) / this.xStd[d];
        out[i * p + d] = z > clip ? clip : z < -clip ? -clip : z;
      }
    }
    return out;
  }

  private forwardTarget(v: number): number {
    return this.config.targetTransform === 'log1p' ? Math.log1p(Math.max(v, 0)) : v;
  }

  private inverseTarget(v: number): number {
    // log1p is for non-negative targets, so the back-transform is floored at 0.
    return this.config.targetTransform === 'log1p' ? Math.max(Math.expm1(v), 0) : v;
  }

  toJSON(): EdRVFLJSON {
    return {
      kind: 'edrvfl',
      config: { ...this.config },
      xMean: Array.from(this.xMean),
      xStd: Array.from(this.xStd),
      yMean: this.yMean,
      yStd: this.yStd,
      networks: this.networks.map((layers) =>
        layers.map((l) => ({
          fanIn: l.fanIn,
          weights: Array.from(transpose(l.wT, l.fanIn, this.config.hiddenUnits)),
          biases: Array.from(l.biases),
          readout: Array.from(l.readout),
        })),
      ),
    };
  }

  static fromJSON(json: EdRVFLJSON): EdRVFLRegressor {
    if (json.kind !== 'edrvfl') throw new Error(`not an edRVFL model: ${json.kind}`);
    const m = new EdRVFLRegressor(json.config);
    m.xMean = Float64Array.from(json.xMean);
    m.xStd = Float64Array.from(json.xStd);
    m.yMean = json.yMean;
    m.yStd = json.yStd;
    m.networks = json.networks.map((layers) =>
      layers.map((l) => ({
        fanIn: l.fanIn,
        wT: transpose(Float64Array.from(l.weights), json.config.hiddenUnits, l.fanIn),
        biases: Float64Array.from(l.biases),
        readout: Float64Array.from(l.readout),
        base: new Float64Array(0),
        readoutBase: 0,
      })),
    );
    m.compile();
    return m;
  }
}

interface PredictScratch {
  /** Standardized inputs of the current block (BLOCK_ROWS x p). */
  xs: Float64Array;
  /** Per row, the current layer's non-zero inputs: offset of their row in wT, and value. */
  offsets: Int32Array;
  values: Float64Array;
  /** Per row, the feature index of each x entry of the list (for the readout). */
  xIndex: Int32Array;
  /** Per row: entries in the list (x's and h's), and how many of them are x's. */
  counts: Int32Array;
  xCounts: Int32Array;
  /** One row's hidden layer output. */
  hidden: Float64Array;
  sum: Float64Array;
  sumSq: Float64Array;
}

/** (rows x cols) row-major -> (cols x rows) row-major. */
function transpose(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

/** Input lists are padded with (offset 0, value 0) entries to a multiple of this (the kernel's unrolling). */
const UNROLL = 8;

/** Pad the list lo .. lo + n - 1 with zero terms to a multiple of UNROLL; returns the padded length. */
function padList(offsets: Int32Array, values: Float64Array, lo: number, n: number): number {
  let c = lo + n;
  const end = lo + Math.ceil(n / UNROLL) * UNROLL;
  for (; c < end; c++) {
    offsets[c] = 0;
    values[c] = 0;
  }
  return end - lo;
}

/**
 * out[j] = act(b[j] + sum_c values[lo + c] * wT[offsets[lo + c] + j]) for j < H, the terms added
 * one at a time in list order (so exactly as a dot product over the same terms would). n must be
 * a multiple of UNROLL (see padList; a padded 0 * w term adds nothing). Eight terms per pass over
 * out: one load and store of out[j] per eight multiply-adds; the first pass starts from b, the
 * last applies ReLU.
 */
function accumulateRow(
  wT: Float64Array,
  b: Float64Array,
  H: number,
  offsets: Int32Array,
  values: Float64Array,
  lo: number,
  n: number,
  out: Float64Array,
  relu: boolean,
): void {
  const end = lo + n;
  if (n === 0) out.set(b.subarray(0, H));
  for (let c = lo; c < end; c += UNROLL) {
    const src = c === lo ? b : out;
    const o0 = offsets[c];
    const o1 = offsets[c + 1];
    const o2 = offsets[c + 2];
    const o3 = offsets[c + 3];
    const o4 = offsets[c + 4];
    const o5 = offsets[c + 5];
    const o6 = offsets[c + 6];
    const o7 = offsets[c + 7];
    const v0 = values[c];
    const v1 = values[c + 1];
    const v2 = values[c + 2];
    const v3 = values[c + 3];
    const v4 = values[c + 4];
    const v5 = values[c + 5];
    const v6 = values[c + 6];
    const v7 = values[c + 7];
    if (relu && c + UNROLL >= end) {
      for (let j = 0; j < H; j++) {
        let z = src[j];
        z += v0 * wT[o0 + j];
        z += v1 * wT[o1 + j];
        z += v2 * wT[o2 + j];
        z += v3 * wT[o3 + j];
        z += v4 * wT[o4 + j];
        z += v5 * wT[o5 + j];
        z += v6 * wT[o6 + j];
        z += v7 * wT[o7 + j];
        out[j] = z > 0 ? z : 0;
      }
      return;
    }
    for (let j = 0; j < H; j++) {
      let z = src[j];
      z += v0 * wT[o0 + j];
      z += v1 * wT[o1 + j];
      z += v2 * wT[o2 + j];
      z += v3 * wT[o3 + j];
      z += v4 * wT[o4 + j];
      z += v5 * wT[o5 + j];
      z += v6 * wT[o6 + j];
      z += v7 * wT[o7 + j];
      out[j] = z;
    }
  }
  if (relu) {
    for (let j = 0; j < H; j++) if (!(out[j] > 0)) out[j] = 0;
  } else {
    for (let j = 0; j < H; j++) out[j] = 1 / (1 + Math.exp(-out[j]));
  }
}
