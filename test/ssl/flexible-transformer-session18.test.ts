/**
 * The seed's `FlexibleTransformer` (lib/ssl/methods/flexible-transformer.ts) as MAE's decoder and
 * I-JEPA's predictor: their state dicts carry the seed's names and shapes (listed below from
 * stable-pretraining's module definitions: `MAEDecoder`, `FlexibleTransformer` in joint-attention
 * mode with no prefix tokens, `TransformerBlock` with `Attention` and timm's `Mlp`), the blocks'
 * MLP norm is `norm2` (the seed's name since May 2026, commit 15058f23), and a checkpoint of the
 * older seed (`norm3`) loads into the same variables as the current one.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as nn from '../../lib/nn/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import * as tree from '../../lib/tree/index.js';
import { errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { tensorsIn } from './tiny-swav.js';

await useTestBackend();

const DEPTH = 2;

/** A tiny ViT: `img` px images of `channels`, patch `img / 4` (16 patches), `width` wide, one block. */
const tinyVit = (img: number, channels: number, width: number) => nn.vit('vit_ft_test', { imgSize: img, patchSize: img / 4, inChannels: channels, embedDim: width, depth: 1, numHeads: 2 });
/** A tiny MAE: 8x8 RGB images, encoder width 8; decoder width 12, DEPTH blocks. */
const tinyMae = () => ssl.methods.mae({ encoder: tinyVit(8, 3, 8), decoderEmbedDim: 12, decoderDepth: DEPTH, decoderNumHeads: 2 });
/** A tiny I-JEPA: 16x16 grey images, encoder width 16; predictor width 8, DEPTH blocks. */
const tinyIjepa = () => ssl.methods.ijepa({ encoder: tinyVit(16, 1, 16), predictorEmbedDim: 8, predictorDepth: DEPTH, numTargets: 2 });

/**
 * The seed's `FlexibleTransformer(input_dim, hidden_dim, output_dim, num_patches, depth, self_attn=True,
 * cross_attn=False, use_adaln=False, pos_embed_type='sincos_2d', num_prefix_tokens=0, num_registers=0,
 * add_mask_token)` state dict: names and shapes.
 */
function seedFlexibleTransformer(inDim: number, dim: number, outDim: number, patches: number, addMaskToken: boolean): Record<string, number[]> {
  const out: Record<string, number[]> = {
    pos_embed: [1, patches, dim], // register_buffer (sincos_2d)
    'context_proj.weight': [dim, inDim],
    'context_proj.bias': [dim],
    'query_proj.weight': [dim, inDim],
    'query_proj.bias': [dim],
    'output_proj.weight': [outDim, dim],
    'output_proj.bias': [outDim],
    'final_norm.weight': [dim],
    'final_norm.bias': [dim],
  };
  if (addMaskToken) out.mask_token = [1, 1, dim];
  for (let i = 0; i < DEPTH; i++) {
    // TransformerBlock(self_attn=True, cross_attn=False, use_adaln=False): norm1, attn (qkv_bias=True), norm2, mlp (timm's Mlp, ratio 4).
    const block: Record<string, number[]> = {
      'norm1.weight': [dim],
      'norm1.bias': [dim],
      'attn.qkv.weight': [3 * dim, dim],
      'attn.qkv.bias': [3 * dim],
      'attn.proj.weight': [dim, dim],
      'attn.proj.bias': [dim],
      'norm2.weight': [dim],
      'norm2.bias': [dim],
      'mlp.fc1.weight': [4 * dim, dim],
      'mlp.fc1.bias': [4 * dim],
      'mlp.fc2.weight': [dim, 4 * dim],
      'mlp.fc2.bias': [dim],
    };
    for (const [k, s] of Object.entries(block)) out[`blocks.${i}.${k}`] = s;
  }
  return out;
}

const prefixed = (prefix: string, entries: Record<string, number[]>) => Object.fromEntries(Object.entries(entries).map(([k, s]) => [`${prefix}${k}`, s]));

/** The entries of `dict` under `prefix`: names to shapes, sorted. */
const shapesUnder = (dict: Record<string, tf.Tensor>, prefix: string) =>
  Object.fromEntries(
    Object.entries(dict)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, t]) => [k, t.shape])
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
const sorted = (x: Record<string, number[]>) => Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)));

/** `dict` with the blocks' MLP norm under `norm3` (the seed's TransformerBlock before May 2026). */
const asOlderSeed = (dict: Record<string, tf.Tensor>, prefix: string) =>
  Object.fromEntries(Object.entries(dict).map(([k, t]) => [k.startsWith(prefix) ? k.replace(/(blocks\.\d+\.)norm2\./, '$1norm3.') : k, t]));

/** Asserts two variable trees have the same structure and the same values, exactly. */
async function assertSameVariables(a: unknown, b: unknown): Promise<void> {
  tree.assertSameStructure(tree.structure(a), tree.structure(b), 'variables');
  const [la, lb] = [tensorsIn(a), tensorsIn(b)];
  assert.is(la.length, lb.length);
  for (let i = 0; i < la.length; i++) assert.equal(Array.from(await la[i].data()), Array.from(await lb[i].data()), `leaf ${i}`);
}

const cases = [
  // MAEDecoder: mask_token (encoder width) outside, the FlexibleTransformer (no mask token) under `transformer.`.
  { name: 'MAE decoder', make: tinyMae, prefix: 'decoder.', blocks: 'decoder.transformer.', expected: { 'decoder.mask_token': [1, 1, 8], ...prefixed('decoder.transformer.', seedFlexibleTransformer(8, 12, 3 * 2 * 2, 16, false)) } },
  // I-JEPA's predictor: FlexibleTransformer(add_mask_token=True), output width the encoder's.
  { name: 'I-JEPA predictor', make: tinyIjepa, prefix: 'predictor.', blocks: 'predictor.', expected: prefixed('predictor.', seedFlexibleTransformer(16, 8, 16, 16, true)) },
];

for (const c of cases) {
  test(`${c.name}: toTorch writes the seed's names and shapes (the MLP norm as norm2)`, () => {
    const method = c.make();
    const v = method.init(random.key(1));
    const dict = method.toTorch(v.params, v.state);
    assert.equal(shapesUnder(dict, c.prefix), sorted(c.expected));
    assert.not.ok(Object.keys(dict).some((k) => k.includes('norm3')));
    tf.dispose([...Object.values(dict), ...tensorsIn(v)]);
  });

  test(`${c.name}: fromTorch of an older seed checkpoint (norm3) gives the variables of the current one (norm2)`, async () => {
    const method = c.make();
    const v = method.init(random.key(2));
    const dict = method.toTorch(v.params, v.state);
    const older = asOlderSeed(dict, c.blocks);
    assert.ok(`${c.blocks}blocks.1.norm3.weight` in older && !(`${c.blocks}blocks.1.norm2.weight` in older));
    const [current, old] = [method.fromTorch(dict), method.fromTorch(older)];
    await assertSameVariables(current, old);
    await assertSameVariables(current.params, v.params);
    // Both names: norm2 is read, and the norm3 left over is an unused entry.
    const both = { ...dict, [`${c.blocks}blocks.0.norm3.weight`]: dict[`${c.blocks}blocks.0.norm2.weight`] };
    assert.match(errorOf(() => method.fromTorch(both)), new RegExp(`fromTorch: entries not used by the model: ${c.blocks.replace(/\./g, '\\.')}blocks\\.0\\.norm3\\.weight$`));
    tf.dispose([...Object.values(dict), ...tensorsIn([v, current, old])]);
  });
}

test.run();
