/**
 * jax.numpy's dtype introspection and constants on tfjax's dtypes (bool, int32, float32):
 * `finfo`, `iinfo`, `promoteTypes`, `resultType`, `canCast`, `issubdtype`, `isdtype`, the
 * dtype names (`np.float32`, `np.int32`, `np.bool_`) and abstract kinds (`np.floating`,
 * `np.integer`, ...) as strings, and the constants `pi`, `e`, `inf`, `nan`, `eulerGamma`,
 * `newaxis`.
 */
import { type DType, isDType } from '../core/aval.js';
import { joinDTypes, resultDType } from '../core/promotion.js';
import { type NdArray, avalOf, isArray } from '../core/trace.js';

export const pi = Math.PI;
export const e = Math.E;
export const inf = Infinity;
export const nan = NaN;
/** The Euler-Mascheroni constant (numpy's euler_gamma). */
export const eulerGamma = 0.5772156649015329;
/** `null`, which np.index reads as a new axis (numpy's newaxis is None). */
export const newaxis = null;

export const float32 = 'float32' as const satisfies DType;
export const int32 = 'int32' as const satisfies DType;
/** The bool dtype (numpy's bool_ and the array API's bool). */
export const bool_ = 'bool' as const satisfies DType;
export { bool_ as bool };

/** NumPy's abstract scalar kinds, the second argument of {@link issubdtype}. */
export type DTypeKind = 'generic' | 'number' | 'integer' | 'signedinteger' | 'unsignedinteger' | 'inexact' | 'floating' | 'complexfloating';
export const generic = 'generic' as const satisfies DTypeKind;
export const number = 'number' as const satisfies DTypeKind;
export const integer = 'integer' as const satisfies DTypeKind;
export const signedinteger = 'signedinteger' as const satisfies DTypeKind;
export const unsignedinteger = 'unsignedinteger' as const satisfies DTypeKind;
export const inexact = 'inexact' as const satisfies DTypeKind;
export const floating = 'floating' as const satisfies DTypeKind;
export const complexfloating = 'complexfloating' as const satisfies DTypeKind;

/** Each dtype and kind with the kinds above it, NumPy's scalar type hierarchy. */
const PARENTS: Record<DType | DTypeKind, readonly (DType | DTypeKind)[]> = {
  generic: [],
  number: ['generic'],
  integer: ['number', 'generic'],
  signedinteger: ['integer', 'number', 'generic'],
  unsignedinteger: ['integer', 'number', 'generic'],
  inexact: ['number', 'generic'],
  floating: ['inexact', 'number', 'generic'],
  complexfloating: ['inexact', 'number', 'generic'],
  bool: ['generic'],
  int32: ['signedinteger', 'integer', 'number', 'generic'],
  float32: ['floating', 'inexact', 'number', 'generic'],
};

/** A dtype given as itself or by an array (or JS number / boolean) that has it. */
export type DTypeLike = DType | NdArray | number | boolean;

/** The dtype of a dtype name, an array, or a JS value (a number's weak dtype, a boolean's bool). */
function dtypeOf(x: DTypeLike, op: string): DType {
  if (typeof x === 'string') {
    if (isDType(x)) return x;
    throw new Error(`np.${op}: unknown dtype '${x}' (tfjax has float32, int32 and bool)`);
  }
  if (typeof x === 'boolean') return 'bool';
  if (typeof x === 'number') return resultDType([x]);
  if (isArray(x)) return avalOf(x).dtype;
  throw new Error(`np.${op}: expected a dtype or an array, got ${typeof x}`);
}

/** Machine limits of a float dtype (numpy's finfo): float32's, from the dtype or an array of it. */
export interface FInfo {
  dtype: 'float32'; bits: 32; eps: number; epsneg: number; max: number; min: number;
  tiny: number; smallestNormal: number; smallestSubnormal: number; resolution: number;
  precision: number; nmant: number; nexp: number; maxexp: number; minexp: number; machep: number; negep: number;
}

/** Limits of an integer dtype (numpy's iinfo). */
export interface IInfo { dtype: 'int32'; bits: 32; min: number; max: number; kind: 'i' }

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * float32's limits (numpy's finfo): eps = 2^-23, tiny = smallestNormal = 2^-126, max, ...;
 * the values are float32 numbers, as NumPy's np.float32 fields. An int32 or bool dtype is an
 * error, as NumPy ("not inexact").
 * @example np.finfo('float32').eps // 1.1920928955078125e-7; np.finfo(x).max
 */
export function finfo(x: DTypeLike): FInfo {
  const dtype = dtypeOf(x, 'finfo');
  if (dtype !== 'float32') throw new Error(`np.finfo: dtype ${dtype} is not a float dtype (use np.iinfo for int32)`);
  return {
    dtype, bits: 32, eps: 2 ** -23, epsneg: 2 ** -24, max: FLOAT32_MAX, min: -FLOAT32_MAX,
    tiny: 2 ** -126, smallestNormal: 2 ** -126, smallestSubnormal: 2 ** -149,
    resolution: Math.fround(1e-6), precision: 6, nmant: 23, nexp: 8, maxexp: 128, minexp: -126, machep: -23, negep: -24,
  };
}

/**
 * int32's limits (numpy's iinfo): min -2^31, max 2^31 - 1. A float or bool dtype is an
 * error, as in NumPy.
 * @example np.iinfo('int32').max // 2147483647
 */
