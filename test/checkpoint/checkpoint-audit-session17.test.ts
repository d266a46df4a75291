/**
 * Session 17 audit of checkpoints and file formats against the reference writers
 * (tools/checkpoint_audit_session17.py -> test/fixtures/checkpoint17/):
 * - .npy / .npz written by NumPy 1.24: dtypes and layouts the session-14 fixtures do not cover,
 *   two arrays saved to one file (np.load reads the first), a structured dtype (refused in one line);
 * - safetensors written by hand from the spec: `"__metadata__": null` (no metadata for the Hugging
 *   Face reader), non-ASCII names and metadata (tfjax writes the same bytes);
 * - checkpoints of trees with non-ASCII keys and empty subtrees, read back by a plain safetensors reader.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { load, loadBytes, save } from '../../lib/checkpoint/index.js';
import { parseNpy, parseNpz, type NpyArray } from '../../lib/io/npy.js';
import { decodeSafetensors, encodeSafetensors, type TensorData } from '../../lib/io/safetensors.js';
import { readSafetensorsFile } from '../../lib/io/safetensors-file.js';
import { leaves, registerPytreeNode } from '../../lib/tree/index.js';
import { errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { rejection } from './rejection.js';

const backend = await useTestBackend();

const FIXTURES = new URL('../fixtures/checkpoint17/', import.meta.url);
const fixture = async (name: string) => new Uint8Array(await readFile(new URL(name, FIXTURES)));

interface Expected {
  readonly descr?: string;
  readonly shape: number[];
  readonly values: number[];
}
type ExpectedFile = Record<string, Expected> & {
  npz: Record<string, Expected>;
  'meta-null': Record<string, Expected>;
  unicode: Record<string, Expected> & { __metadata__: Record<string, string> };
};
const expected = JSON.parse(await readFile(new URL('expected.json', FIXTURES), 'utf8')) as ExpectedFile;

/** Checks a read array against numpy's own reading of the file (values exact: each is numpy's astype). */
function checkNpy(got: NpyArray, want: Expected, what: string): void {
  assert.is(got.descr, want.descr, `${what}: descr`);
  assert.equal(got.shape, want.shape, `${what}: shape`);
  assert.equal(Array.from(got.data), want.values, `${what}: values`);
}

const Npy = suite(`checkpoint audit 17: .npy / .npz written by numpy [${backend}]`);

for (const name of ['u4', 'u2-be', 'f2-be', 'i1', 'b1-0d', 'f8-noncontig', 'f8-transposed', 'b1-fortran-3d'])
  Npy(`reads ${name}.npy as numpy does`, async () => {
    checkNpy(parseNpy(await fixture(`${name}.npy`), `${name}.npy`), expected[name], name);
  });

Npy('two arrays np.save-d to one file: the first is read, as np.load does (was an error)', async () => {
  const bytes = await fixture('two.npy');
  checkNpy(parseNpy(bytes, 'two.npy'), expected.two, 'two');
  assert.equal(parseNpy(bytes, 'two.npy').dtype, 'float32');
});

Npy('a truncated array is still a one-line error, with the shape as a Python tuple', async () => {
  const bytes = await fixture('two.npy');
  // The first array's header is 128 bytes and its data 12: cut inside the data.
  assert.is(errorOf(() => parseNpy(bytes.subarray(0, 136), 'two.npy')), 'two.npy: 8 data bytes for shape (3,) of 4-byte values (12 expected)');
});

Npy('a structured dtype is refused as an unsupported dtype, not as a corrupt header', async () => {
  const bytes = await fixture('struct.npy');
  const m = errorOf(() => parseNpy(bytes, 'struct.npy'));
  assert.not.match(m, /\n/);
  assert.match(m, /^struct\.npy: unsupported structured or subarray dtype \(read: /);
});

Npy('np.savez with non-ASCII and "/" in the names', async () => {
  const got = parseNpz(await fixture('unicode.npz'), 'unicode.npz');
  assert.equal(Object.keys(got).sort(), Object.keys(expected.npz).sort());
  for (const [k, want] of Object.entries(expected.npz)) checkNpy(got[k], want, k);
});

Npy.run();

const Safe = suite(`checkpoint audit 17: safetensors written from the spec [${backend}]`);

Safe('"__metadata__": null is no metadata, as the Hugging Face reader (an Option) reads it (was an error)', async () => {
  const { tensors, metadata } = decodeSafetensors(await fixture('meta-null.safetensors'), 'meta-null.safetensors');
  assert.equal(metadata, {});
  assert.equal(Object.keys(tensors), ['w']);
  assert.equal(tensors.w.shape, expected['meta-null'].w.shape);
  assert.equal(Array.from(tensors.w.data), expected['meta-null'].w.values);
});

Safe('non-ASCII names and metadata read back, and tfjax writes the same bytes', async () => {
  const bytes = await fixture('unicode.safetensors');
  const { tensors, metadata } = decodeSafetensors(bytes, 'unicode.safetensors');
  const { __metadata__: wantMeta, ...want } = expected.unicode;
  assert.equal(metadata, wantMeta);
  assert.equal(Object.keys(tensors).sort(), Object.keys(want).sort());
  for (const [k, w] of Object.entries(want)) {
    assert.equal(tensors[k].shape, w.shape, k);
    assert.equal(Array.from(tensors[k].data), w.values, k);
  }
  const plain: Record<string, TensorData> = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, data: t.data }]));
  assert.equal(encodeSafetensors(plain, metadata), bytes);
});

