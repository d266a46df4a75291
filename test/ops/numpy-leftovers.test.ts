/**
 * Leftovers of the np sweeps (test/ops/numpy-sweep.test.ts): frexp, nextafter and spacing bit
 * for bit against NumPy's float32 loops, packbits/unpackbits, mgrid/ogrid, the real-only dtype
 * predicates and iterable, linspace's step as a 0-d array, and round of a bool array (an
 * error, as jax.numpy). Values from tools/numpy-fixtures-leftovers.py in
 * test/fixtures/numpy_leftovers.json.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit, np } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();

interface Grid {
  readonly shape: number[];
  readonly values: number[];
}
interface Fixture {
  readonly xs: number[];
  readonly ys: number[];
  readonly frexp_m: number[];
  readonly frexp_e: number[];
  readonly nextafter: number[];
  readonly nextafter_inf: number[];
  readonly spacing: number[];
  readonly pack: Record<string, number[] | number[][]>;
  readonly unpack: Record<string, number[] | number[][]>;
  readonly grid: Record<string, Grid> & { readonly ogrid: Grid[] };
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/numpy_leftovers.json', import.meta.url), 'utf8')) as Fixture;

const T = (x: NdArray) => x as tf.Tensor;
/** float32 values from their bit patterns. */
const fromBits = (bits: number[]) => tf.tensor1d(new Float32Array(Uint32Array.from(bits).buffer), 'float32');
/** A float32 array's bit patterns (NaN's, -0's and subnormals' kept). */
const bitsOf = async (x: NdArray) => Array.from(new Uint32Array(Float32Array.from(await T(x).data()).buffer));
const f32 = (bits: number) => new Float32Array(Uint32Array.of(bits).buffer)[0];

/** Asserts x's float32 bits equal `want`, naming the first input that differs. */
async function sameBits(x: NdArray, want: number[], what: string): Promise<void> {
  assert.is(T(x).dtype, 'float32', `${what}: dtype`);
  const got = await bitsOf(x);
  const i = got.findIndex((b, k) => b !== want[k]);
  assert.ok(i < 0 && got.length === want.length, i < 0 ? `${what}: ${got.length} values, want ${want.length}` : `${what}: at x = ${f32(fx.xs[i]!)} got ${f32(got[i]!)}, NumPy ${f32(want[i]!)}`);
}

async function expect(x: NdArray, shape: number[], dtype: string, values: readonly unknown[], what: string): Promise<void> {
  assert.equal([...T(x).shape], shape, `${what}: shape`);
  assert.is(T(x).dtype, dtype, `${what}: dtype`);
  assert.equal(Array.from(await T(x).data(), Number), values.flat(3), `${what}: values`);
}

// ---------------------------------------------------------------- float bits

const Bits = suite(`np leftovers: frexp, nextafter, spacing [${backend}]`);

Bits('frexp, nextafter and spacing equal NumPy float32 bit for bit (subnormals, -0, +-inf, NaN, random bit patterns)', async () => {
  const xs = fromBits(fx.xs);
  const [m, e] = np.frexp(xs);
  await sameBits(m, fx.frexp_m, 'frexp mantissa');
  assert.is(T(e).dtype, 'int32');
  assert.equal(Array.from(await T(e).data()), fx.frexp_e, 'frexp exponent');
  await sameBits(np.nextafter(xs, fromBits(fx.ys)), fx.nextafter, 'nextafter');
  await sameBits(np.nextafter(xs, Infinity), fx.nextafter_inf, 'nextafter towards inf');
  await sameBits(np.spacing(xs), fx.spacing, 'spacing');
});

Bits('frexp/nextafter/spacing take int32 and JS numbers as float32, broadcast, and run under jit', async () => {
  const [m, e] = np.frexp(np.array([8, -3, 0], 'int32'));
  await expect(m, [3], 'float32', [0.5, -0.75, 0], 'frexp int32 mantissa');
  await expect(e, [3], 'int32', [4, 2, 0], 'frexp int32 exponent');
  await expect(np.nextafter(np.array([[1], [2]], 'int32'), np.array([0, 3])), [2, 2], 'float32', [1 - 2 ** -24, 1 + 2 ** -23, 2 - 2 ** -23, 2 + 2 ** -22], 'nextafter broadcast');
  await expect(np.spacing(1), [], 'float32', [2 ** -23], 'spacing(1) is eps');
  await expect(jit((x: NdArray) => np.spacing(x))(np.array([-1, 1024])), [2], 'float32', [-(2 ** -23), 2 ** -13], 'spacing under jit');
});

