/**
 * The fixtures' `TinySwAV`, built from our own layers: backbone conv1 3x3 s1 p1 3->8 (no
 * bias), bn1, ReLU, conv2 3x3 s2 p1 8->16 (no bias), bn2, ReLU, global average pool
 * (16-d); projector 16->32->BN->ReLU->8, L2; prototypes [12, 8].
 */
import * as tf from '@tensorflow/tfjs-core';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import type { EncoderLayer, SwavConfigInput } from '../../lib/ssl/swav/index.js';

export function tinyBackbone(): EncoderLayer {
  const conv = (i: number, o: number, stride: number) => nn.conv2d({ in: i, out: o, kernel: 3, stride, padding: 1, bias: false });
  const body = nn.composite(
    'tiny_backbone',
    { conv1: conv(3, 8, 1), bn1: nn.batchNorm({ features: 8 }), conv2: conv(8, 16, 2), bn2: nn.batchNorm({ features: 16 }) },
    (call, x) => np.mean(np.relu(call('bn2', call('conv2', np.relu(call('bn1', call('conv1', x)))))), [1, 2]),
  );
  return { ...body, embeddingDim: 16 };
}

/** The fixture's configuration over our layers. */
export function tinyConfig(extra: SwavConfigInput = {}): SwavConfigInput {
  return {
    encoder: tinyBackbone(),
    projector: { hiddenDim: 32, outDim: 8 },
    numPrototypes: 12,
    temperature: 0.1,
    epsilon: 0.05,
    sinkhornIterations: 3,
    ...extra,
  };
}

/** NCHW nested arrays (PyTorch) -> an NHWC tensor. */
export function nhwc(view: number[][][][]): tf.Tensor {
  return tf.tidy(() => tf.transpose(tf.tensor(view), [0, 2, 3, 1]));
}

/** A PyTorch state dict given as { name: nested array } -> tensors. */
export function stateDict(entries: Record<string, unknown>): Record<string, tf.Tensor> {
  return Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, tf.tensor(v as number[])]));
}

/** Random NHWC images for quick training checks. */
export function randomViews(seed: number, n: number, batch: number, size: number): tf.Tensor[] {
  return Array.from({ length: n }, (_, i) => tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', seed * 100 + i));
}

export { disposeExcept, tensorsIn } from '../../lib/util/tensors.js';
