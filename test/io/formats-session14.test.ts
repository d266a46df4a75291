/**
 * Files exchanged with NumPy / JAX tooling, against their reference writers and readers:
 * - .npy / .npz written by NumPy 1.24 itself (tools/formats_session14.py -> test/fixtures/formats14/):
 *   every dtype NumPy users save, both byte orders, Fortran order, 0-d and empty arrays,
 *   format versions 1.0/2.0/3.0, `np.savez` and `np.savez_compressed`; tfjax's writer must give
 *   the bytes `np.save` gives;
 * - tree structures print as JAX's `PyTreeDef({'a': *, 'b': [*, *]})` and compare as JAX's `==`.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fromStructNode, toStructNode } from '../../lib/checkpoint/structure.js';
import { encodeNpy, parseNpy, parseNpz, writeNpy, type NpyArray } from '../../lib/io/npy.js';
import * as tree from '../../lib/tree/index.js';
import { errorOf } from '../helpers/assert.js';

const FIXTURES = new URL('../fixtures/formats14/', import.meta.url);
const fixture = async (name: string) => new Uint8Array(await readFile(new URL(name, FIXTURES)));

type JsonValue = number | string | boolean;
interface Expected {
  readonly shape: number[];
  readonly values: JsonValue[] | null;
}
const expected = JSON.parse(await readFile(new URL('expected.json', FIXTURES), 'utf8')) as Record<string, Expected> & { npz: Record<string, Expected> };

/** The tfjax dtype an array of NumPy dtype `descr` reads as (float -> float32, integers -> int32). */
const dtypeOf = (descr: string) => (descr.endsWith('b1') ? 'bool' : /[fe]\d$/.test(descr) ? 'float32' : 'int32');

/** Checks a read array against the generator's shape and values (exact: each value is what numpy's astype gives). */
function checkArray(got: NpyArray, want: Expected, what: string): void {
  assert.equal(got.shape, want.shape, `${what}: shape`);
  assert.is(got.dtype, dtypeOf(got.descr), `${what}: dtype`);
  const values = (want.values ?? []).map(Number); // booleans as 0/1; 'Infinity' / 'NaN' strings as numbers
  assert.equal(Array.from(got.data), values, `${what}: values`);
}

/** Loaded once: a few tests change copies of these bytes. */
const fixtureSync = { i8overflow: await fixture('i8-overflow.npy'), f4: await fixture('f4.npy') };

const Npy = suite('npy: files written by numpy');

const NPY_CASES: readonly [string, string][] = [
  ['f4', '<f4'],
  ['f4-be', '>f4'],
  ['f8', '<f8'],
  ['f8-be', '>f8'],
  ['f2', '<f2'],
  ['i4', '<i4'],
  ['i4-be', '>i4'],
  ['i8', '<i8'],
  ['i2', '<i2'],
  ['u1', '|u1'],
  ['b1', '|b1'],
  ['f4-fortran', '<f4'],
  ['i4-fortran-3d', '<i4'],
  ['b1-fortran', '|b1'],
  ['f4-0d', '<f4'],
  ['f4-empty', '<f4'],
  ['f4-v2', '<f4'],
  ['f4-v3', '<f4'],
];

for (const [name, descr] of NPY_CASES)
  Npy(`reads ${name}.npy (${descr})`, async () => {
    const got = parseNpy(await fixture(`${name}.npy`), `${name}.npy`);
    assert.is(got.descr, descr);
    checkArray(got, expected[name]!, name);
  });

Npy('float64 rounds to nearest float32 (1e300 -> Infinity), as jax.numpy without x64', async () => {
  const got = parseNpy(await fixture('f8.npy'));
  assert.instance(got.data, Float32Array);
  assert.equal(Array.from(got.data), [Math.fround(0.1), Infinity, -0, Math.fround(2 / 3)]);
});

Npy('Fortran order is transposed to C order (a[i, j] is the same element)', async () => {
  const c = parseNpy(await fixture('f4.npy'));
  const f = parseNpy(await fixture('f4-fortran.npy'));
  assert.equal(f.shape, [2, 3]);
  assert.equal(Array.from(f.data), Array.from(c.data));
});

Npy('an int64 value outside int32 is a one-line error naming the file, the value and its index', async () => {
  const m = errorOf(() => parseNpy(fixtureSync.i8overflow, 'i8-overflow.npy'));
  assert.match(m, /^i8-overflow\.npy: value 2147483648 \(dtype <i8\) at index 1 does not fit in int32$/);
});

