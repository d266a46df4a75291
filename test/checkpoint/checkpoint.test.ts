import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CheckpointError,
  FORMAT_VERSION_KEY,
  latestCheckpoint,
  listCheckpoints,
  listCheckpointsSync,
  load,
  loadBytes,
  MAX_TREE_DEPTH,
  readCheckpointMeta,
  save,
  saveRotating,
  STRUCTURE_KEY,
} from '../../lib/checkpoint/index.js';
import { decodeSafetensors, encodeSafetensors } from '../../lib/io/safetensors.js';
import { readSafetensorsFile } from '../../lib/io/safetensors-file.js';
import { leaves, map as treeMap } from '../../lib/tree/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { rejection } from './rejection.js';

const backend = await useTestBackend();

let dir = '';
const setup = async () => {
  dir = await mkdtemp(join(tmpdir(), 'tfjax-ckpt-'));
};
const teardown = async () => {
  await rm(dir, { recursive: true, force: true });
};
const tempFiles = async (d = dir) => (await readdir(d)).filter((n) => n.includes('.tmp-'));
const disposeTree = (t: unknown) => leaves(t).forEach((l) => l instanceof tf.Tensor && l.dispose());

async function sameTensor(a: unknown, b: tf.Tensor) {
  assert.instance(a, tf.Tensor);
  const t = a as tf.Tensor;
  assert.is(t.dtype, b.dtype);
  assert.equal(t.shape, b.shape);
  assert.equal(Array.from(await t.data()), Array.from(await b.data()));
}

/** A state like a training loop keeps. */
function makeState(convOut = 32) {
  return {
    params: {
      conv1: { w: tf.randomNormal([3, 3, 1, convOut], 0, 1, 'float32', 1), b: tf.zeros([convOut]) },
      fc: { w: tf.randomNormal([convOut, 10], 0, 1, 'float32', 2), b: tf.zeros([10]) },
    },
    modelState: { bn: { mean: tf.zeros([convOut]), var: tf.ones([convOut]) } },
    optState: [{ count: tf.scalar(7, 'int32') }, { mu: { w: tf.zeros([convOut, 10]) } }, null] as [{ count: tf.Tensor }, { mu: { w: tf.Tensor } }, null],
    step: 1200,
    key: tf.tensor1d([0, 42], 'int32'),
    mask: tf.tensor1d([true, false, true], 'bool'),
    config: { lr: 0.1, name: 'swav', nesterov: false, schedule: [1, 0.5, NaN, Infinity, -0], note: null },
  };
}

// ---------------------------------------------------------------------------------------------

const RoundTrip = suite(`checkpoint: save / load [${backend}]`);
RoundTrip.before(setup);
RoundTrip.after(teardown);

RoundTrip('a nested tree with tensors, numbers, strings, booleans and null round trips', async () => {
  const state = makeState();
  const p = join(dir, 'ckpt.safetensors');
  await save(p, state, { meta: { run: 'x', epoch: '3' } });
  const back = await load<ReturnType<typeof makeState>>(p);
  await sameTensor(back.params.conv1.w, state.params.conv1.w);
  await sameTensor(back.params.fc.b, state.params.fc.b);
  await sameTensor(back.modelState.bn.var, state.modelState.bn.var);
  await sameTensor(back.optState[0].count, state.optState[0].count);
  await sameTensor(back.optState[1].mu.w, state.optState[1].mu.w);
  assert.is(back.optState[2], null);
  assert.is(back.optState.length, 3);
  assert.is(back.step, 1200);
  await sameTensor(back.key, state.key);
  await sameTensor(back.mask, state.mask);
  const { schedule, ...rest } = back.config;
  assert.equal(rest, { lr: 0.1, name: 'swav', nesterov: false, note: null });
  assert.equal(schedule.slice(0, 2), [1, 0.5]);
  assert.ok(Number.isNaN(schedule[2]));
  assert.is(schedule[3], Infinity);
  assert.ok(Object.is(schedule[4], -0));
  assert.equal(await readCheckpointMeta(p), { epoch: '3', run: 'x' });
  disposeTree(back);
  disposeTree(state);
});

