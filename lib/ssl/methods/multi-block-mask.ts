/**
 * The seed's V-JEPA multi-block masking (`data/masking.py` `multi_block_mask`, used by SALT and by
 * the seed's `MultiBlockMasking`) as masks of fixed shape, drawn from a key so a step traces once:
 *
 * - one block size per distinct (scale, aspect ratio) pair: one `u ~ U[0, 1)` for both (the seed
 *   reuses its `_rand`), `scale = lo + u (hi - lo)`, `n = floor(gh gw scale)`, `aspect = lo' + u
 *   (hi' - lo')` (height over width), `h = min(round(sqrt(n aspect)), gh - 1)`, `w =
 *   min(round(sqrt(n / aspect)), gw - 1)` (Python's round, half to even): every block of a pair has
 *   that size, and no block spans the grid;
 * - each block at its own `top ~ U{0 .. gh - h}`, `left ~ U{0 .. gw - w}`; blocks may overlap; a
 *   block with no row or column is empty (the seed's `min_keep` retries cannot fill it).
 *
 * SALT's context and targets ({@link contextAndTargets}): the first block is the context, the
 * others the targets; the targets are their union, the context its block minus them. The seed's
 * `MultiBlockMasking` (`backbone/patch_masking.py`, MAE's `masking=` option) is the same draw and
 * the same context: MAE keeps the context and masks every other patch.
 *
 * This is not I-JEPA's algorithm (./ijepa-masks.ts: a size per block, log-uniform aspect ratio, no
 * overlap between targets, a random context subset). The seed draws with torch's global generator;
 * here the same distribution comes from the key, not the same stream (a run of the seed is replayed
 * from its indices).
 */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import * as random from '../../random/index.js';
import { spans } from '../masking.js';
import type { JepaMasks } from './ijepa-masks.js';
import type { Range } from './jepa-parts.js';

/** A kind of block: [min, max] of its fraction of the patches and of its aspect ratio (height over width). */
export interface BlockShape {
  readonly scale: Range;
  readonly aspectRatio: Range;
}

/**
 * One mask per block of a `gh` x `gw` patch grid, [blocks, gh * gw] (float32, 1: in the block, row-major), drawn from `key` (see the module notes).
 * @example const m = multiBlockMask(random.key(0), 14, 14, [{ scale: [0.85, 1], aspectRatio: [1, 1] }, { scale: [0.15, 0.2], aspectRatio: [0.75, 1.5] }]);
 */
export function multiBlockMask(key: NdArray, gh: number, gw: number, blocks: readonly BlockShape[]): NdArray {
  const kinds = new Map<string, number>();
  const kindOf = blocks.map((b) => {
    const id = JSON.stringify([b.scale, b.aspectRatio]);
    if (!kinds.has(id)) kinds.set(id, kinds.size);
    return kinds.get(id)!;
  });
  const [ku, kt, kl] = random.split(key, 3);
  const u = np.take(random.uniform(ku, [kinds.size]), kindOf);
  const lerp = (r: (b: BlockShape) => Range) => np.add(np.array(blocks.map((b) => r(b)[0])), np.mul(u, np.array(blocks.map((b) => r(b)[1] - r(b)[0]))));
  const n = np.floor(np.mul(lerp((b) => b.scale), gh * gw));
  const aspect = lerp((b) => b.aspectRatio);
  const h = np.minimum(np.round(np.sqrt(np.mul(n, aspect))), gh - 1);
  const w = np.minimum(np.round(np.sqrt(np.div(n, aspect))), gw - 1);
  // randint(0, g - size + 1) as floor(u (g - size + 1)).
  const top = np.floor(np.mul(random.uniform(kt, [blocks.length]), np.sub(gh + 1, h)));
  const left = np.floor(np.mul(random.uniform(kl, [blocks.length]), np.sub(gw + 1, w)));
  const inside = np.logicalAnd(np.expandDims(spans(top, h, gh), 2), np.expandDims(spans(left, w, gw), 1));
  return np.reshape(np.cast(inside, 'float32'), [blocks.length, gh * gw]);
}

export interface ContextTargetOptions {
  readonly numTargets: number;
  readonly contextScale: Range;
  readonly contextAspectRatio: Range;
  readonly targetScale: Range;
  readonly targetAspectRatio: Range;
}

/** A one-line problem with context / target options at config paths `.contextScale` etc., or null. */
export function contextTargetProblem(o: ContextTargetOptions): string | null {
  for (const f of ['contextScale', 'targetScale'] as const) {
    const [lo, hi] = o[f];
    if (!(lo > 0 && lo <= hi && hi <= 1)) return `at .${f} expected [min, max] with 0 < min <= max <= 1, got [${lo}, ${hi}]`;
  }
  for (const f of ['contextAspectRatio', 'targetAspectRatio'] as const) {
    const [lo, hi] = o[f];
    if (!(lo > 0 && lo <= hi)) return `at .${f} expected [min, max] with 0 < min <= max, got [${lo}, ${hi}]`;
  }
  return null;
}

/**
 * SALT's masks (the seed's `SALT._generate_masks`) for a batch of `batch` images of `gh` x `gw` patches, shared by the batch:
 * the targets the union of `numTargets` target blocks, the context the context block minus them.
 */
export function contextAndTargets(key: NdArray, batch: number, gh: number, gw: number, o: ContextTargetOptions): JepaMasks {
  const target = { scale: o.targetScale, aspectRatio: o.targetAspectRatio };
  const blocks = multiBlockMask(key, gh, gw, [{ scale: o.contextScale, aspectRatio: o.contextAspectRatio }, ...Array.from({ length: o.numTargets }, () => target)]);
  const union = np.max(np.sliceAxis(blocks, 0, 1, null), 0);
  const context = np.mul(np.squeeze(np.sliceAxis(blocks, 0, 0, 1), 0), np.sub(1, union));
  return { context: np.broadcastTo(context, [batch, gh * gw]), target: np.broadcastTo(union, [batch, gh * gw]) };
}
