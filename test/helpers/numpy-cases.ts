/**
 * The calls behind test/fixtures/numpy.json (written by tools/numpy-fixtures.py): each case
 * name maps to the `np` call that NumPy's function is compared with. Shared by the
 * semantic-rule suite (test/core/numpy-semantics.test.ts, every backend) and the function
 * suite (test/ops/numpy-functions.test.ts). Not a test file itself.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, np } from '../../lib/index.js';
import type { DType } from '../../lib/core/aval.js';
import * as assert from 'uvu/assert';
import { allClose } from './assert.js';

type Arg = NdArray | number;
type Out = NdArray | readonly NdArray[];
interface Encoded {
  dtype: DType;
  shape: number[];
  data: (number | string)[];
}
interface Case {
  group: 'semantics' | 'functions';
  args: (Encoded | number)[];
  out: Encoded | Encoded[];
}

const A = (a: Arg) => a as NdArray;

export const CALLS: Record<string, (...a: Arg[]) => Out> = {
  'mul int32 by weak float': (x, y) => np.mul(x, y),
  'add int32 and weak int': (x, y) => np.add(x, y),
  'add bool and weak int': (x, y) => np.add(x, y),
  'add int32 and float32': (x, y) => np.add(x, y),
  'mul bool and float32': (x, y) => np.mul(x, y),
  'mul two numbers': (x, y) => np.mul(x, y),
  'mul int and float numbers': (x, y) => np.mul(x, y),
  'true division of int32': (x, y) => np.div(x, y),
  'true division of int32 by weak int': (x, y) => np.div(x, y),
  'floorDivide int32': (x, y) => np.floorDivide(x, y),
  'floorDivide float32': (x, y) => np.floorDivide(x, y),
  'mean of int32': (x) => np.mean(A(x)),
  'mean of bool': (x) => np.mean(A(x)),
  'logicalAnd numbers': (x, y) => np.logicalAnd(x, y),
  'logicalOr float32 and number': (x, y) => np.logicalOr(x, y),
  'logicalNot int32': (x) => np.logicalNot(x),
  'less int32 than weak float': (x, y) => np.less(x, y),
  'where with int32 and weak float': (c, x, y) => np.where(c, x, y),
  'take negative indices': (x, i) => np.take(A(x), A(i)),
  'slice -3:-1': (x) => np.sliceAxis(A(x), 0, -3, -1),
  'slice ::-1': (x) => np.sliceAxis(A(x), 0, null, null, -1),
  'slice 4:0:-2': (x) => np.sliceAxis(A(x), 0, 4, 0, -2),
  'slice -10:100': (x) => np.sliceAxis(A(x), 0, -10, 100),
  'transpose negative perm': (x) => np.transpose(A(x), [-1, 0, -2]),
  'argmax first NaN': (x) => np.argmax(A(x), -1),
  'argmin first NaN': (x) => np.argmin(A(x), -1),
  'sqrt of int32': (x) => np.sqrt(A(x)),
  'sum of bool': (x) => np.sum(A(x)),
  'floor and ceil of int32': (x) => [np.floor(A(x)), np.ceil(A(x))],
  'sign NaN': (x) => np.sign(A(x)),

  ceil: (x) => np.ceil(A(x)),
  tan: (x) => np.tan(A(x)),
  arcsin: (x) => np.arcsin(A(x)),
  arccos: (x) => np.arccos(A(x)),
  arctan: (x) => np.arctan(A(x)),
  arctan2: (y, x) => np.arctan2(y, x),
  sinh: (x) => np.sinh(A(x)),
  cosh: (x) => np.cosh(A(x)),
  arcsinh: (x) => np.arcsinh(A(x)),
  arccosh: (x) => np.arccosh(A(x)),
  arctanh: (x) => np.arctanh(A(x)),
  log2: (x) => np.log2(A(x)),
  log10: (x) => np.log10(A(x)),
  exp2: (x) => np.exp2(A(x)),
  cbrt: (x) => np.cbrt(A(x)),
  logaddexp: (x, y) => np.logaddexp(x, y),
  isnan: (x) => np.isnan(A(x)),
  isinf: (x) => np.isinf(A(x)),
  signbit: (x) => np.signbit(A(x)),
  copysign: (x, y) => np.copysign(x, y),
  fmax: (x, y) => np.fmax(x, y),
  fmin: (x, y) => np.fmin(x, y),
  nanToNum: (x) => np.nanToNum(A(x)),
  'remainder int32': (x, y) => np.remainder(x, y),
  'remainder float32': (x, y) => np.remainder(x, y),
  'divmod int32': (x, y) => np.divmod(x, y),
  modf: (x) => np.modf(A(x)),
  isclose: (x, y) => np.isclose(x, y),
  'clip with array bounds': (x, lo, hi) => np.clip(A(x), lo, hi),

  'prod all': (x) => np.prod(A(x)),
  'prod axis 1': (x) => np.prod(A(x), 1),
  'prod int32 axis 0': (x) => np.prod(A(x), 0),
  'any axis 0': (x) => np.any(A(x), 0),
  'all axis 1': (x) => np.all(A(x), 1),
  'countNonzero axis 1': (x) => np.countNonzero(A(x), 1),
  'argmin axis 0': (x) => np.argmin(A(x), 0),
  'argmin int32': (x) => np.argmin(A(x)),
  'std ddof 1 axis 0': (x) => np.std(A(x), 0, false, 1),
  'average with weights': (x, w) => np.average(A(x), 1, A(w)),
  'cumsum axis 1': (x) => np.cumsum(A(x), 1),
  'cumsum flattened int32': (x) => np.cumsum(A(x)),
  'cumprod axis 0': (x) => np.cumprod(A(x), 0),
  'nansum axis 1': (x) => np.nansum(A(x), 1),
  'nanprod axis 1': (x) => np.nanprod(A(x), 1),
  'nanmean axis 1': (x) => np.nanmean(A(x), 1),
  'nanmax axis 1': (x) => np.nanmax(A(x), 1),
  'nanmin axis 1': (x) => np.nanmin(A(x), 1),
  'nanvar axis 1': (x) => np.nanvar(A(x), 1),
  'nanstd axis 1': (x) => np.nanstd(A(x), 1),
  'nanargmax axis 1': (x) => np.nanargmax(A(x), 1),
  'nanargmin axis 1': (x) => np.nanargmin(A(x), 1),

  'sort axis -1': (x) => np.sort(A(x), -1),
  'argsort stable': (x) => np.argsort(A(x), -1),
  'sort axis 0': (x) => np.sort(A(x), 0),
  'topK 3': (x) => np.topK(A(x), 3),
  'searchsorted left': (a, v) => np.searchsorted(A(a), v, 'left'),
  'searchsorted right': (a, v) => np.searchsorted(A(a), v, 'right'),

  bitwiseAnd: (x, y) => np.bitwiseAnd(x, y),
  bitwiseOr: (x, y) => np.bitwiseOr(x, y),
  bitwiseXor: (x, y) => np.bitwiseXor(x, y),
  bitwiseNot: (x) => np.bitwiseNot(A(x)),
  'bitwiseAnd bool': (x, y) => np.bitwiseAnd(x, y),
  leftShift: (x, n) => np.leftShift(x, n),
  rightShift: (x, n) => np.rightShift(x, n),
};

const decodeNumber = (v: number | string) => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : (v as number));

function decode(e: Encoded | number): Arg {
  if (typeof e === 'number') return e;
  return tf.tensor(e.data.map(decodeNumber), e.shape, e.dtype);
}

export function loadCases(group: Case['group']): [string, Case][] {
  const url = new URL('../fixtures/numpy.json', import.meta.url);
  const all = JSON.parse(readFileSync(url, 'utf8')).cases as Record<string, Case>;
  const names = Object.keys(all);
  const missing = names.filter((n) => !CALLS[n]);
  if (missing.length) throw new Error(`test/helpers/numpy-cases.ts: no call for fixture case(s) ${missing.join(', ')}`);
  return Object.entries(all).filter(([, c]) => c.group === group);
}

/** Float32 maths against NumPy's float64 results: a few ulps (1e-6 absolute for results near 0). */
const TOL = { rtol: 2e-6, atol: 1e-6 };

/** Runs one case and checks dtype, shape and values (bool and int32 exactly, NaN matching NaN). */
export async function checkCase(name: string, c: Case, tol = TOL): Promise<void> {
  const args = c.args.map(decode);
  const got = CALLS[name]!(...args);
  const outs = Array.isArray(got) ? (got as NdArray[]) : [got as NdArray];
  const want = Array.isArray(c.out) ? c.out : [c.out];
  assert.is(outs.length, want.length, `${name}: number of results`);
  for (let k = 0; k < want.length; k++) {
    const t = outs[k] as tf.Tensor;
    assert.is(t.dtype, want[k]!.dtype, `${name}: dtype of result ${k}`);
    assert.equal([...t.shape], want[k]!.shape, `${name}: shape of result ${k}`);
    const data = Array.from(await t.data(), Number);
    const expected = want[k]!.data.map(decodeNumber);
    if (t.dtype === 'float32') allClose(data, expected, tol, `${name}: values of result ${k}`);
    else assert.equal(data, expected, `${name}: values of result ${k}`);
  }
  tf.dispose([...args.filter((a): a is tf.Tensor => typeof a !== 'number'), ...(outs as tf.Tensor[])]);
}
