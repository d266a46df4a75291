/**
 * PIRL (Misra & van der Maaten 2020), as stable-pretraining's `PIRL` (`methods/pirl.py`): one view
 * per image and its jigsaw (the image cut into `jigsawGrid x jigsawGrid` tiles, put back in a random
 * order per image), each through the encoder (each its own batch, the image first), then a
 * projection head of its own (`proj_image`, `proj_jigsaw`: Linear without bias) and L2
 * normalisation: `z_img`, `z_jig`. The image projections enter a memory bank (the seed's queue) and
 *
 * ```
 * loss1 = CE([z_jig . sg(z_img), z_jig @ queue^T] / T, 0)     (the jigsaw against its image)
 * loss2 = CE([z_img . sg(z_img), z_img @ queue^T] / T, 0)     (the image against the memory)
 * loss  = lambdaPirl loss1 + (1 - lambdaPirl) loss2
 * ```
 *
 * The jigsaw follows the seed's `_shuffle_patches`: square images only; a side not divisible by the
 * grid is first resized (bilinear, half-pixel centres, no antialiasing: `F.interpolate(...,
 * align_corners=False)`) to `floor(H / grid) * grid`, shuffled, and resized back; tile `i` of the
 * result is tile `permutations[b, i]` of the image (tiles numbered row by row).
 *
 * Defaults: the seed's (`vit_small_patch16_224` encoder, projections 128 wide, queue 16384,
 * temperature 0.07, `lambdaPirl` 0.5, a 4 x 4 jigsaw: the code's default, where its docstring says 3).
 *
 * Batch: `{ view1, view2?, permutations? }` (or `{ images, permutations? }`): `view1` is the image
 * (the seed ignores `view2`: PIRL takes one augmentation); `permutations` int32 [N, grid^2], each row
 * a permutation of the tiles, replays a run of the seed (which draws them with `torch.randperm`);
 * otherwise they are drawn from the step's key (`random.permutation` of each row, from the second
 * half of `split(key)`; the first goes to the encoder's stochastic layers).
 *
 * `queueOrder` (see ./queue.ts): `'readFirst'` (default, as the paper's memory bank: the image is
 * compared with the projections of earlier batches, then enters the bank) or `'appendFirst'` (the
 * seed: `queue.append(z_img)` comes first, so each image is also among its own negatives). Rows of
 * the queue not yet filled are masked out (one trace at every fill level). The queue is part of the
 * state dict (`queue.*`, the seed's `UnsortedQueue` buffers); the rest is `backbone.*`,
 * `proj_image.weight`, `proj_jigsaw.weight`.
 *
 * Sharded over a named axis: SyncBN in the encoder; the loss couples no samples otherwise (each
 * image meets only its own jigsaw and the memory), and the queue stays per member, as the seed's
 * under DDP. `embed` is the encoder in eval mode (the seed's `forward(view1)`). Metrics: `jigsawLoss`
 * (loss1) and `imageLoss` (loss2).
 */
import { type NdArray, shapeStr, stopGradient } from '../../core/index.js';
import { resize } from '../../data/augment/geometry.js';
import * as F from '../../nn/functional.js';
import * as nn from '../../nn/index.js';
import * as np from '../../ops/index.js';
import * as random from '../../random/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { positiveInt, positiveNumber, unitInterval } from '../codecs.js';
import { infoNce } from '../losses/index.js';
import { defineMethod } from '../method.js';
import { checkBatch, encodeViews } from '../views.js';
import { type QueueOrder, freshQueue, queueForLoss, queueOrderCodec, queueTorch } from './queue.js';
import { ENCODER_DEFAULTS, ENCODER_PROPS, type EncoderSettings, type NetState, type Params, encoderOf, network } from './network.js';

export interface PirlConfig extends EncoderSettings {
  /** Width of the two projections (the seed's `projector_dim`). */
  readonly projectorDim: number;
  readonly queueLength: number;
  readonly temperature: number;
  /** Weight of the jigsaw term; the image term gets `1 - lambdaPirl`. */
  readonly lambdaPirl: number;
  /** Tiles per side of the jigsaw. */
  readonly jigsawGrid: number;
  /** Whether the loss reads the queue before the image projections enter it (default) or after (the seed). */
  readonly queueOrder: QueueOrder;
}

/** A batch for PIRL: the images (`view1`; `view2` is ignored, as the seed does) and, optionally, the jigsaw's permutations [N, grid^2]. */
export type PirlBatch =
  | { readonly view1: NdArray; readonly view2?: NdArray; readonly permutations?: NdArray }
  | { readonly images: NdArray; readonly permutations?: NdArray };

const BATCH_KEYS = ['view1', 'view2', 'images', 'permutations'];

/** The images of a batch and its permutations, or a one-line error. */
function imagesOf(batch: PirlBatch): { images: NdArray; permutations?: NdArray } {
  const b = batch as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !BATCH_KEYS.includes(k) && b[k] !== undefined);
  if (unknown.length) throw new Error(`pirl: unknown input key(s) ${unknown.join(', ')}; expected { view1, view2?, permutations? } or { images, permutations? }`);
  const permutations = b.permutations === undefined ? undefined : checkBatch(b.permutations, 'permutations', 'pirl');
  if (b.view1 !== undefined) return { images: checkBatch(b.view1, 'view1', 'pirl'), permutations };
  if (b.images !== undefined) return { images: checkBatch(b.images, 'images', 'pirl'), permutations };
  throw new Error('pirl needs { view1 } (the images; view2 is ignored) or { images }');
}

