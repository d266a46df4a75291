/**
 * Functions for test/parallel/pmap-jax.test.ts (not a test file itself): pmap's workers
 * import this module and run its exports; the suite runs the same functions under vmap too.
 */
import { type NdArray, allGather, axisIndex, lax, pmax, pmean, pmin, ppermute, psum, psumScatter } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';

export const AXIS = 'd';

/** Collectives whose dtypes and pytree handling follow JAX; `opts` is a static (broadcast) argument. */
export function jaxCollectives(x: NdArray, opts: { readonly scale: number }) {
  return {
    scaled: np.mul(x, opts.scale),
    meanInt: pmean(np.cast(x, 'int32'), AXIS),
    countPositive: psum(np.greater(x, 0), AXIS),
    anyPositive: pmax(np.greater(x, 0), AXIS),
    index: np.add(axisIndex(AXIS), np.zeros([], 'int32')),
    tree: psum({ a: x, b: [np.mul(x, 2)] }, AXIS),
    gathered: allGather({ g: x }, AXIS, { axis: -1 }),
    shifted: ppermute(x, AXIS, [[0, 1], [1, 2]]),
    // A psum inside a scan body: the members' sum of each row, accumulated.
    scanned: lax.scan((c: NdArray, r: NdArray) => [np.add(c, psum(r, AXIS)), c] as [NdArray, NdArray], np.zeros([]), x)[0],
  };
}

/** The member's slice and its position (for inAxes / outAxes). */
export const sliceAndIndex = (x: NdArray) => ({ x: np.mul(x, 1), index: np.add(axisIndex(AXIS), np.zeros([], 'int32')), total: psum(np.sum(x), AXIS) });

/** int32 collectives on values past 2^24 (exact under vmap; the transport between workers carries floats). */
export const intCollectives = (x: NdArray) => ({
  sum: psum(x, AXIS),
  max: pmax(x, AXIS),
  min: pmin(x, AXIS),
  gathered: allGather(x, AXIS),
  shifted: ppermute(x, AXIS, [[0, 1], [1, 0]]),
  scattered: psumScatter(x, AXIS, { tiled: true }),
});