export function iinfo(x: DTypeLike): IInfo {
  const dtype = dtypeOf(x, 'iinfo');
  if (dtype !== 'int32') throw new Error(`np.iinfo: dtype ${dtype} is not an integer dtype (use np.finfo for float32)`);
  return { dtype, bits: 32, min: -(2 ** 31), max: 2 ** 31 - 1, kind: 'i' };
}

/**
 * The dtype two dtypes promote to (jax.numpy's promote_types): the higher in bool < int32 < float32.
 * @example np.promoteTypes('int32', 'float32') // 'float32'
 */
export const promoteTypes = (a: DType, b: DType): DType => joinDTypes(dtypeOf(a, 'promoteTypes'), dtypeOf(b, 'promoteTypes'));

/**
 * The dtype an operation on these operands gives (jax.numpy's result_type): dtypes and arrays
 * are strongly typed, JS numbers and booleans weakly (a number never lowers an array's dtype).
 * @example np.resultType(int32Array, 0.5) // 'float32'; np.resultType('bool', 1) // 'int32'
 */
export function resultType(...args: DTypeLike[]): DType {
  if (args.length === 0) throw new Error('np.resultType: at least one array or dtype is required');
  const strong = args.filter((a) => typeof a !== 'number' && typeof a !== 'boolean').map((a) => dtypeOf(a, 'resultType'));
  const weak = args.filter((a): a is number => typeof a === 'number');
  const fromWeak = weak.length > 0 ? resultDType(weak) : 'bool';
  return strong.length === 0 ? fromWeak : joinDTypes(strong.reduce(joinDTypes), fromWeak);
}

/** NumPy's casting rules, the third argument of {@link canCast}. */
export type Casting = 'no' | 'equiv' | 'safe' | 'same_kind' | 'unsafe';
const KIND_ORDER: Record<DType, number> = { bool: 0, int32: 1, float32: 2 };

/**
 * Whether a cast from `from` to `to` is allowed under `casting` (numpy's can_cast, which
 * jax.numpy calls): 'safe' allows bool to anything but not int32 to float32 (float32 cannot
 * hold every int32); 'same_kind' allows any cast to a higher kind; 'unsafe' allows all.
 * @example np.canCast('int32', 'float32') // false; np.canCast('int32', 'float32', 'same_kind') // true
 */
export function canCast(from: DTypeLike, to: DType, casting: Casting = 'safe'): boolean {
  const [a, b] = [dtypeOf(from, 'canCast'), dtypeOf(to, 'canCast')];
  switch (casting) {
    case 'no': case 'equiv': return a === b;
    case 'safe': return a === b || a === 'bool';
    case 'same_kind': return KIND_ORDER[a] <= KIND_ORDER[b];
    case 'unsafe': return true;
    default: throw new Error(`np.canCast: casting must be 'no', 'equiv', 'safe', 'same_kind' or 'unsafe', got '${String(casting)}'`);
  }
}

/** A dtype or kind name: checked to be one. */
function dtypeOrKind(x: string, op: string): DType | DTypeKind {
  if (x in PARENTS) return x as DType | DTypeKind;
  throw new Error(`np.${op}: unknown dtype or kind '${x}'`);
}

/**
 * Whether `arg1` is `arg2` or below it in NumPy's scalar hierarchy (numpy's issubdtype):
 * float32 is under 'floating', 'inexact', 'number' and 'generic'; int32 under
 * 'signedinteger', 'integer', 'number' and 'generic'; bool under 'generic' only.
 * @example np.issubdtype(x.dtype, np.floating); np.issubdtype('int32', np.integer) // true
 */
export function issubdtype(arg1: DType | DTypeKind, arg2: DType | DTypeKind): boolean {
  const [a, b] = [dtypeOrKind(arg1, 'issubdtype'), dtypeOrKind(arg2, 'issubdtype')];
  return a === b || PARENTS[a].includes(b);
}

/** The array API's dtype kinds, the second argument of {@link isdtype}. */
export type ArrayApiKind = 'bool' | 'signed integer' | 'unsigned integer' | 'integral' | 'real floating' | 'complex floating' | 'numeric';
const API_KINDS: Record<Exclude<ArrayApiKind, 'bool'>, readonly DType[]> = {
  'signed integer': ['int32'], 'unsigned integer': [], integral: ['int32'],
  'real floating': ['float32'], 'complex floating': [], numeric: ['int32', 'float32'],
};

/**
 * Whether `dtype` is of `kind` (the array API's isdtype, as jax.numpy): a kind name, a dtype,
 * or a list of them (true when any matches).
 * @example np.isdtype('float32', 'real floating') // true; np.isdtype('int32', ['bool', 'integral']) // true
 */
export function isdtype(dtype: DType, kind: ArrayApiKind | DType | readonly (ArrayApiKind | DType)[]): boolean {
  const d = dtypeOf(dtype, 'isdtype');
  if (Array.isArray(kind)) return (kind as readonly (ArrayApiKind | DType)[]).some((k) => isdtype(d, k));
  const k = kind as ArrayApiKind | DType;
  if (isDType(k)) return d === k;
  if (k in API_KINDS) return API_KINDS[k as Exclude<ArrayApiKind, 'bool'>].includes(d);
  throw new Error(`np.isdtype: unknown kind '${String(k)}' (the array API's: bool, signed integer, unsigned integer, integral, real floating, complex floating, numeric)`);
}
