/** torch.nn.functional.pad: widths for the last axes first, negative widths crop, PyTorch's four modes. */
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';

export type TorchPadMode = 'constant' | 'reflect' | 'replicate' | 'circular';
const NP_MODES = { reflect: 'reflect', replicate: 'edge', circular: 'wrap' } as const;

/**
 * x padded as F.pad(x, pad, mode, value): `pad` holds (before, after) pairs for the last axis, then
 * the one before it, ... (PyTorch's order, the reverse of np.pad's). A negative width crops that
 * side first, then the padding reads the cropped array (as PyTorch). 'constant' fills `value`
 * (default 0) on any number of axes; 'reflect' (mirror without the edge; widths below the side),
 * 'replicate' (the edge repeated) and 'circular' (the other end; widths up to the side) pad at most
 * the last 3 axes, and not every axis (PyTorch keeps a batch or channel axis in front).
 * @example F.pad(x, [1, 1, 2, 0], { mode: 'reflect' }) // last axis +1 each side, the one before +2 at the start
 */
export function pad(x: NdArray, pad: readonly number[], { mode = 'constant', value = 0 }: { readonly mode?: TorchPadMode; readonly value?: number } = {}): NdArray {
  const s = x.shape;
  const n = pad.length / 2;
  if (!Number.isInteger(n) || n > s.length || pad.some((p) => !Number.isInteger(p)))
    throw new Error(`pad: pad must hold integer (before, after) pairs for at most ${s.length} axes of ${shapeStr(s)}, got [${pad.join(', ')}]`);
  if (mode !== 'constant' && !Object.hasOwn(NP_MODES, mode)) throw new Error(`pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got '${String(mode)}'`);
  if (mode !== 'constant' && (n > 3 || n >= s.length))
    throw new Error(`pad: mode '${mode}' pads at most the last 3 axes and not all of them, got ${n} pairs for ${shapeStr(s)}`);
  const pairs = Array.from({ length: s.length }, (_, a): [number, number] => {
    const i = s.length - 1 - a;
    return i < n ? [pad[2 * i], pad[2 * i + 1]] : [0, 0];
  });
  let y = x;
  pairs.forEach(([lo, hi], a) => {
    if (lo < 0 || hi < 0) y = np.sliceAxis(y, a, Math.max(-lo, 0), s[a] - Math.max(-hi, 0));
  });
  const widths = pairs.map(([lo, hi]) => [Math.max(lo, 0), Math.max(hi, 0)] as [number, number]);
  if (mode === 'constant') return np.pad(y, widths, value);
  widths.forEach(([lo, hi], a) => {
    const size = y.shape[a];
    const limit = mode === 'reflect' ? size - 1 : mode === 'circular' ? size : Infinity;
    if (lo > limit || hi > limit)
      throw new Error(`pad: mode '${mode}' needs widths ${mode === 'reflect' ? 'below' : 'at most'} the axis size ${size} (axis ${a} of ${shapeStr(y.shape)}), got (${lo}, ${hi})`);
  });
  return np.pad(y, widths, { mode: NP_MODES[mode] });
}