// ---------------------------------------------------------------- packbits

const Pack = suite(`np leftovers: packbits, unpackbits [${backend}]`);

const B = () => np.array([[1, 0, 1, 1, 0, 0, 1, 0, 1, 1], [0, 1, 1, 1, 1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0, 0, 0, 1, 1, 0]], 'bool');
const U = () => np.array([[7, 255, 0], [128, 1, 96]], 'int32');
const shapeOfNested = (v: unknown): number[] => (Array.isArray(v) ? [v.length, ...shapeOfNested(v[0])] : []);

Pack('packbits: axis null (flattened) or an axis, bitorder big or little, the last byte zero-padded (NumPy)', async () => {
  const cases: [string, NdArray][] = [
    ['none_big', np.packbits(B())],
    ['none_little', np.packbits(B(), { bitorder: 'little' })],
    ['axis1', np.packbits(B(), { axis: 1 })],
    ['axis0_little', np.packbits(B(), { axis: 0, bitorder: 'little' })],
    ['int_axis_last', np.packbits(np.array([[3, 0, -2, 0, 0, 0, 0, 9, 1]], 'int32'), { axis: -1 })],
  ];
  for (const [name, got] of cases) await expect(got, shapeOfNested(fx.pack[name]), 'int32', fx.pack[name]!, `packbits ${name}`);
});

Pack('unpackbits: axis, bitorder and count (fewer, negative, more than 8 n) as NumPy; it inverts packbits under jit', async () => {
  const cases: [string, NdArray][] = [
    ['none_big', np.unpackbits(U())],
    ['axis1', np.unpackbits(U(), { axis: 1 })],
    ['axis0_little', np.unpackbits(U(), { axis: 0, bitorder: 'little' })],
    ['count5', np.unpackbits(U(), { axis: 1, count: 5 })],
    ['count_neg3', np.unpackbits(U(), { axis: 1, count: -3 })],
    ['count30', np.unpackbits(U(), { axis: 1, count: 30 })],
    ['none_count11_little', np.unpackbits(U(), { count: 11, bitorder: 'little' })],
  ];
  for (const [name, got] of cases) await expect(got, shapeOfNested(fx.unpack[name]), 'int32', fx.unpack[name]!, `unpackbits ${name}`);
  const roundTrip = jit((x: NdArray) => np.unpackbits(np.packbits(x, { axis: 1 }), { axis: 1, count: 10 }));
  await expect(roundTrip(B()), [3, 10], 'int32', [[1, 0, 1, 1, 0, 0, 1, 0, 1, 1], [0, 1, 1, 1, 1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0, 0, 0, 1, 1, 0]], 'round trip');
  // An int32 byte is read as its low 8 bits (a uint8 view): -1 is 255.
  await expect(np.unpackbits(np.array([-1, 257], 'int32')), [16], 'int32', [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1], 'low 8 bits');
});

Pack('packbits/unpackbits: wrong dtypes and bitorders are one-line errors', () => {
  assert.is(errorOf(() => np.packbits(np.array([1.5]))), 'packbits: expected an int32 or bool array, got float32 (as jax.numpy: integer or boolean input only)');
  assert.is(errorOf(() => np.unpackbits(np.array([true], 'bool'))), "unpackbits: expected an int32 array of byte values (jax.numpy's uint8), got bool");
  assert.is(errorOf(() => np.packbits(B(), { bitorder: 'middle' as 'big' })), "packbits: bitorder must be 'big' or 'little', got middle");
  assert.is(errorOf(() => np.unpackbits(U(), { count: 1.5 })), 'unpackbits: count must be an integer or null, got 1.5');
});

// ---------------------------------------------------------------- grids and predicates

const Grids = suite(`np leftovers: mgrid, ogrid, isreal, iterable [${backend}]`);

