/**
 * torch.nn.RNN, nn.LSTM and nn.GRU over whole sequences: stacked layers (num_layers), both
 * directions, batch_first, dropout between layers (explicit keys), bias, the LSTM's proj_size,
 * initial states h0 / c0, and PyTorch's state-dict names (weight_ih_l0, weight_hh_l0, bias_ih_l0,
 * bias_hh_l0, weight_hr_l0, with `_reverse` for the backward direction). Each layer and direction is
 * one `lax.scan` over time, so the layers jit; the input projections of all steps are one matmul.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, lax, scope, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import * as random from '../random/index.js';
import * as F from './functional.js';
import * as init from './init.js';
import { type ApplyOptions, type Layer, type TorchDict, type TorchReader, positiveInt } from './layer.js';
import type { LinearParams } from './linear.js';
import { type LstmCarry, type RnnNonlinearity, gruUpdate, lstmUpdate, rnnUpdate } from './recurrent.js';
import { copy, linearFromTorch, linearToTorch } from './torch.js';

export interface RnnConfig {
  /** torch's input_size. */
  readonly in: number;
  /** torch's hidden_size. */
  readonly hidden: number;
  /** Stacked layers (default 1). */
  readonly numLayers?: number;
  /** bias_ih and bias_hh (default true). */
  readonly bias?: boolean;
  /** Inputs and outputs [N, T, ...] (default false, as torch: [T, N, ...]); h0 / hN stay [layers * dirs, N, h]. */
  readonly batchFirst?: boolean;
  /** Dropout on every layer's output but the last's, in training (default 0). */
  readonly dropout?: number;
  /** A backward direction too, its outputs concatenated after the forward's (default false). */
  readonly bidirectional?: boolean;
  /** Default U(-1/sqrt(hidden), 1/sqrt(hidden)) for every weight and bias, as PyTorch's. */
  readonly init?: init.Initializer;
}

export interface RnnLayerConfig extends RnnConfig {
  /** Default 'tanh'. */
  readonly nonlinearity?: RnnNonlinearity;
}

export interface LstmConfig extends RnnConfig {
  /** torch's proj_size: h = (o tanh(c)) W_hr of this width (default 0: no projection). */
  readonly projSize?: number;
}

/** One layer and direction: as the cells' (ih, hh), and the LSTM's projection hr.w [hidden, projSize] (weight_hr transposed). */
export interface RnnDirectionParams {
  readonly ih: LinearParams;
  readonly hh: LinearParams;
  readonly hr?: { readonly w: NdArray };
}

/** Keyed by torch's suffix: 'l0', 'l0_reverse', 'l1', ... */
export type RnnParams = Record<string, RnnDirectionParams>;
type NoState = Record<string, never>;

export interface RnnApplyOptions extends ApplyOptions {
  /** Initial hidden states [numLayers * dirs, N, hOut] ([numLayers * dirs, hOut] for one sequence); default zeros. */
  readonly h0?: NdArray;
  /** The LSTM's initial cell states [numLayers * dirs, N, hidden]; default zeros. */
  readonly c0?: NdArray;
}

export interface RnnResult {
  /** [T, N, dirs * hOut] (or batch-first, or [T, dirs * hOut] for one sequence). */
  readonly output: NdArray;
  /** torch's h_n: the last hidden state of each layer and direction, h0's shape. */
  readonly hN: NdArray;
  /** torch's c_n (LSTM only). */
  readonly cN?: NdArray;
}

export interface RnnLayer extends Layer<RnnParams, NoState> {
  /** The output alone ([T, N, dirs * hOut], or batch-first, or one sequence's). */
  apply(params: RnnParams, state: NoState, x: NdArray, opts?: RnnApplyOptions): [NdArray, NoState];
  /** torch's forward: the output and the final states. `apply` returns the output alone. */
  forward(params: RnnParams, x: NdArray, opts?: RnnApplyOptions): RnnResult;
}

/** A cell's update; the GRU's and RNN's ignore (and return no) c. */
type Update = (gi: NdArray, gh: NdArray, carry: LstmCarry) => { readonly h: NdArray; readonly c?: NdArray };

/** The axis-0 entry i of a stacked state. */
const row = (a: NdArray, i: number) => np.squeeze(np.sliceAxis(a, 0, i, i + 1), 0);

