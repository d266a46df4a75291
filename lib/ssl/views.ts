/**
 * Encoding views: every self-supervised method sends a list of augmented views through
 * a chain of layers (encoder, then projector, predictor or head) and threads the
 * layers' state (BatchNorm running statistics) from one forward to the next.
 *
 * Two ways to batch, as the seed does them:
 * - `'perView'`: each view its own forward (SwAV, SimCLR, BYOL, VICReg, ...): BatchNorm
 *   normalises with that view's batch statistics, and its running statistics are
 *   updated once per view, in view order;
 * - `'concat'`: the views concatenated into ONE batch (DINO's global views, and its local
 *   views as a second call): BatchNorm sees all of them at once, one update.
 */
import { type NdArray, isArray, shapeStr } from '../core/index.js';
import * as nn from '../nn/index.js';
import * as np from '../ops/index.js';
import * as random from '../random/index.js';
import { showValue } from '../util/show-value.js';

/**
 * A batch of views, in the seed's calling conventions: `{ view1, view2 }` (two views) or
 * `{ globalViews, localViews? }` (multi-crop; the global views come first). `{ images }`
 * (or `{ view1 }` alone) is the evaluation form: no views, just images.
 */
export type ViewsBatch =
  | { readonly view1: NdArray; readonly view2: NdArray }
  | { readonly globalViews: readonly NdArray[]; readonly localViews?: readonly NdArray[] }
  | { readonly images: NdArray }
  | { readonly view1: NdArray };

/**
 * The views of a batch in order (global first) and how many are global; null for the
 * evaluation form `{ images }` / `{ view1 }`. `who` names the caller in errors.
 */
export function viewsOf(batch: ViewsBatch, who: string): { views: NdArray[]; numGlobal: number } | null {
  const x = batch as Record<string, unknown>;
  const known = ['view1', 'view2', 'globalViews', 'localViews', 'images'];
  const unknown = Object.keys(x).filter((k) => !known.includes(k) && x[k] !== undefined);
  if (unknown.length) throw new Error(`${who}: unknown input key(s) ${unknown.join(', ')}; expected { view1, view2 }, { globalViews, localViews }, or { images }`);
  if (x.images !== undefined) return (checkBatch(x.images, 'images', who), null);
  if (x.view1 !== undefined && x.view2 === undefined && x.globalViews === undefined) return (checkBatch(x.view1, 'view1', who), null);
  if (x.globalViews !== undefined) {
    const g = x.globalViews as NdArray[];
    const l = (x.localViews as NdArray[] | undefined) ?? [];
    if (!Array.isArray(g) || g.length === 0) throw new Error(`${who}: globalViews must be a non-empty list of image batches`);
    if (!Array.isArray(l)) throw new Error(`${who}: localViews must be a list of image batches`);
    g.forEach((v, i) => checkBatch(v, `globalViews[${i}]`, who));
    l.forEach((v, i) => checkBatch(v, `localViews[${i}]`, who));
    return { views: [...g, ...l], numGlobal: g.length };
  }
  if (x.view1 !== undefined && x.view2 !== undefined) return { views: [checkBatch(x.view1, 'view1', who), checkBatch(x.view2, 'view2', who)], numGlobal: 2 };
  throw new Error(`${who} needs either { view1, view2 }, { globalViews, localViews }, or { images }`);
}

/**
 * `v` if it is a batch, an array [N, ...] (a tensor or a traced value); else a one-line error naming
 * `who` and `what` (`simclr: view1 must be a batch of images (an array [N, ...]), got a JS array of
 * length 4; make it one with np.array(...)`). As jax.numpy, plain JS arrays are not converted silently.
 */
export function checkBatch(v: unknown, what: string, who: string): NdArray {
  if (isArray(v) && v.shape.length > 0) return v;
  throw new Error(`${who}: ${what} must be a batch of images (an array [N, ...]), got ${describeNonBatch(v)}`);
}