RoundTrip('the file is plain safetensors: entries named by tree path, structure in __metadata__', async () => {
  const p = join(dir, 'plain.safetensors');
  const w = tf.tensor2d([[1, 2, 3]]);
  await save(p, { params: { w }, layers: [tf.scalar(5, 'int32')], step: 3, u: undefined });
  const { tensors, metadata } = await readSafetensorsFile(p);
  assert.equal(Object.keys(tensors).sort(), ['.layers[0]', '.params.w']);
  assert.equal(Array.from(tensors['.params.w'].data), [1, 2, 3]);
  assert.equal(tensors['.params.w'].shape, [1, 3]);
  assert.is(tensors['.layers[0]'].dtype, 'int32');
  assert.is(metadata[FORMAT_VERSION_KEY], '1');
  assert.equal(JSON.parse(metadata[STRUCTURE_KEY]), {
    t: 'object',
    keys: ['layers', 'params', 'step', 'u'],
    items: [
      { t: 'array', items: [{ t: 'tensor', name: '.layers[0]' }] },
      { t: 'object', keys: ['w'], items: [{ t: 'tensor', name: '.params.w' }] },
      { t: 'number', v: 3 },
      { t: 'undefined' },
    ],
  });
  const back = await load<{ u: undefined }>(p);
  assert.ok('u' in back && back.u === undefined);
  disposeTree(back);
  w.dispose();
});

RoundTrip('a lone tensor and a tree of plain values', async () => {
  const p = join(dir, 'lone.safetensors');
  const t = tf.tensor1d([1, 2]);
  await save(p, t);
  const back = await load(p);
  await sameTensor(back, t);
  (back as tf.Tensor).dispose();
  t.dispose();
  await save(p, { a: [1, 'two', true, null] });
  assert.equal(await load(p), { a: [1, 'two', true, null] });
  const nested = join(dir, 'new', 'sub', 'ckpt.safetensors'); // directories are created
  await save(nested, { s: 'x' });
  assert.equal(await load(nested), { s: 'x' });
});

RoundTrip('issue 11 item 14: keys named __proto__, constructor and prototype round trip as plain keys', async () => {
  const p = join(dir, 'proto.safetensors');
  const state = JSON.parse('{"__proto__": {"w": 1}, "constructor": "c", "prototype": [2]}') as Record<string, unknown>;
  state['toString'] = tf.scalar(3);
  const mapped = treeMap((x) => x, state);
  assert.equal(Object.keys(mapped as object).sort(), ['__proto__', 'constructor', 'prototype', 'toString']);
  assert.is(Object.getPrototypeOf(mapped), Object.prototype);
  await save(p, state);
  for (const like of [undefined, state]) {
    const back = await load<Record<string, unknown>>(p, { like });
    assert.is(Object.getPrototypeOf(back), Object.prototype);
    assert.equal(Object.keys(back).sort(), ['__proto__', 'constructor', 'prototype', 'toString']);
    assert.equal(Object.getOwnPropertyDescriptor(back, '__proto__')?.value, { w: 1 });
    assert.is(back['constructor'], 'c');
    assert.equal(back['prototype'], [2]);
    assert.is(await (back['toString'] as tf.Tensor).data().then((d) => d[0]), 3);
    disposeTree(back);
  }
  disposeTree(state);
  // A crafted structure cannot choose the loaded object's prototype.
  const crafted = { t: 'object', keys: ['__proto__'], items: [{ t: 'object', keys: ['polluted'], items: [{ t: 'boolean', v: true }] }] };
  const meta = { [FORMAT_VERSION_KEY]: '1', [STRUCTURE_KEY]: JSON.stringify(crafted) };
  const loaded = loadBytes<Record<string, unknown>>(encodeSafetensors({}, meta));
  assert.is(Object.getPrototypeOf(loaded), Object.prototype);
  assert.is((loaded as { polluted?: boolean }).polluted, undefined);
  assert.equal(Object.getOwnPropertyDescriptor(loaded, '__proto__')?.value, { polluted: true });
});

RoundTrip('loadBytes reads a checkpoint from memory', async () => {
  const p = join(dir, 'bytes.safetensors');
  const t = tf.tensor1d([3, 4]);
  await save(p, { t, s: 's' });
  const back = loadBytes<{ t: tf.Tensor; s: string }>(await readFile(p), 'mem', { like: { t, s: '' } });
  await sameTensor(back.t, t);
  assert.is(back.s, 's');
  back.t.dispose();
  t.dispose();
});

