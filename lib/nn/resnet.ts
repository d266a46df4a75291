/**
 * ResNet-18/34/50 as torchvision and timm build them, without the classifier: the
 * output is the global-average-pooled feature (512 or 2048 wide). Parameter names and
 * PyTorch names match timm/torchvision (`conv1`, `bn1`, `layer1.0.conv1`,
 * `layer2.0.downsample.0`, ...), so their state dicts load directly.
 *
 * `lowResolution: true` replaces the stem by a 3x3 stride-1 convolution and drops the
 * max-pool, as stable-pretraining's `from_timm(..., low_resolution=True)` does for
 * 32x32 images.
 *
 * Init (timm's ResNet.init_weights): convs kaiming_normal(fan_out, relu), BatchNorm
 * scale 1 / bias 0, and the last BatchNorm of each residual block zero-initialised
 * (timm's zero_init_last=True; pass `zeroInitLast: false` for torchvision's default).
 *
 * `dropPathRate`: timm's stochastic depth, in training with a key: each block's residual branch
 * (after its last BatchNorm, before the shortcut is added) dropped per sample, the rate rising
 * linearly over the blocks from 0 to `dropPathRate` (timm's `drop_path_rate`).
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import { boolean, decodeOrThrow, positiveInt, unitInterval } from '../util/codecs.js';
import { strictPartial } from '../util/strict-partial.js';
import * as init from './init.js';
import { composite, type Encoder, globalPooled, type Layer, sequential } from './layer.js';
import { conv2d } from './conv.js';
import { dropPathBranch, dropPathRates } from './drop-path.js';
import { batchNorm } from './normalisation.js';

export interface ResNetOptions {
  /** 3x3 stride-1 stem and no max-pool (for 32x32 inputs). Default false. */
  readonly lowResolution?: boolean;
  /** Input channels (default 3). */
  readonly inChannels?: number;
  /** Zero-init the last BatchNorm scale of each block (timm default true). */
  readonly zeroInitLast?: boolean;
  /** Stochastic depth in training, rising linearly over the blocks from 0 to this rate (timm's `drop_path_rate`; default 0). */
  readonly dropPathRate?: number;
}

/** The io-ts codec of {@link ResNetOptions}: unknown keys are errors. */
export const ResNetOptionsCodec = strictPartial({ lowResolution: boolean, inChannels: positiveInt, zeroInitLast: boolean, dropPathRate: unitInterval }, 'an object of resnet options');

type BlockKind = 'basic' | 'bottleneck';

const convInit = init.kaimingNormal({ mode: 'fanOut', nonlinearity: 'relu' });
const conv = (cin: number, cout: number, kernel: number, stride = 1) =>
  conv2d({ in: cin, out: cout, kernel, stride, padding: Math.floor(kernel / 2), bias: false, weightInit: convInit });

/** A BatchNorm whose scale starts at zero (the last of a residual block). */
function zeroBatchNorm(features: number): Layer {
  const bn = batchNorm({ features });
  return { ...bn, init: (key) => { const v = bn.init(key); return { params: { scale: np.zeros([features]), bias: v.params.bias }, state: v.state }; } };
}

function block(kind: BlockKind, inplanes: number, planes: number, stride: number, zeroLast: boolean, dropPath: number): Layer {
  const expansion = kind === 'basic' ? 1 : 4;
  const outC = planes * expansion;
  const lastBn = (c: number) => (zeroLast ? zeroBatchNorm(c) : batchNorm({ features: c }));
  const needsDown = stride !== 1 || inplanes !== outC;
  const children: Record<string, Layer> =
    kind === 'basic'
      ? { conv1: conv(inplanes, planes, 3, stride), bn1: batchNorm({ features: planes }), conv2: conv(planes, planes, 3), bn2: lastBn(planes) }
      : {
          conv1: conv(inplanes, planes, 1),
          bn1: batchNorm({ features: planes }),
          conv2: conv(planes, planes, 3, stride),
          bn2: batchNorm({ features: planes }),
          conv3: conv(planes, outC, 1),
          bn3: lastBn(outC),
        };
  if (needsDown) children.downsample = sequential([conv(inplanes, outC, 1, stride), batchNorm({ features: outC })]);
  const what = kind === 'basic' ? 'basicBlock' : 'bottleneck';
  return composite(what, children, (call, x, opts) => {
    let y = np.relu(call('bn1', call('conv1', x)));
    if (kind === 'basic') y = call('bn2', call('conv2', y));
    else y = call('bn3', call('conv3', np.relu(call('bn2', call('conv2', y)))));
    const shortcut = needsDown ? call('downsample', x) : x;
    return np.relu(np.add(dropPathBranch(opts, dropPath, 0, y, what), shortcut));
  });
}

const SPECS: Record<string, { kind: BlockKind; depths: [number, number, number, number] }> = {
  resnet18: { kind: 'basic', depths: [2, 2, 2, 2] },
  resnet34: { kind: 'basic', depths: [3, 4, 6, 3] },
  resnet50: { kind: 'bottleneck', depths: [3, 4, 6, 3] },
};

/** One of resnet18, resnet34, resnet50 (NHWC input, output [N, embeddingDim]). */
export function resnet(name: 'resnet18' | 'resnet34' | 'resnet50', options: ResNetOptions = {}): Encoder {
  const spec = SPECS[name];
  if (!spec) throw new Error(`resnet: unknown depth '${name}' (resnet18, resnet34, resnet50)`);
  options = decodeOrThrow(ResNetOptionsCodec, options, `${name} options`);
  const lowRes = options.lowResolution ?? false;
  const zeroLast = options.zeroInitLast ?? true;
  const cin = options.inChannels ?? 3;
  const expansion = spec.kind === 'basic' ? 1 : 4;
  const dropPathRate = options.dropPathRate ?? 0;
  const rates = dropPathRates(dropPathRate, spec.depths.reduce((a, b) => a + b, 0));
  let blockIndex = 0;
  const children: Record<string, Layer> = {
    conv1: lowRes ? conv(cin, 64, 3, 1) : conv(cin, 64, 7, 2),
    bn1: batchNorm({ features: 64 }),
  };
  let inplanes = 64;
  [64, 128, 256, 512].forEach((planes, i) => {
    const blocks: Layer[] = [];
    for (let b = 0; b < spec.depths[i]; b++) {
      blocks.push(block(spec.kind, inplanes, planes, b === 0 && i > 0 ? 2 : 1, zeroLast, rates[blockIndex++]));
      inplanes = planes * expansion;
    }
    children[`layer${i + 1}`] = sequential(blocks);
  });
  const body = globalPooled(
    composite(name, children, (call, x: NdArray) => {
      let y = np.relu(call('bn1', call('conv1', x)));
      if (!lowRes) y = np.maxPool(y, { window: 3, strides: 2, padding: 1 });
      for (let i = 1; i <= 4; i++) y = call(`layer${i}`, y);
      return y;
    }),
  );
  return { ...body, kind: 'encoder', name, embeddingDim: 512 * expansion, options: { lowResolution: lowRes, inChannels: cin, zeroInitLast: zeroLast, dropPathRate } };
}