/** What a value that is not a batch is, for {@link checkBatch}'s error. */
function describeNonBatch(v: unknown): string {
  if (isArray(v)) return 'a scalar';
  if (Array.isArray(v)) return `a JS array of length ${v.length}; make it one with np.array(...)`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} (flat data); make it one with tf.tensor(data, shape)`;
  return showValue(v);
}

/**
 * `viewsOf` for a loss that pairs the views row by row (every method's): each view must be a batch
 * of the same images, so of one batch size; else an error naming the first view that differs.
 * @example const { views, numGlobal } = viewsOfOneBatch(batch, 'mine')!;
 */
export function viewsOfOneBatch(batch: ViewsBatch, who: string): { views: NdArray[]; numGlobal: number } | null {
  const parsed = viewsOf(batch, who);
  if (parsed !== null) checkOneBatch(batch, parsed.views, parsed.numGlobal, who);
  return parsed;
}

/** Every view a batch [N, ...] of one N, or an error naming the first that is not (by its key in `batch`). */
function checkOneBatch(batch: ViewsBatch, views: readonly NdArray[], numGlobal: number, who: string): void {
  const twoForm = (batch as Record<string, unknown>).globalViews === undefined;
  const name = (i: number) => (twoForm ? `view${i + 1}` : i < numGlobal ? `globalViews[${i}]` : `localViews[${i - numGlobal}]`);
  views.forEach((v, i) => {
    if (checkBatch(v, name(i), who).shape[0] !== views[0].shape[0]) throw new Error(`${who}: every view must hold the same number of images; ${name(i)} is ${shapeStr(v.shape)} but ${name(0)} ${shapeStr(views[0].shape)}`);
  });
}

/** The two views of a two-view batch (`{ view1, view2 }` or two `globalViews`) of one batch size, or an error naming `who`. */
export function twoViews(batch: ViewsBatch, who: string): [NdArray, NdArray] {
  const v = viewsOf(batch, who);
  if (v === null || v.views.length !== 2) throw new Error(`${who}: expected two views ({ view1, view2 } or two globalViews), got ${v === null ? '{ images } (the evaluation form: use embed)' : `${v.views.length} views`}`);
  checkOneBatch(batch, v.views, v.numGlobal, who);
  return [v.views[0], v.views[1]];
}

/** A layer as a chain stage: anything with `init` and `apply` (every `nn` layer and encoder). */
export interface StageLayer {
  apply(params: any, state: any, x: NdArray, opts?: nn.ApplyOptions): [NdArray, any];
}

/** The stages in order, by name: `params[name]` and `state[name]` are each stage's variables. */
export type Chain = Readonly<Record<string, StageLayer>>;

export interface EncodeViewsOptions {
  /** Training mode (batch statistics in BatchNorm, dropout). Default false. */
  readonly train?: boolean;
  /**
   * PRNG key for stochastic layers in training. View `i` (or the concatenated batch, as
   * view 0) gives the first stage `foldIn(key, i)` and stage `s > 0` `foldIn(foldIn(key, i), s)`.
   */
  readonly key?: NdArray;
  /** `'perView'` (default) or `'concat'` (see the module notes). */
  readonly batching?: 'perView' | 'concat';
  /** Index of the first view in the method's numbering, for keys (default 0). */
  readonly firstView?: number;
  /** The batch is sharded over this named axis: BatchNorm layers use the whole batch's statistics (see `nn.ApplyOptions`). */
  readonly axisName?: string;
}

export interface EncodedViews {
  /** Per stage name: its output for every view, in view order. */
  readonly outputs: Readonly<Record<string, NdArray[]>>;
  /** Per stage name: the state after these forwards. */
  readonly state: Readonly<Record<string, unknown>>;
}

/**
 * Sends `views` through the `chain` of stages, threading each stage's state.
 * @example
 * const { outputs, state: s } = encodeViews({ encoder, projector }, params, state, [v1, v2], { train: true });
 * const [h1, h2] = outputs.encoder;
 * const [z1, z2] = outputs.projector;
 */
export function encodeViews(
  chain: Chain,
  params: object,
  state: object,
  views: readonly NdArray[],
  opts: EncodeViewsOptions = {},
): EncodedViews {
  if (views.length === 0) throw new Error('encodeViews: expected at least one view, got none');
  views.forEach((v, i) => checkBatch(v, `view ${i}`, 'encodeViews'));
  const names = Object.keys(chain);
  const p = params as Readonly<Record<string, unknown>>;
  const st = state as Readonly<Record<string, unknown>>;
  for (const n of names) if (!(n in p)) throw new Error(`encodeViews: no parameters for stage '${n}' (params hold ${Object.keys(params).join(', ')})`);
  for (const n of names) if (!(n in st)) throw new Error(`encodeViews: no state for stage '${n}' (state holds ${Object.keys(state).join(', ')})`);
  const train = opts.train ?? false;
  const first = opts.firstView ?? 0;
  const current: Record<string, unknown> = Object.fromEntries(names.map((n) => [n, st[n]]));
  const forward = (x: NdArray, view: number): NdArray[] => {
    const viewKey = train && opts.key ? random.foldIn(opts.key, view) : undefined;
    let y = x;
    return names.map((n, s) => {
      const key = viewKey && s > 0 ? random.foldIn(viewKey, s) : viewKey;
      const [out, next] = chain[n].apply(p[n], current[n], y, { train, key, axisName: opts.axisName });
      current[n] = next;
      y = out;
      return out;
    });
  };
  const outputs: Record<string, NdArray[]> = Object.fromEntries(names.map((n) => [n, []]));
  if ((opts.batching ?? 'perView') === 'perView') {
    views.forEach((v, i) => forward(v, first + i).forEach((y, s) => outputs[names[s]].push(y)));
  } else {
    const sizes = views.map((v) => v.shape[0]);
    const rest = shapeStr(views[0].shape.slice(1));
    views.forEach((v, i) => {
      if (shapeStr(v.shape.slice(1)) !== rest) throw new Error(`encodeViews: views concatenated into one batch must agree beyond the batch axis; view ${i} is ${shapeStr(v.shape)}, view 0 ${shapeStr(views[0].shape)}`);
    });
    const ys = forward(views.length === 1 ? views[0] : np.concatenate([...views], 0), first);
    ys.forEach((y, s) => outputs[names[s]].push(...splitRows(y, sizes)));
  }
  return { outputs, state: current };
}

/** Splits [sum(sizes), ...] along axis 0 into pieces of the given sizes. */
function splitRows(y: NdArray, sizes: readonly number[]): NdArray[] {
  if (sizes.length === 1) return [y];
  const starts = sizes.map((_, i) => sizes.slice(0, i).reduce((a, b) => a + b, 0));
  return sizes.map((n, i) => np.sliceAxis(y, 0, starts[i], starts[i] + n));
}