/**
 * The jigsaw of square NHWC `images` on a `grid x grid` board: tile `i` (row by row) of image `b`'s
 * result is its tile `permutations[b, i]` (the seed's `_shuffle_patches`, a side not divisible by the
 * grid resized to `floor(H / grid) * grid` and back, bilinear without antialiasing).
 * @example const jig = jigsaw(images, random.permutation(key, np.broadcastTo(np.arange(16), [n, 16]), 1, true), 4);
 */
export function jigsaw(images: NdArray, permutations: NdArray, grid: number): NdArray {
  const s = np.shape(images);
  if (s.length !== 4) throw new Error(`pirl.jigsaw: images must be NHWC [N, H, W, C], got ${shapeStr(s)}`);
  const [n, h, w, c] = s;
  if (h !== w) throw new Error(`pirl.jigsaw: the jigsaw takes square images (the seed's), got ${h}x${w}`);
  const side = Math.floor(h / grid) * grid;
  if (side === 0) throw new Error(`pirl.jigsaw: images of side ${h} are smaller than the ${grid}x${grid} jigsaw grid`);
  const tiles = grid * grid;
  if (shapeStr(np.shape(permutations)) !== shapeStr([n, tiles]) || !permutations.dtype.startsWith('int'))
    throw new Error(`pirl: permutations must be int32 [${n}, ${tiles}] (a permutation of the ${grid}x${grid} tiles per image), got ${permutations.dtype} ${shapeStr(np.shape(permutations))}`);
  const p = side / grid;
  const board = side === h ? images : resize(images, [side, side], { antialias: false });
  const cut = np.reshape(np.transpose(np.reshape(board, [n, grid, p, grid, p, c]), [0, 1, 3, 2, 4, 5]), [n, tiles, p, p, c]);
  const moved = np.takeAlongAxis(cut, np.reshape(permutations, [n, tiles, 1, 1, 1]), 1, { mode: 'clip' });
  const out = np.reshape(np.transpose(np.reshape(moved, [n, grid, grid, p, p, c]), [0, 1, 3, 2, 4, 5]), [n, side, side, c]);
  return side === h ? out : resize(out, [h, h], { antialias: false });
}

/** The batch's permutations, else a random one per image from `key` (or an error without either). */
function permutationsOf(n: number, tiles: number, given: NdArray | undefined, key: NdArray | undefined): NdArray {
  if (given !== undefined) return given;
  if (key === undefined) throw new Error('pirl: the loss needs a key (for the jigsaw permutations) or the batch its permutations');
  return random.permutation(key, np.broadcastTo(np.arange(tiles, undefined, undefined, 'int32'), [n, tiles]), 1, true);
}

export const pirl = defineMethod<PirlConfig, Params, NetState, PirlBatch>({
  name: 'pirl',
  codec: strictPartial(
    { ...ENCODER_PROPS, projectorDim: positiveInt, queueLength: positiveInt, temperature: positiveNumber, lambdaPirl: unitInterval, jigsawGrid: positiveInt, queueOrder: queueOrderCodec },
    'a PIRL configuration object',
  ),
  defaults: { ...ENCODER_DEFAULTS, projectorDim: 128, queueLength: 16384, temperature: 0.07, lambdaPirl: 0.5, jigsawGrid: 4, queueOrder: 'readFirst' },
  build(c) {
    const enc = encoderOf(c, 'pirl');
    const heads = { proj_image: nn.linear({ in: enc.dim, out: c.projectorDim, bias: false }), proj_jigsaw: nn.linear({ in: enc.dim, out: c.projectorDim, bias: false }) };
    const net = network({ name: 'pirl', stages: { encoder: enc.layer, ...heads }, extraState: freshQueue(c.queueLength, c.projectorDim), extraTorch: queueTorch(c.queueLength, c.projectorDim) });
    const tiles = c.jigsawGrid * c.jigsawGrid;
    /** The L2-normalised projection of encodings `h` by head `name`. */
    const project = (name: keyof typeof heads, params: Params, state: NetState, h: NdArray) => F.l2Normalize(heads[name].apply(params[name], state[name], h)[0]);
    return {
      ...net.parts,
      loss(params, state, batch, { key, axisName } = {}) {
        net.checkState(state, ['queue']);
        const { images, permutations } = imagesOf(batch);
        const n = np.shape(images)[0];
        const [encKey, permKey] = key === undefined ? [undefined, undefined] : random.split(key);
        const jig = jigsaw(images, permutationsOf(n, tiles, permutations, permKey), c.jigsawGrid);
        const { outputs, state: s } = encodeViews(net.chain(['encoder']), params, state, [images, jig], { train: true, key: encKey, axisName });
        const zImg = project('proj_image', params, state, outputs.encoder[0]);
        const zJig = project('proj_jigsaw', params, state, outputs.encoder[1]);
        const { rows, valid, next } = queueForLoss(state.queue, zImg, c.queueOrder);
        // Candidates [sg(z_img); queue]: of the batch only each row's own image (target i), of the queue the filled rows.
        const mask = np.concatenate([np.logicalNot(np.cast(np.eye(n), 'bool')), np.broadcastTo(np.logicalNot(valid), [n, c.queueLength])], 1);
        const candidates = np.concatenate([stopGradient(zImg), rows], 0);
        const nce = (anchors: NdArray) => infoNce(anchors, candidates, np.arange(n), { temperature: c.temperature, mask });
        const jigsawLoss = nce(zJig);
        const imageLoss = nce(zImg);
        const loss = np.add(np.mul(c.lambdaPirl, jigsawLoss), np.mul(1 - c.lambdaPirl, imageLoss));
        return [loss, { state: net.next(state, s, { queue: next }), metrics: { jigsawLoss, imageLoss } }];
      },
    };
  },
});