Grids('mgrid: slice-like specs as jnp.mgrid[...] (steps, { num } counts, np.slice, negative steps); one spec is 1-D', async () => {
  const g = fx.grid;
  const want = (name: string, got: NdArray, dtype: string) => expect(got, g[name]!.shape, dtype, g[name]!.values, `mgrid ${name}`);
  await want('mgrid_2d', np.mgrid([0, 3], [1, 5]), 'int32'); // jnp.mgrid[0:3, 1:5]
  await want('mgrid_1d', np.mgrid([2, 7, 2]), 'int32'); // jnp.mgrid[2:7:2]
  await want('mgrid_num', np.mgrid([0, 1, { num: 5 }]), 'float32'); // jnp.mgrid[0:1:5j]
  await want('mgrid_mixed', np.mgrid([-1, 1, 0.5], np.slice(null, 2)), 'float32'); // jnp.mgrid[-1:1:0.5, :2]
  await want('mgrid_neg_step', np.mgrid([5, 0, -2], [0, 2, { num: 3 }]), 'float32'); // jnp.mgrid[5:0:-2, 0:2:3j]
  assert.is(errorOf(() => np.mgrid()), 'mgrid: give at least one spec, as mgrid([0, 5]) or mgrid([0, 5], [0, 1, { num: 3 }])');
  assert.is(errorOf(() => np.mgrid([0] as unknown as [number, number])), 'mgrid: each spec needs a stop, as [start, stop], [start, stop, step] or [start, stop, { num }]; got [0]');
});

Grids('ogrid: one broadcastable array per spec, dtypes promoted together (jnp.ogrid[0:3, 0:2:3j])', async () => {
  const [i, j] = np.ogrid([0, 3], [0, 2, { num: 3 }]) as NdArray[];
  await expect(i!, fx.grid.ogrid[0]!.shape, 'float32', fx.grid.ogrid[0]!.values, 'ogrid 0');
  await expect(j!, fx.grid.ogrid[1]!.shape, 'float32', fx.grid.ogrid[1]!.values, 'ogrid 1');
  await expect(np.ogrid([0, 3]) as NdArray, [3], 'int32', [0, 1, 2], 'ogrid one spec');
});

Grids('isreal/iscomplex are all true/false of x shape; isrealobj/iscomplexobj are JS booleans; iterable as NumPy', async () => {
  await expect(np.isreal(np.array([[1, 2]])), [1, 2], 'bool', [1, 1], 'isreal');
  await expect(np.iscomplex(np.array([1, 2, 3], 'int32')), [3], 'bool', [0, 0, 0], 'iscomplex');
  await expect(np.isreal(2.5), [], 'bool', [1], 'isreal of a number');
  assert.equal([np.isrealobj(np.array([1])), np.iscomplexobj(np.array([1])), np.isrealobj(3)], [true, false, true]);
  assert.equal([np.iterable(np.array([1, 2])), np.iterable(np.array(1)), np.iterable([1]), np.iterable('ab'), np.iterable(3), np.iterable(null), np.iterable({ a: 1 })], [true, false, true, true, false, false, false]);
});

// ---------------------------------------------------------------- linspace, round

const Misc = suite(`np leftovers: linspace retstep, round of bool [${backend}]`);

Misc('linspace with retstep returns the step as a float32 0-d array, for an int32 dtype too (jax.numpy)', async () => {
  const [xs, step] = np.linspace(0, 1, 5, { retstep: true });
  await expect(xs, [5], 'float32', [0, 0.25, 0.5, 0.75, 1], 'samples');
  await expect(step, [], 'float32', [0.25], 'step');
  await expect(np.linspace(0, 9, 4, { retstep: true, dtype: 'int32' })[1], [], 'float32', [3], 'step of an int32 linspace');
  await expect(np.linspace(2, 5, 1, { retstep: true, endpoint: false })[1], [], 'float32', [3], 'one sample without the endpoint: stop - start');
});

Misc('round of a bool array is an error, as jax.numpy (its round rejects bool); int32 passes unchanged', async () => {
  assert.is(errorOf(() => np.round(np.array([true, false], 'bool'))), "round: bool arrays cannot be rounded (as in jax.numpy); cast to 'int32' or 'float32' first");
  assert.is(errorOf(() => np.around(np.array([true], 'bool'), 1)), "round: bool arrays cannot be rounded (as in jax.numpy); cast to 'int32' or 'float32' first");
  await expect(np.round(np.array([3, -2], 'int32')), [2], 'int32', [3, -2], 'round int32');
});

Misc('take with a JS number index gives the slice without that axis (jnp.take(a, 1, axis=0))', async () => {
  const a = np.array([[1, 2], [3, 4], [5, 6]]);
  const row = np.take(a, 1, 0);
  assert.equal(row.shape, [2]);
  assert.equal([...(await row.data())], [3, 4]);
  const flat = np.take(a, 4);
  assert.equal(flat.shape, []);
  assert.equal([...(await flat.data())], [5]);
});

Bits.run();
Pack.run();
Grids.run();
Misc.run();