/** The f4.npy fixture with its header text edited (kept the same length, so the layout holds). */
function withHeader(edit: (header: string) => string): Uint8Array {
  const bytes = fixtureSync.f4.slice();
  const header = new TextDecoder('latin1').decode(bytes.subarray(10, 128));
  const next = edit(header);
  assert.is(next.length, header.length, 'the edit keeps the header length');
  for (let i = 0; i < next.length; i++) bytes[10 + i] = next.charCodeAt(i);
  return bytes;
}

Npy('bad files are one-line errors naming the file', () => {
  const cases: [Uint8Array, RegExp][] = [
    [fixtureSync.f4.subarray(0, 100), /^x\.npy: truncated: the header says 118 bytes/],
    [fixtureSync.f4.subarray(0, 140), /^x\.npy: 12 data bytes for shape \(2, 3\) of 4-byte values \(24 expected\)$/],
    [Uint8Array.from([...fixtureSync.f4.subarray(0, 6), 4, 0, ...fixtureSync.f4.subarray(8)]), /^x\.npy: unsupported \.npy format version 4\.0/],
    [withHeader((h) => h.replace("'<f4'", "'<c8'")), /^x\.npy: unsupported dtype "<c8"/],
    [withHeader((h) => h.replace("'shape': (2, 3)", "'shape': (2, x)")), /^x\.npy: corrupt \.npy header: shape \(2, x\)/],
    [withHeader((h) => h.replace("'fortran_order'", "'fortran_xrder'")), /^x\.npy: corrupt \.npy header \(needs 'descr', 'fortran_order' and 'shape'\)/],
    [new TextEncoder().encode('PK\x03\x04 not npy'), /^x\.npy: not a \.npy file/],
  ];
  for (const [bytes, re] of cases) {
    const m = errorOf(() => parseNpy(bytes, 'x.npy'));
    assert.not.match(m, /\n/);
    assert.match(m, re);
  }
});

Npy('header variants other writers produce: keys in another order, double quotes, Python 2 long shapes', () => {
  const numpyDict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  const other = '{"shape": (2L, 3L), "fortran_order": False, "descr": "<f4"}';
  const reordered = withHeader((h) => h.replace(numpyDict, other.padEnd(numpyDict.length)));
  checkArray(parseNpy(reordered), expected['f4']!, 'reordered header');
});

const Write = suite('npy: writeNpy writes what np.save writes');

const REFS: readonly [string, Float32Array | Int32Array, number[]][] = [
  ['ref-f4', Float32Array.from({ length: 6 }, (_, i) => i / 4), [2, 3]],
  ['ref-i4', Int32Array.from([3, -1, 4, 1, -5]), [5]],
  ['ref-f4-0d', Float32Array.from([-1.25]), []],
  ['ref-f4-empty', new Float32Array(0), [0, 3]],
  ['ref-f4-3d', Float32Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]],
  ['ref-f4-rank15', Float32Array.from([0.5]), Array.from({ length: 15 }, () => 1)], // numpy's spare header space: 192 bytes, not 128
];

for (const [name, data, shape] of REFS)
  Write(`${name}: byte-identical to numpy 1.24's np.save, and reads back`, async () => {
    const bytes = encodeNpy(data, shape);
    assert.equal(Array.from(bytes), Array.from(await fixture(`${name}.npy`)));
    const back = parseNpy(bytes);
    assert.equal(back.shape, shape);
    assert.equal(Array.from(back.data), Array.from(data));
  });

