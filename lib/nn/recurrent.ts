/**
 * Recurrent cells (PyTorch's nn.LSTMCell and nn.GRUCell): one time step each.
 *
 * The carry (hidden state) is the layer's `state`, so a cell is an ordinary Layer:
 * `apply(params, carry, x) -> [h, newCarry]` with x [..., in] and the carry's arrays
 * [..., hidden] (broadcasting against each other). `init(key)` gives the zero carry of one
 * example ([hidden]); `initCarry(batchShape)` gives a zero carry of any batch shape, and
 * `step(params, carry, x) -> [newCarry, h]` is `apply` in `lax.scan`'s body order:
 *
 * ```ts
 * const [last, hs] = lax.scan((carry, xt) => cell.step(params, carry, xt), cell.initCarry([n]), xs); // xs [T, n, in]
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import * as random from '../random/index.js';
import * as F from './functional.js';
import * as init from './init.js';
import { type Layer, type TorchReader, positiveInt } from './layer.js';
import type { LinearParams } from './linear.js';
import { copy, linearFromTorch, linearToTorch } from './torch.js';

export interface RecurrentConfig {
  readonly in: number;
  readonly hidden: number;
  /** bias_ih and bias_hh; default true. */
  readonly bias?: boolean;
  /** Default U(-1/sqrt(hidden), 1/sqrt(hidden)) for every weight and bias, as PyTorch's. */
  readonly init?: init.Initializer;
}

/** The input and the hidden projections of all gates, stacked in PyTorch's gate order. */
export interface RecurrentParams {
  /** w [in, gates * hidden] (PyTorch's weight_ih transposed), b [gates * hidden] (bias_ih) */
  readonly ih: LinearParams;
  /** w [hidden, gates * hidden] (weight_hh transposed), b (bias_hh) */
  readonly hh: LinearParams;
}

export interface LstmCarry {
  readonly h: NdArray;
  readonly c: NdArray;
}

export interface GruCarry {
  readonly h: NdArray;
}

/** A Layer whose state is the recurrent carry, with the carry helpers. */
export interface RecurrentCell<C> extends Layer<RecurrentParams, C> {
  /** Zeros of shape [...batchShape, hidden] for each carry entry (default one example). */
  initCarry(batchShape?: readonly number[]): C;
  /** One time step in lax.scan's order: (carry, x) -> [newCarry, h]. */
  step(params: RecurrentParams, carry: C, x: NdArray): [C, NdArray];
}

type CarryName = 'h' | 'c';

/** The layer around a cell's update; `update(gi, gh, carry)` gets x's and h's gate pre-activations. */
function recurrentCell<C extends Partial<Record<CarryName, NdArray>>>(
  kind: string,
  config: RecurrentConfig,
  gates: number,
  carryNames: readonly CarryName[],
  update: (gi: NdArray, gh: NdArray, carry: C) => C,
): RecurrentCell<C> {
  const nIn = positiveInt(config.in, `${kind}: in`);
  const hidden = positiveInt(config.hidden, `${kind}: hidden`);
  const hasBias = config.bias ?? true;
  const width = gates * hidden;
  const initializer = config.init ?? init.uniformRange(-1 / Math.sqrt(hidden), 1 / Math.sqrt(hidden));
  const fans = { fanIn: hidden, fanOut: width };
  const initCarry = (batchShape: readonly number[] = []) => Object.fromEntries(carryNames.map((n) => [n, np.zeros([...batchShape, hidden])])) as C;
  const step = (params: RecurrentParams, carry: C, x: NdArray): [C, NdArray] => {
    const s = x.shape;
    if (s[s.length - 1] !== nIn) throw new Error(`${kind}: expected inputs [..., ${nIn}], got ${shapeStr(s)}`);
    for (const n of carryNames) {
      const t = carry[n];
      if (!t || t.shape[t.shape.length - 1] !== hidden) throw new Error(`${kind}: expected carry.${n} [..., ${hidden}], got ${t ? shapeStr(t.shape) : 'none'}`);
    }
    const gi = F.linear(x, params.ih.w, params.ih.b);
    const gh = F.linear(carry.h!, params.hh.w, params.hh.b);
    const next = update(gi, gh, carry);
    return [next, next.h!];
  };
  const side = (r: TorchReader, prefix: string, name: 'ih' | 'hh', nFrom: number): LinearParams => {
    const w = linearFromTorch(r.get(`${prefix}weight_${name}`, [width, nFrom]));
    return hasBias ? { w, b: tf.clone(r.get(`${prefix}bias_${name}`, [width])) } : { w };
  };
  return {
    kind,
    initCarry,
    step,
    init(key) {
      return scope(() => {
        const [k1, k2, k3, k4] = random.split(key, 4);
        const wIh = initializer(k1, [nIn, width], fans);
        const wHh = initializer(k2, [hidden, width], fans);
        const params: RecurrentParams = hasBias
          ? { ih: { w: wIh, b: initializer(k3, [width], fans) }, hh: { w: wHh, b: initializer(k4, [width], fans) } }
          : { ih: { w: wIh }, hh: { w: wHh } };
        return { params, state: initCarry() };
      });
    },
    apply(params, carry, x) {
      const [next, h] = step(params, carry, x);
      return [h, next];
    },
    toTorch(v, prefix, out) {
      // PyTorch's order: weight_ih, weight_hh, bias_ih, bias_hh (the carry is not part of the state dict).
      out[`${prefix}weight_ih`] = linearToTorch(v.params.ih.w);
      out[`${prefix}weight_hh`] = linearToTorch(v.params.hh.w);
      if (hasBias) {
        out[`${prefix}bias_ih`] = copy(v.params.ih.b!);
        out[`${prefix}bias_hh`] = copy(v.params.hh.b!);
      }
    },
    fromTorch(r, prefix) {
      return { params: { ih: side(r, prefix, 'ih', nIn), hh: side(r, prefix, 'hh', hidden) }, state: initCarry() };
    },
  };
}