Safe.run();

const Ckpt = suite(`checkpoint audit 17: trees with non-ASCII keys and empty subtrees [${backend}]`);

let dir = '';
Ckpt.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tfjax-ckpt17-'));
});
Ckpt.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

Ckpt('round trip with like; a plain safetensors reader sees entries named by path', async () => {
  const tree = {
    'poids/ß': tf.tensor2d([[0.25, -1]]),
    步: { count: tf.scalar(7, 'int32'), mask: tf.tensor1d([1, 0, 1], 'bool') },
    empty: [tf.zeros([2, 0, 3]), [], {}, null],
    step: 12,
    lr: -0,
  };
  const p = join(dir, 'ckpt.safetensors');
  await save(p, tree, { meta: { ключ: 'значение' } });
  const { tensors, metadata } = await readSafetensorsFile(p);
  assert.equal(Object.keys(tensors).sort(), ['.empty[0]', '.poids/ß', '.步.count', '.步.mask']);
  assert.is(metadata['ключ'], 'значение');
  assert.equal(Array.from(tensors['.步.mask'].data), [1, 0, 1]);

  const back = await load<typeof tree>(p, { like: tree });
  assert.equal(back.empty.slice(1), [[], {}, null]);
  assert.is(back.step, 12);
  assert.ok(Object.is(back.lr, -0));
  assert.is(back['步'].count.dtype, 'int32');
  assert.is(back['步'].mask.dtype, 'bool');
  assert.equal(Array.from(await back['步'].mask.data()), [1, 0, 1]);
  assert.equal(back.empty[0] instanceof tf.Tensor ? back.empty[0].shape : null, [2, 0, 3]);
  assert.equal(Array.from(await back['poids/ß'].data()), [0.25, -1]);

  // A shape mismatch names the offending leaf and the file.
  const bytes = new Uint8Array(await readFile(p));
  const like = { ...tree, 步: { ...tree['步'], mask: tf.tensor1d([1, 0], 'bool') } };
  assert.is(errorOf(() => loadBytes(bytes, 'c.safetensors', { like })), 'checkpoint c.safetensors: at .步.mask expected shape [2] bool, found [3] bool');
  for (const t of [...leaves(tree), ...leaves(back), like['步'].mask]) if (t instanceof tf.Tensor) t.dispose();
});

/** A registered pytree node (jax.tree_util.register_pytree_node). */
class Pair {
  constructor(
    readonly a: unknown,
    readonly b: unknown,
  ) {}
}
registerPytreeNode(Pair, (p: Pair) => [[p.a, p.b], null], (_aux, [a, b]) => new Pair(a, b));

Ckpt('a registered pytree node: save refuses it naming the file and its path; a like holding one never matches', async () => {
  const w = tf.tensor1d([1, 2]);
  const p = join(dir, 'custom.safetensors');
  assert.is(
    await rejection(save(p, { opt: [1, { pair: new Pair(w, 2) }] })),
    `checkpoint ${p}: the Pair at .opt[1].pair is a registered pytree node, which a checkpoint cannot store; save a plain object of its fields`,
  );
  assert.is(await rejection(save(p, new Pair(w, 2))), `checkpoint ${p}: the Pair at the root is a registered pytree node, which a checkpoint cannot store; save a plain object of its fields`);
  await save(p, { pair: w });
  // Before: the Pair in `like` was taken for a leaf, and the tensor came back in its place.
  assert.is(await rejection(load(p, { like: { pair: new Pair(w, 2) } })), `checkpoint ${p}: at .pair expected a Pair (a registered pytree node, which a checkpoint cannot store), found a tensor of shape [2] float32`);
  w.dispose();
});

Ckpt.run();