function sequenceLayer(kind: string, config: LstmConfig, gates: number, update: Update, lstm: boolean): RnnLayer {
  const nIn = positiveInt(config.in, `${kind}: in`);
  const hidden = positiveInt(config.hidden, `${kind}: hidden`);
  const layers = positiveInt(config.numLayers ?? 1, `${kind}: numLayers`);
  const proj = config.projSize ?? 0;
  if (!Number.isInteger(proj) || proj < 0 || (proj > 0 && !lstm) || proj >= hidden)
    throw new Error(`${kind}: projSize must be an integer in [0, hidden) (LSTM only), got ${proj}`);
  const rate = config.dropout ?? 0;
  if (!(rate >= 0 && rate <= 1)) throw new Error(`${kind}: dropout must be in [0, 1], got ${rate}`);
  const hasBias = config.bias ?? true;
  const dirs = config.bidirectional ? 2 : 1;
  const hOut = proj || hidden;
  const width = gates * hidden;
  const initializer = config.init ?? init.uniformRange(-1 / Math.sqrt(hidden), 1 / Math.sqrt(hidden));
  const fans = { fanIn: hidden, fanOut: width };
  const names = Array.from({ length: layers * dirs }, (_, i) => `l${Math.floor(i / dirs)}${i % dirs ? '_reverse' : ''}`);
  const inWidth = (i: number) => (i < dirs ? nIn : hOut * dirs);
  /** [torch name, shape (torch layout), our path] of each entry, in PyTorch's state-dict order. */
  type Path = 'ih.w' | 'hh.w' | 'ih.b' | 'hh.b' | 'hr.w';
  const entries = (i: number): [string, number[], Path][] => {
    const es: [string, number[], Path][] = [
      [`weight_ih_${names[i]}`, [width, inWidth(i)], 'ih.w'],
      [`weight_hh_${names[i]}`, [width, hOut], 'hh.w'],
    ];
    if (hasBias) es.push([`bias_ih_${names[i]}`, [width], 'ih.b'], [`bias_hh_${names[i]}`, [width], 'hh.b']);
    if (proj) es.push([`weight_hr_${names[i]}`, [proj, hidden], 'hr.w']);
    return es;
  };

  /** A stacked initial state checked against [layers * dirs, N, size] (or one sequence's [layers * dirs, size]). */
  function initial(s: NdArray | undefined, n: number, batched: boolean, size: number, what: string): NdArray {
    const want = batched ? [layers * dirs, n, size] : [layers * dirs, size];
    if (!s) return np.zeros([layers * dirs, n, size]);
    if (s.shape.length !== want.length || s.shape.some((d, i) => d !== want[i])) throw new Error(`${kind}: ${what} must be ${shapeStr(want)}, got ${shapeStr(s.shape)}`);
    return batched ? s : np.expandDims(s, 1);
  }

  /** One layer and direction over the time-major sequence [T, N, in]: the outputs [T, N, hOut] and the last carry. */
  function direction(p: RnnDirectionParams, seq: NdArray, carry: LstmCarry, reverse: boolean): [LstmCarry, NdArray] {
    const gi = F.linear(seq, p.ih.w, p.ih.b);
    const step = (c: LstmCarry, g: NdArray): [LstmCarry, NdArray] => {
      const next = update(g, F.linear(c.h, p.hh.w, p.hh.b), c);
      const h = p.hr ? np.matmul(next.h, p.hr.w) : next.h;
      return [(lstm ? { h, c: next.c } : { h }) as LstmCarry, h];
    };
    return lax.scan(step, carry, gi, { reverse });
  }

  function forward(params: RnnParams, x: NdArray, opts: RnnApplyOptions = {}): RnnResult {
    const s = x.shape;
    if ((s.length !== 3 && s.length !== 2) || s[s.length - 1] !== nIn)
      throw new Error(`${kind}: expected inputs ${config.batchFirst ? '[N, T' : '[T, N'}, ${nIn}] (or one sequence [T, ${nIn}]), got ${shapeStr(s)}`);
    const batched = s.length === 3;
    let seq = !batched ? np.expandDims(x, 1) : config.batchFirst ? np.transpose(x, [1, 0, 2]) : x;
    const n = seq.shape[1]!;
    if (!lstm && opts.c0) throw new Error(`${kind}: c0 is the LSTM's cell state; this layer has none`);
    const h0 = initial(opts.h0, n, batched, hOut, 'h0');
    const c0 = lstm ? initial(opts.c0, n, batched, hidden, 'c0') : undefined;
    const dropping = !!opts.train && rate > 0 && layers > 1;
    if (dropping && !opts.key) throw new Error(`${kind}: training with dropout needs a PRNG key: { train: true, key }`);
    const keys = dropping ? random.split(opts.key!, layers - 1) : [];
    const hs: NdArray[] = [];
    const cs: NdArray[] = [];
    for (let l = 0; l < layers; l++) {
      const outs: NdArray[] = [];
      for (let d = 0; d < dirs; d++) {
        const i = l * dirs + d;
        const carry = (c0 ? { h: row(h0, i), c: row(c0, i) } : { h: row(h0, i) }) as LstmCarry;
        const [last, ys] = direction(params[names[i]], seq, carry, d === 1);
        outs.push(ys);
        hs.push(last.h);
        if (c0) cs.push(last.c);
      }
      seq = dirs === 2 ? np.concatenate(outs, -1) : outs[0];
      if (dropping && l < layers - 1) seq = F.dropout(keys[l], seq, rate);
    }
    const stacked = (xs: NdArray[]) => (batched ? np.stack(xs, 0) : np.stack(xs.map((t) => np.squeeze(t, 0)), 0));
    const output = !batched ? np.squeeze(seq, 1) : config.batchFirst ? np.transpose(seq, [1, 0, 2]) : seq;
    return c0 ? { output, hN: stacked(hs), cN: stacked(cs) } : { output, hN: stacked(hs) };
  }

  const setIn = (p: Record<string, Record<string, NdArray>>, path: string, v: NdArray) => {
    const [a, b] = path.split('.');
    (p[a] ??= {})[b] = v;
  };

  return {
    kind,
    forward,
    init(key) {
      return scope(() => {
        const ks = random.split(key, names.length);
        const params: Record<string, Record<string, Record<string, NdArray>>> = {};
        names.forEach((name, i) => {
          const p: Record<string, Record<string, NdArray>> = {};
          const es = entries(i);
          const dk = random.split(ks[i], es.length);
          es.forEach(([, shape, path], j) => setIn(p, path, initializer(dk[j], path.endsWith('.w') ? [shape[1], shape[0]] : shape, fans)));
          params[name] = p;
        });
        return { params: params as unknown as RnnParams, state: {} };
      });
    },
    apply(params, state, x, opts: RnnApplyOptions = {}) {
      return [forward(params, x, opts).output, state];
    },
    toTorch(v, prefix, out: TorchDict) {
      names.forEach((name, i) => {
        const p = v.params[name] as unknown as Record<string, Record<string, NdArray>>;
        for (const [n, , path] of entries(i)) {
          const [a, b] = path.split('.');
          out[`${prefix}${n}`] = b === 'w' ? linearToTorch(p[a][b]) : copy(p[a][b]);
        }
      });
    },
    fromTorch(r: TorchReader, prefix) {
      const params: Record<string, Record<string, Record<string, NdArray>>> = {};
      names.forEach((name, i) => {
        const p: Record<string, Record<string, NdArray>> = {};
        for (const [n, shape, path] of entries(i)) {
          const t = r.get(`${prefix}${n}`, shape);
          setIn(p, path, path.endsWith('.w') ? linearFromTorch(t) : tf.clone(t));
        }
        params[name] = p;
      });
      return { params: params as unknown as RnnParams, state: {} };
    },
  };
}