/**
 * An LSTM step (PyTorch's nn.LSTMCell), gates in PyTorch's order i, f, g, o:
 * i = σ(x W_ii + b_ii + h W_hi + b_hi), f = σ(...), g = tanh(...), o = σ(...),
 * c' = f c + i g, h' = o tanh(c'). The carry `{ h, c }` is the layer's state; apply
 * returns [h', { h', c' }]. State-dict names: weight_ih [4h, in], weight_hh [4h, h],
 * bias_ih, bias_hh [4h].
 * @example
 * const cell = nn.lstmCell({ in: 8, hidden: 16 });
 * const { params } = cell.init(random.key(0));
 * const [h, carry] = cell.apply(params, cell.initCarry([32]), x); // x [32, 8] -> h [32, 16]
 */
export function lstmCell(config: RecurrentConfig): RecurrentCell<LstmCarry> {
  return recurrentCell<LstmCarry>('lstmCell', config, 4, ['h', 'c'], lstmUpdate);
}

/** The LSTM update from the gate pre-activations of x (gi) and h (gh), [..., 4 hidden] in the order i, f, g, o. */
export function lstmUpdate(gi: NdArray, gh: NdArray, carry: LstmCarry): LstmCarry {
  const [i, f, g, o] = np.split(np.add(gi, gh), 4, -1);
  const c = np.add(np.mul(np.sigmoid(f), carry.c), np.mul(np.sigmoid(i), np.tanh(g)));
  return { h: np.mul(np.sigmoid(o), np.tanh(c)), c };
}

/**
 * A GRU step (PyTorch's nn.GRUCell), gates in PyTorch's order r, z, n:
 * r = σ(x W_ir + b_ir + h W_hr + b_hr), z = σ(...), n = tanh(x W_in + b_in + r (h W_hn + b_hn)),
 * h' = (1 - z) n + z h. The carry `{ h }` is the layer's state; apply returns [h', { h' }].
 * State-dict names: weight_ih [3h, in], weight_hh [3h, h], bias_ih, bias_hh [3h].
 * @example
 * const cell = nn.gruCell({ in: 8, hidden: 16 });
 * const { params } = cell.init(random.key(0));
 * const [last, hs] = lax.scan((c, xt) => cell.step(params, c, xt), cell.initCarry([32]), xs); // xs [T, 32, 8]
 */
export function gruCell(config: RecurrentConfig): RecurrentCell<GruCarry> {
  return recurrentCell<GruCarry>('gruCell', config, 3, ['h'], gruUpdate);
}

/** The GRU update from the gate pre-activations of x (gi) and h (gh), [..., 3 hidden] in the order r, z, n. */
export function gruUpdate(gi: NdArray, gh: NdArray, carry: GruCarry): GruCarry {
  const [ri, zi, ni] = np.split(gi, 3, -1);
  const [rh, zh, nh] = np.split(gh, 3, -1);
  const r = np.sigmoid(np.add(ri, rh));
  const z = np.sigmoid(np.add(zi, zh));
  const n = np.tanh(np.add(ni, np.mul(r, nh)));
  // (1 - z) n + z h = n + z (h - n)
  return { h: np.add(n, np.mul(z, np.sub(carry.h, n))) };
}

/** An Elman RNN's nonlinearity (torch's nonlinearity='tanh' | 'relu'). */
export type RnnNonlinearity = 'tanh' | 'relu';

/** The Elman update h' = act(x W_ih + b_ih + h W_hh + b_hh), or an error naming a bad nonlinearity. */
export function rnnUpdate(nonlinearity: RnnNonlinearity, what: string): (gi: NdArray, gh: NdArray) => GruCarry {
  if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') throw new Error(`${what}: nonlinearity must be 'tanh' or 'relu', got '${String(nonlinearity)}'`);
  const act = nonlinearity === 'tanh' ? np.tanh : np.relu;
  return (gi, gh) => ({ h: act(np.add(gi, gh)) });
}

export interface RnnCellConfig extends RecurrentConfig {
  /** Default 'tanh'. */
  readonly nonlinearity?: RnnNonlinearity;
}

/**
 * An Elman RNN step (PyTorch's nn.RNNCell): h' = tanh(x W_ih + b_ih + h W_hh + b_hh) (or relu).
 * The carry `{ h }` is the layer's state; apply returns [h', { h' }]. State-dict names: weight_ih
 * [h, in], weight_hh [h, h], bias_ih, bias_hh [h].
 */
export function rnnCell(config: RnnCellConfig): RecurrentCell<GruCarry> {
  return recurrentCell<GruCarry>('rnnCell', config, 1, ['h'], rnnUpdate(config.nonlinearity ?? 'tanh', 'rnnCell'));
}