RoundTrip('no tensors leak: load + dispose, and failed loads create none', async () => {
  const state = makeState();
  const p = join(dir, 'leak.safetensors');
  await save(p, state);
  const before = tf.memory().numTensors;
  const back = await load(p, { like: state });
  assert.is(tf.memory().numTensors, before + 10); // the ten tensors of makeState
  disposeTree(back);
  assert.is(tf.memory().numTensors, before);
  const other = makeState(16);
  const mid = tf.memory().numTensors;
  await rejection(load(p, { like: other }));
  const bytes = await readFile(p);
  await writeFile(p, bytes.subarray(0, bytes.length - 4));
  await rejection(load(p));
  assert.is(tf.memory().numTensors, mid);
  disposeTree(other);
  disposeTree(state);
});

RoundTrip.run();

// ---------------------------------------------------------------------------------------------

const Like = suite(`checkpoint: load with like [${backend}]`);
Like.before(setup);
Like.after(teardown);

Like('matching like loads; mismatches are reported by path', async () => {
  const p = join(dir, 'ckpt.safetensors');
  const saved = makeState(16);
  await save(p, saved);
  const ok = await load(p, { like: makeState(16) });
  disposeTree(ok);

  const expect = async (like: unknown, msg: string) => assert.is(await rejection(load(p, { like })), `checkpoint ${p}: ${msg}`);

  // shape: the first mismatch in tree order (sorted keys: modelState comes before params)
  const wrongShape = makeState(32);
  await expect(wrongShape, 'at .modelState.bn.mean expected shape [32] float32, found [16] float32');
  const onlyConv = makeState(16);
  onlyConv.params.conv1.w.dispose();
  onlyConv.params.conv1.w = tf.zeros([3, 3, 1, 32]);
  await expect(onlyConv, 'at .params.conv1.w expected shape [3,3,1,32] float32, found [3,3,1,16] float32');

  // dtype
  const wrongDtype = makeState(16);
  await expect({ ...wrongDtype, key: tf.tensor1d([0, 0], 'float32') }, 'at .key expected shape [2] float32, found [2] int32');

  // missing key / extra key
  const { fc: _fc, ...noFc } = wrongDtype.params;
  await expect({ ...wrongDtype, params: { ...noFc } }, 'at .params.fc expected nothing (the key is not in `like`), found an object with keys [b, w]');
  await expect(
    { ...wrongDtype, params: { ...wrongDtype.params, conv2: { w: tf.zeros([1]) } } },
    'at .params.conv2 expected an object with keys [w], found nothing (the key is missing from the checkpoint)',
  );

  // non-tensor leaves, arrays, null
  await expect({ ...wrongDtype, step: '1200' }, 'at .step expected a string, found a number (1200)');
  await expect({ ...wrongDtype, optState: wrongDtype.optState.slice(0, 2) }, 'at .optState expected an array of length 2, found an array of length 3');
  await expect({ ...wrongDtype, key: 5 }, 'at .key expected a number, found a tensor of shape [2] int32');
  await expect({ ...wrongDtype, config: { ...wrongDtype.config, note: 'x' } }, 'at .config.note expected a string, found null');
  await expect([1], 'at the root expected an array of length 1, found an object with keys [config, key, mask, modelState, optState, params, step]');
  disposeTree(wrongShape);
  disposeTree(onlyConv);
  disposeTree(wrongDtype);
  disposeTree(saved);
});

Like.run();

// ---------------------------------------------------------------------------------------------

const Corrupt = suite(`checkpoint: corrupt files [${backend}]`);
Corrupt.before(setup);
Corrupt.after(teardown);

/** A file with a hand-made __metadata__ and one float32 tensor ".w". */
const withMeta = (meta: Record<string, string>) => encodeSafetensors({ '.w': { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) } }, meta);
const tensorRoot = JSON.stringify({ t: 'object', keys: ['w'], items: [{ t: 'tensor', name: '.w' }] });

