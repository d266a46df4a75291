/**
 * Sections 7 and 8 (issue 19): the SwAV step on the seed's real encoders, tfjax against
 * PyTorch with 1 and with 2 threads, interleaved in one command.
 *
 *   resnet18  ResNet-18 with the low-resolution stem (lib/nn's resnet), random 32x32x3 views,
 *             batch 64, two views, projector 512-2048-128, K = 3000, SGD;
 *   vit       ViT-tiny (patch 4 on 32x32: 64 tokens + the class token; its 224-sized
 *             position grid resized on every forward, lib/nn's dynamic image size), the same step
 *             with projector 192-2048-128.
 *
 * PyTorch runs bench/pytorch/steps.py's copies of the same steps (kinds swav_resnet18 and
 * swav_vit_tiny); the 1-thread child is the bench's shared one, the 2-thread child is started here.
 */
import type { BenchContext } from '../context.js';
import { ourSwav } from '../context.js';
import { type Contender, compare, convFlops, convOut, fmt, timingTable } from '../harness.js';
import { TorchPeer } from '../peers/pytorch.js';

export interface EncoderBench {
  readonly heading: string;
  readonly label: string;
  readonly encoder: string;
  readonly encoderOptions: Record<string, unknown>;
  readonly torchKind: 'swav_resnet18' | 'swav_vit_tiny';
  /** FLOPs of the encoder's forward pass on `batch` views of side `s`. */
  readonly forwardFlops: (batch: number, s: number) => number;
  readonly embedDim: number;
}

/** ResNet-18 (low-resolution stem): every convolution, 2*N*Ho*Wo*kh*kw*Cin*Cout. */
export function resnet18LowResFlops(batch: number, s: number): number {
  let f = convFlops(batch, s, s, 3, 64, 1);
  let size = s;
  let cin = 64;
  for (const [cout, stride] of [[64, 1], [128, 2], [256, 2], [512, 2]] as const) {
    const out = convOut(size, 3, stride, 1);
    f += convFlops(batch, size, size, cin, cout, stride) + 3 * convFlops(batch, out, out, cout, cout, 1);
    if (stride !== 1 || cin !== cout) f += convFlops(batch, size, size, cin, cout, stride, 1, 0);
    size = out;
    cin = cout;
  }
  return f;
}

/** ViT (patch p, width d, depth L, MLP 4d): patch embedding, qkv/proj/MLP matmuls and the two attention products per block. */
export function vitFlops(batch: number, s: number, p = 4, d = 192, depth = 12): number {
  const grid = (s / p) ** 2;
  const t = grid + 1;
  const perBlock = t * 12 * d * d + 2 * t * t * d;
  return 2 * batch * (grid * p * p * 3 * d + depth * perBlock);
}

export const RESNET: EncoderBench = {
  heading: '## 8. ResNet-18 SwAV step',
  label: 'ResNet-18 (low-resolution stem)',
  encoder: 'resnet18',
  encoderOptions: { lowResolution: true },
  torchKind: 'swav_resnet18',
  forwardFlops: resnet18LowResFlops,
  embedDim: 512,
};

export const VIT: EncoderBench = {
  heading: '## 9. ViT-tiny SwAV step',
  label: 'ViT-tiny (patch 4, 64 tokens + class token)',
  encoder: 'vit_tiny_patch16_224',
  encoderOptions: { patchSize: 4, imgSize: 224 },
  torchKind: 'swav_vit_tiny',
  forwardFlops: (b, s) => vitFlops(b, s),
  embedDim: 192,
};

/** The SwAV configuration of an encoder section's step (projector embedDim-2048-128, K prototypes). */
export function encoderSwavConfig(e: EncoderBench, K: number) {
  return { encoder: e.encoder, encoderOptions: e.encoderOptions, projector: { hiddenDim: 2048, outDim: 128 }, numPrototypes: K };
}

/** FLOPs of an encoder's SwAV step (3x the forward: encoder, projector embedDim-2048-128 and K prototype scores, per view). */
export function encoderStepFlops(e: EncoderBench, batch: number, views: readonly number[], K: number, hidden = 2048): number {
  return 3 * views.reduce((acc, s) => acc + e.forwardFlops(batch, s) + 2 * batch * (e.embedDim * hidden + hidden * 128 + 128 * K), 0);
}

export const resnetSection = (ctx: BenchContext) => encoderSection(ctx, RESNET);
export const vitSection = (ctx: BenchContext) => encoderSection(ctx, VIT);

async function encoderSection(ctx: BenchContext, e: EncoderBench): Promise<string> {
  const batch = ctx.quick ? 2 : 64;
  const views = [32, 32];
  const K = ctx.quick ? 30 : 3000;
  const config = encoderSwavConfig(e, K);
  const hidden = config.projector.hiddenDim;
  const reps = ctx.quick ? 1 : Math.min(ctx.reps, 3);
  const flops = encoderStepFlops(e, batch, views, K, hidden);
  const out = [`${e.heading} (${e.label}, projector ${e.embedDim}-${hidden}-128, K = ${K}, SGD)\n`];
  out.push(
    `Random 32x32x3 views, batch ${batch}, two views; ${reps} interleaved round(s) after 1 warm-up (ours: the trace), medians. FLOPs (${fmt(flops / 1e9, 2)} GFLOP per step): 3x the forward's convolutions / matmuls (2 per multiply-add), projector and prototype scores included; BatchNorm, LayerNorm, softmax, Sinkhorn and elementwise work not counted.\n`,
  );
  const ours = ourSwav('tfjax jit(swav.trainStep)', {
    batch,
    views,
    channels: 3,
    config,
  });
  const contenders: Contender[] = [ours];
  const notes = ['tfjs wasm'];
  const closers: (() => Promise<void>)[] = [];
  if (ctx.torch) {
    const one = await ctx.torch.setup({ kind: e.torchKind, batch, views, prototypes: K });
    closers.push(one.drop);
    contenders.push({ name: 'PyTorch, 1 thread (same step)', step: one.step });
    notes.push('PyTorch CPU, 1 thread');
    const peer2 = await TorchPeer.start(2);
    if (typeof peer2 !== 'string') {
      const two = await peer2.setup({ kind: e.torchKind, batch, views, prototypes: K });
      closers.push(() => peer2.close());
      contenders.push({ name: 'PyTorch, 2 threads (same step)', step: two.step });
      notes.push('PyTorch CPU, 2 threads');
    }
  }
  try {
    ctx.progress(`${e.encoder} SwAV step, batch ${batch}`);
    const ts = await compare(contenders, { warmup: 1, reps });
    ts.forEach((t, i) => ctx.results.push({ step: `${e.label} SwAV step, batch ${batch}`, contender: t.name, backend: notes[i]!, medianMs: t.medianMs, medianCpuMs: t.medianCpuMs ?? NaN, flops }));
    out.push(timingTable(ts, notes.map((note) => ({ flops, note }))));
    if (!ctx.torch) out.push(`PyTorch not measured here (${ctx.torchNote}).\n`);
  } finally {
    ours.dispose();
    for (const close of closers) await close();
  }
  return out.join('\n');
}