Write('data that does not match the shape is an error, and leaves the previous file untouched', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tfjax-npy-'));
  try {
    const path = join(dir, 'x.npy');
    await writeNpy(path, Float32Array.from([1, 2]), [2]);
    const before = await readFile(path);
    let message = '';
    await writeNpy(path, new Float32Array(5), [2, 3]).catch((e: Error) => (message = e.message));
    assert.is(message, 'writeNpy: shape [2, 3] has 6 elements, but the data has 5');
    assert.equal(await readFile(path), before);
    assert.equal(await readdir(dir), ['x.npy'], 'no temporary file is left behind');
    assert.match(errorOf(() => encodeNpy(new Float32Array(2), [2.5])), /^writeNpy: shape must be non-negative integers, got \[2\.5\]$/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const Npz = suite('npz: archives written by np.savez and np.savez_compressed');

for (const file of ['plain.npz', 'compressed.npz'])
  Npz(`reads ${file} by array name`, async () => {
    const got = parseNpz(await fixture(file), file);
    assert.equal(Object.keys(got).sort(), ['labels', 'mask', 'scalar', 'w']);
    for (const [k, want] of Object.entries(expected.npz)) checkArray(got[k]!, want, `${file}[${k}]`);
  });

Npz('a corrupt or truncated archive is a one-line error naming the file', async () => {
  const plain = await fixture('plain.npz');
  const flipped = plain.slice();
  flipped[200] ^= 0xff; // inside the first stored member's data
  assert.is(errorOf(() => parseNpz(flipped, 'w.npz')), 'w.npz: entry "w.npy": CRC mismatch (corrupt file)');
  assert.match(errorOf(() => parseNpz(plain.subarray(0, plain.length - 30), 'w.npz')), /^w\.npz: not a \.npz file/);
  assert.match(errorOf(() => parseNpz(fixtureSync.f4, 'w.npz')), /^w\.npz: not a \.npz file/);
  const compressed = await fixture('compressed.npz');
  const bad = compressed.slice();
  bad[60] ^= 0x55;
  const m = errorOf(() => parseNpz(bad, 'c.npz'));
  assert.match(m, /^c\.npz: entry "w\.npy": corrupt deflate data/);
  assert.not.match(m, /\n/);
});

const Def = suite('tree: structures print and compare as JAX PyTreeDefs');

Def("String(structure) is JAX's PyTreeDef text", () => {
  const cases: [unknown, string][] = [
    [{ a: 1, b: [2, 3] }, "PyTreeDef({'a': *, 'b': [*, *]})"],
    [{ b: [7, 8], a: 0 }, "PyTreeDef({'a': *, 'b': [*, *]})"], // keys sorted, as JAX sorts dict keys
    [5, 'PyTreeDef(*)'],
    [null, 'PyTreeDef(None)'],
    [[], 'PyTreeDef([])'],
    [{}, 'PyTreeDef({})'],
    [[1, [null, { c: 2 }]], "PyTreeDef([*, [None, {'c': *}]])"],
    [{ "it's": 1 }, 'PyTreeDef({"it\'s": *})'], // Python's repr picks double quotes here
  ];
  for (const [t, want] of cases) {
    assert.is(String(tree.structure(t)), want);
    assert.is(`${tree.structure(t)}`, want);
  }
  assert.is(inspect({ def: tree.structure([1, 2]) }), '{ def: PyTreeDef([*, *]) }');
  assert.is(String(tree.treedefChildren(tree.structure({ a: [1, 2], b: 3 }))[0]), 'PyTreeDef([*, *])');
});

Def('registered nodes print as CustomNode(Name[aux], [children])', () => {
  class Tagged {
    constructor(
      readonly x: number,
      readonly tag: string,
    ) {}
  }
  tree.registerPytreeNode(Tagged, (t: Tagged) => [[t.x], t.tag] as const, (aux, ch) => new Tagged(ch[0] as number, aux));
  assert.is(String(tree.structure({ m: new Tagged(1, 'hi') })), `PyTreeDef({'m': CustomNode(Tagged["hi"], [*])})`);
});

Def("equals is JAX's treedef ==: same nodes and keys, leaves ignored", () => {
  const d = tree.structure({ a: 1, b: [2, 3] });
  assert.ok(d.equals(tree.structure({ b: ['x', 'y'], a: null === null })));
  assert.not.ok(d.equals(tree.structure({ a: 1, b: [2] })));
  assert.not.ok(d.equals(tree.structure({ a: 1, c: [2, 3] })));
  assert.not.ok(tree.structure([null]).equals(tree.structure([1])));
  // Still plain data: deep equality and JSON see only the node's fields.
  assert.equal(tree.structure(1), tree.structure('leaf'));
  assert.is(JSON.stringify(tree.structure([1])), '{"kind":"array","children":[{"kind":"leaf"}]}');
});

Def('a structure restored from a checkpoint prints and compares like the original', () => {
  const t = { params: { w: 1, b: [2, null] }, step: 3 };
  const [leaves, def] = tree.flatten(t);
  const stored = toStructNode(def, leaves.map((v) => ({ t: 'value', value: v as number })));
  const back = fromStructNode(stored).def;
  assert.is(String(back), "PyTreeDef({'params': {'b': [*, None], 'w': *}, 'step': *})");
  assert.ok(back.equals(def));
});

Npy.run();
Write.run();
Npz.run();
Def.run();