Corrupt('truncated and corrupt files give a clear error', async () => {
  const p = join(dir, 'c.safetensors');
  await save(p, { w: tf.tensor1d([1, 2, 3]) });
  const good = await readFile(p);
  await writeFile(p, good.subarray(0, good.length - 4));
  const n = tf.memory().numTensors;
  assert.is(await rejection(load(p)), `checkpoint ${p}: truncated: header says 12 bytes of data, file has 8 (tensor ".w" ends at byte 12)`);
  await writeFile(p, good.subarray(0, 20));
  assert.match(await rejection(load(p)), new RegExp(`^checkpoint ${p}: truncated: header says \\d+ bytes of header, file has 12 after the length field$`));
  await writeFile(p, 'not a checkpoint at all');
  assert.match(await rejection(load(p)), /corrupt: header length field says \d+ bytes/);
  assert.match(await rejection(load(join(dir, 'missing.safetensors'))), /cannot read the file: ENOENT/);
  assert.is(tf.memory().numTensors, n);
});

Corrupt('bad metadata: io-ts errors name the path inside the structure', async () => {
  const m = (meta: Record<string, string>) => {
    try {
      loadBytes(withMeta(meta), 'f');
    } catch (e) {
      assert.instance(e, CheckpointError);
      return (e as Error).message;
    }
    throw new Error('expected an error');
  };
  assert.is(m({}), 'checkpoint f: not a tfjax checkpoint: its __metadata__ has no "tfjax.format_version" (read plain safetensors files with readSafetensorsFile)');
  assert.is(m({ [FORMAT_VERSION_KEY]: '9', [STRUCTURE_KEY]: tensorRoot }), 'checkpoint f: format version "9" is not supported (this tfjax reads version 1)');
  assert.is(m({ [FORMAT_VERSION_KEY]: '1' }), 'checkpoint f: __metadata__ has no "tfjax.structure"');
  assert.match(m({ [FORMAT_VERSION_KEY]: '1', [STRUCTURE_KEY]: '{"t":' }), /^checkpoint f: metadata "tfjax.structure" is not valid JSON \(/);
  const bad = JSON.stringify({ t: 'object', keys: ['w', 's'], items: [{ t: 'tensor', name: '.w' }, { t: 'string', v: 3 }] });
  assert.is(m({ [FORMAT_VERSION_KEY]: '1', [STRUCTURE_KEY]: bad }), 'checkpoint f: metadata "tfjax.structure" is invalid at .items[1].v: expected string, found 3');
  const badTag = JSON.stringify({ t: 'array', items: [{ t: 'tensorr', name: '.w' }] });
  assert.is(
    m({ [FORMAT_VERSION_KEY]: '1', [STRUCTURE_KEY]: badTag }),
    'checkpoint f: metadata "tfjax.structure" is invalid at .items[0].t: expected "tensor" | "number" | "string" | "boolean" | "null" | "undefined" | "array" | "object", found "tensorr"',
  );
  const missing = JSON.stringify({ t: 'object', keys: ['w'], items: [{ t: 'tensor', name: '.v' }] });
  assert.is(m({ [FORMAT_VERSION_KEY]: '1', [STRUCTURE_KEY]: missing }), 'checkpoint f: the tensor at .w (entry ".v") is missing from the file');
  const unused = JSON.stringify({ t: 'null' });
  assert.is(m({ [FORMAT_VERSION_KEY]: '1', [STRUCTURE_KEY]: unused }), 'checkpoint f: the file has a tensor ".w" that the structure does not use');
  const twice = JSON.stringify({ t: 'array', items: [{ t: 'tensor', name: '.w' }, { t: 'tensor', name: '.w' }] });
  assert.is(m({ [FORMAT_VERSION_KEY]: '1', [STRUCTURE_KEY]: twice }), 'checkpoint f: the entry ".w" is used by more than one leaf (again at [1])');
  // and the well-formed one loads
  const ok = loadBytes<{ w: tf.Tensor }>(withMeta({ [FORMAT_VERSION_KEY]: '1', [STRUCTURE_KEY]: tensorRoot }));
  assert.equal(Array.from(await ok.w.data()), [1, 2]);
  ok.w.dispose();
});

Corrupt('what cannot be saved is refused before anything is written', async () => {
  const p = join(dir, 'refused.safetensors');
  assert.is(
    await rejection(save(p, { a: { b: new Float32Array(2) } })),
    `checkpoint ${p}: cannot save the leaf at .a.b: a Float32Array (leaves must be tensors, numbers, strings, booleans or null)`,
  );
  const t = tf.scalar(1);
  t.dispose();
  assert.is(await rejection(save(p, { t })), `checkpoint ${p}: the tensor at .t is disposed`);
  const u = tf.scalar(1);
  assert.is(await rejection(save(p, { 'a.b': u, a: { b: u } })), `checkpoint ${p}: two tensors have the same path .a.b (object keys containing '.' or '[' make paths ambiguous)`);
  assert.match(await rejection(save(p, { u }, { meta: { 'tfjax.structure': 'x' } })), /meta key "tfjax.structure" is reserved/);
  u.dispose();
  assert.equal(await readdir(dir).then((ns) => ns.filter((n) => n.startsWith('refused'))), []);
});

/** `levels` arrays around `leaf`. */
const nested = (levels: number, leaf: unknown): unknown => {
  let x = leaf;
  for (let i = 0; i < levels; i++) x = [x];
  return x;
};

Corrupt('issue 11 item 14: trees nested too deeply are refused on save and load with a CheckpointError', async () => {
  assert.is(MAX_TREE_DEPTH, 100);
  const p = join(dir, 'deep.safetensors');
  // The deepest tree allowed round trips, also with `like`.
  const deepest = nested(MAX_TREE_DEPTH, tf.scalar(7));
  await save(p, deepest);
  const back = await load(p, { like: deepest });
  assert.equal(leaves(back).length, 1);
  assert.is(await (leaves(back)[0] as tf.Tensor).data().then((d) => d[0]), 7);
  disposeTree(back);
  disposeTree(deepest);
  // One level more, and 5000 levels, fail clearly before anything is written (not a stack overflow).
  const tooDeep = `checkpoint ${p}: the tree nests objects and arrays more than 100 levels deep (or is cyclic); checkpoints hold at most 100`;
  await rm(p);
  assert.is(await rejection(save(p, nested(MAX_TREE_DEPTH + 1, 1))), tooDeep);
  assert.is(await rejection(save(p, { a: nested(5000, 1) })), tooDeep);
  const cyclic: { self?: unknown } = {};
  cyclic.self = cyclic;
  assert.is(await rejection(save(p, cyclic)), tooDeep);
  assert.equal(await readdir(dir).then((ns) => ns.filter((n) => n.startsWith('deep'))), []);
  // A crafted file 5000 levels deep, in the structure or in a value inside it (as text: too deep for JSON.stringify).
  const deepNode = `${'{"t":"array","items":['.repeat(5000)}{"t":"tensor","name":".w"}${']}'.repeat(5000)}`;
  const deepValue = `{"t":"tensor","name":${'['.repeat(5000)}".w"${']'.repeat(5000)}}`;
  const tooDeepStored = 'checkpoint f: metadata "tfjax.structure" nests more than 100 levels of objects and arrays (the most a checkpoint holds)';
  const message = (structure: string): string => {
    try {
      loadBytes(withMeta({ [FORMAT_VERSION_KEY]: '1', [STRUCTURE_KEY]: structure }), 'f');
    } catch (e) {
      assert.instance(e, CheckpointError);
      return (e as Error).message;
    }
    return 'no error';
  };
  assert.is(message(`${'{"t":"array","items":['.repeat(101)}{"t":"tensor","name":".w"}${']}'.repeat(101)}`), tooDeepStored);
  assert.is(message(deepNode), tooDeepStored);
  assert.is(message(deepValue), tooDeepStored);
});

Corrupt.run();

// ---------------------------------------------------------------------------------------------

const Atomic = suite(`checkpoint: atomic saves and rotation [${backend}]`);
Atomic.before(setup);
Atomic.after(teardown);

/** A real tensor whose data() rejects, as a device loss would. */
function failingTensor(): tf.Tensor {
  const t = tf.tensor1d([1, 2, 3]);
  t.data = () => Promise.reject(new Error('device lost'));
  return t;
}

Atomic('a failure mid-write leaves the previous checkpoint untouched and no temporary file', async () => {
  const p = join(dir, 'ckpt.safetensors');
  const good = { a: tf.tensor1d([1]), step: 1 };
  await save(p, good);
  const before = await readFile(p);
  // '.z' sorts after '.a': the header and the first tensor are written before the read fails.
  const bad = { a: tf.tensor1d([9]), z: failingTensor(), step: 2 };
  assert.is(await rejection(save(p, bad)), `checkpoint ${p}: reading the tensor at .z failed: device lost`);
  assert.equal(await readFile(p), before);
  assert.equal(await tempFiles(), []);
  const back = await load<typeof good>(p, { like: good });
  assert.is(back.step, 1);
  disposeTree(back);
  disposeTree(good);
  disposeTree(bad);
});

Atomic('saveRotating keeps the newest `keep` files; latestCheckpoint skips invalid ones', async () => {
  const run = join(dir, 'run');
  assert.is(await latestCheckpoint(run), null);
  const state = { w: tf.tensor1d([1, 2]), step: 0 };
  const removed: string[][] = [];
  for (const step of [10, 20, 30, 40]) removed.push((await saveRotating(run, step, { ...state, step }, { keep: 2 })).removed);
  assert.equal(removed, [[], [], [join(run, 'ckpt-10.safetensors')], [join(run, 'ckpt-20.safetensors')]]);
  assert.equal((await readdir(run)).sort(), ['ckpt-30.safetensors', 'ckpt-40.safetensors']);
  assert.equal(
    (await listCheckpoints(run)).map((c) => c.step),
    [30, 40],
  );
  assert.equal(listCheckpointsSync(run), await listCheckpoints(run), 'the synchronous listing is the same');
  assert.equal(listCheckpointsSync(join(run, 'missing')), []);
  assert.is(await latestCheckpoint(run), join(run, 'ckpt-40.safetensors'));

  // a failed save removes nothing
  assert.is(await rejection(saveRotating(run, 50, { w: failingTensor() }, { keep: 1 })), `checkpoint ${join(run, 'ckpt-50.safetensors')}: reading the tensor at .w failed: device lost`);
  assert.equal((await readdir(run)).sort(), ['ckpt-30.safetensors', 'ckpt-40.safetensors']);

  // a truncated newest file (e.g. copied by hand) is skipped; so is a plain safetensors file
  const bytes = await readFile(join(run, 'ckpt-40.safetensors'));
  await writeFile(join(run, 'ckpt-40.safetensors'), bytes.subarray(0, bytes.length - 1));
  await writeFile(join(run, 'ckpt-100.safetensors'), encodeSafetensors({}));
  await writeFile(join(run, 'ckpt-x.safetensors'), 'ignored');
  const invalid: string[] = [];
  assert.is(await latestCheckpoint(run, { onInvalid: (p, e) => invalid.push(`${p}: ${(e as Error).message}`) }), join(run, 'ckpt-30.safetensors'));
  assert.equal(invalid.length, 2);
  assert.match(invalid[0], /ckpt-100\.safetensors: checkpoint .*ckpt-100\.safetensors: not a tfjax checkpoint/);
  assert.match(invalid[1], /ckpt-40\.safetensors: checkpoint .*ckpt-40\.safetensors: truncated: header says 8 bytes of data, file has 7/);

  // as orbax's CheckpointManager, a step at or below the newest is not saved (rotating-session18)
  assert.equal(await saveRotating(run, 5, state, { keep: 1 }), { path: null, removed: [] });
  // a newer step is saved and keeps the new file alone with keep: 1
  const r = await saveRotating(run, 101, state, { keep: 1 });
  assert.equal((await readdir(run)).filter((n) => n.startsWith('ckpt-') && n !== 'ckpt-x.safetensors'), ['ckpt-101.safetensors']);
  assert.is(r.path, join(run, 'ckpt-101.safetensors'));
  assert.equal(await tempFiles(run), []);
  const back = await load<typeof state>(r.path!, { like: state });
  assert.equal(decodeSafetensors(await readFile(r.path!)).tensors['.w'].shape, [2]);
  disposeTree(back);
  disposeTree(state);
});

Atomic.run();
