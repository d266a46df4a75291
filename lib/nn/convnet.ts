/**
 * A small ConvNet for 28x28 grayscale images (MNIST-sized) that trains in minutes on a
 * CPU: 3x3 convolutions, the first with stride 1 and the others with stride 2, each without
 * bias and followed by BatchNorm and ReLU, then a global average pool. The default widths
 * [32, 64, 128] are the benchmark's 1->32 (s1), 32->64 (s2), 64->128 (s2): a 128-d embedding.
 * A fourth stage (e.g. [16, 32, 64, 128]) grows the receptive field from 15 to 31 pixels,
 * so that on 28x28 images every output unit sees the whole image before the pool.
 * PyTorch names: conv1, bn1, conv2, bn2, ...
 */
import * as np from '../ops/index.js';
import { decodeOrThrow, listOf, positiveInt } from '../util/codecs.js';
import { strictPartial } from '../util/strict-partial.js';
import * as init from './init.js';
import { composite, type Encoder, globalPooled, type Layer } from './layer.js';
import { conv2d } from './conv.js';
import { batchNorm } from './normalisation.js';

export interface ConvNetSmallOptions {
  /** Input channels (default 1). */
  readonly inChannels?: number;
  /** Channel widths of the convolutions, one stage each (default [32, 64, 128]). */
  readonly widths?: readonly number[];
}

/** The io-ts codec of {@link ConvNetSmallOptions}: unknown keys are errors. */
export const ConvNetSmallOptionsCodec = strictPartial(
  { inChannels: positiveInt, widths: listOf(positiveInt, 'a non-empty list of positive integers') },
  'an object of convnet_small options',
);

export function convnetSmall(options: ConvNetSmallOptions = {}): Encoder {
  options = decodeOrThrow(ConvNetSmallOptionsCodec, options, 'convnet_small options');
  const cin = options.inChannels ?? 1;
  const widths = options.widths ?? [32, 64, 128];
  const convInit = init.kaimingNormal({ mode: 'fanOut', nonlinearity: 'relu' });
  const layers: Record<string, Layer> = {};
  widths.forEach((w, i) => {
    layers[`conv${i + 1}`] = conv2d({ in: i === 0 ? cin : widths[i - 1], out: w, kernel: 3, stride: i === 0 ? 1 : 2, padding: 1, bias: false, weightInit: convInit });
    layers[`bn${i + 1}`] = batchNorm({ features: w });
  });
  const body = globalPooled(
    composite('convnet_small', layers, (call, x) => {
      let y = x;
      for (let i = 1; i <= widths.length; i++) y = np.relu(call(`bn${i}`, call(`conv${i}`, y)));
      return y;
    }),
  );
  return { ...body, kind: 'encoder', name: 'convnet_small', embeddingDim: widths[widths.length - 1], options: { inChannels: cin, widths: [...widths] } };
}