/**
 * torch.nn.LSTM: gates i, f, g, o as {@link lstmCell}, over whole sequences; `forward` gives
 * `{ output, hN, cN }`, `apply` the output. Inputs time-major [T, N, in] by default (torch's
 * batch_first=False), [N, T, in] with `batchFirst`, or one sequence [T, in].
 * @example
 * const lstm = nn.lstm({ in: 8, hidden: 16, numLayers: 2, bidirectional: true, batchFirst: true });
 * const { params } = lstm.init(random.key(0));
 * const { output, hN, cN } = lstm.forward(params, x); // x [N, T, 8] -> [N, T, 32], [4, N, 16], [4, N, 16]
 */
export function lstm(config: LstmConfig): RnnLayer {
  return sequenceLayer('lstm', config, 4, lstmUpdate, true);
}

/** torch.nn.GRU: gates r, z, n as {@link gruCell}, over whole sequences; see {@link lstm} (no c0 / cN). */
export function gru(config: RnnConfig): RnnLayer {
  return sequenceLayer('gru', config, 3, gruUpdate, false);
}

/** torch.nn.RNN: h' = tanh(x W_ih + b_ih + h W_hh + b_hh) (or relu) over whole sequences; see {@link lstm}. */
export function rnn(config: RnnLayerConfig): RnnLayer {
  return sequenceLayer('rnn', config, 1, rnnUpdate(config.nonlinearity ?? 'tanh', 'rnn'), false);
}
