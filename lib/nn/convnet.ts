/**
 * A small ConvNet for 28x28 grayscale images (MNIST-sized) that trains in minutes on a
 * CPU: three 3x3 convolutions 1->32 (stride 1), 32->64 (stride 2), 64->128 (stride 2),
 * each without bias and followed by BatchNorm and ReLU, then a global average pool:
 * a 128-d embedding. PyTorch names: conv1, bn1, conv2, bn2, conv3, bn3.
 */
import * as np from '../ops/index.js';
import type { Encoder } from './encoder.js';
import * as init from './init.js';
import { composite } from './layer.js';
import { batchNorm, conv2d } from './layers.js';

export interface ConvNetSmallOptions {
  /** Input channels (default 1). */
  readonly inChannels?: number;
  /** Channel widths of the three convolutions (default [32, 64, 128]). */
  readonly widths?: readonly [number, number, number];
}

export function convnetSmall(options: ConvNetSmallOptions = {}): Encoder {
  const cin = options.inChannels ?? 1;
  const [w1, w2, w3] = options.widths ?? [32, 64, 128];
  const convInit = init.kaimingNormal({ mode: 'fanOut', nonlinearity: 'relu' });
  const conv = (i: number, o: number, stride: number) => conv2d({ in: i, out: o, kernel: 3, stride, padding: 1, bias: false, weightInit: convInit });
  const body = composite(
    'convnet_small',
    {
      conv1: conv(cin, w1, 1),
      bn1: batchNorm({ features: w1 }),
      conv2: conv(w1, w2, 2),
      bn2: batchNorm({ features: w2 }),
      conv3: conv(w2, w3, 2),
      bn3: batchNorm({ features: w3 }),
    },
    (call, x) => {
      let y = x;
      for (const i of [1, 2, 3]) y = np.relu(call(`bn${i}`, call(`conv${i}`, y)));
      return np.mean(y, [1, 2]);
    },
  );
  return { ...body, kind: 'encoder', name: 'convnet_small', embeddingDim: w3, options: { inChannels: cin, widths: [w1, w2, w3] } };
}
