/**
 * jax.scipy.spatial.transform: `Rotation` (unit quaternions, scalar-last [x, y, z, w] as SciPy's,
 * one rotation [4] or a batch [..., 4]) and `Slerp`. Everything is np operations on the quaternion
 * array, so rotations trace under jit, batch under vmap and differentiate.
 */
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { type Key, normal } from '../random/keys.js';
import { type Operand, asFloat } from './util.js';

/** Below this angle the rotation-vector maps use their Taylor series (SciPy's threshold). */
const SMALL_ANGLE = 1e-3;
/** Euler's middle angle this close to 0 or pi is gimbal lock: the third angle is set to 0 (SciPy's and JAX's 1e-7). */
const GIMBAL_EPS = 1e-7;

const comp = (q: NdArray, i: number): NdArray => np.take(q, i, -1);
const dot3 = (a: NdArray, b: NdArray): NdArray => np.sum(np.mul(a, b), -1, true);
const xyzOf = (q: NdArray): NdArray => np.sliceAxis(q, -1, 0, 3);
const wOf = (q: NdArray): NdArray => np.sliceAxis(q, -1, 3, 4);

function cross3(a: NdArray, b: NdArray): NdArray {
  const [a0, a1, a2] = [comp(a, 0), comp(a, 1), comp(a, 2)];
  const [b0, b1, b2] = [comp(b, 0), comp(b, 1), comp(b, 2)];
  return np.stack([np.sub(np.mul(a1, b2), np.mul(a2, b1)), np.sub(np.mul(a2, b0), np.mul(a0, b2)), np.sub(np.mul(a0, b1), np.mul(a1, b0))], -1);
}

/** The Hamilton product p q (rotation q first, then p). */
function quatMul(p: NdArray, q: NdArray): NdArray {
  const [pv, pw, qv, qw] = [xyzOf(p), wOf(p), xyzOf(q), wOf(q)];
  const v = np.add(np.add(np.mul(pw, qv), np.mul(qw, pv)), cross3(pv, qv));
  return np.concatenate([v, np.sub(np.mul(pw, qw), dot3(pv, qv))], -1);
}

/** |v| along the last axis, keeping it; a zero vector gives 0 with a zero (not NaN) derivative. */
function safeNorm(v: NdArray): [NdArray, NdArray] {
  const sq = dot3(v, v);
  const zero = np.equal(sq, 0);
  return [np.where(zero, 0, np.sqrt(np.where(zero, 1, sq))), zero];
}

function checkLast(x: NdArray, n: number, op: string, name: string): void {
  const s = np.shape(x);
  if (s.length === 0 || s[s.length - 1] !== n) throw new Error(`Rotation.${op}: ${name} must have shape [..., ${n}], got ${shapeStr(s)}`);
}

type Axis = 0 | 1 | 2;

/** Parses an Euler sequence: 1 to 3 axes, all extrinsic (xyz) or all intrinsic (XYZ), no axis twice in a row. */
function parseSeq(seq: string, op: string): { axes: Axis[]; extrinsic: boolean } {
  const bad = (): never => {
    throw new Error(`Rotation.${op}: seq must be 1 to 3 of 'xyz' (extrinsic) or of 'XYZ' (intrinsic), no axis twice in a row, got '${seq}'`);
  };
  if (seq.length < 1 || seq.length > 3) bad();
  const extrinsic = /^[xyz]+$/.test(seq);
  if (!extrinsic && !/^[XYZ]+$/.test(seq)) bad();
  const axes = [...seq.toLowerCase()].map((c) => 'xyz'.indexOf(c) as Axis);
  if (axes.some((a, i) => i > 0 && a === axes[i - 1])) bad();
  return { axes, extrinsic };
}

/** A rotation of angle t (radians) about one coordinate axis. */
function elementary(axis: Axis, t: NdArray): NdArray {
  const [s, c] = [np.sin(np.mul(t, 0.5)), np.cos(np.mul(t, 0.5))];
  const zero = np.zerosLike(t);
  return np.stack([0, 1, 2].map((i) => (i === axis ? s : zero)).concat([c]), -1);
}

/** SciPy's / JAX's rotation: `quat` [..., 4] unit quaternions, scalar last. */
export class Rotation {
  /** Use the static constructors (fromQuat, fromMatrix, ...); `quat` must already be normalized. */
  constructor(readonly quat: NdArray) {}

  /** Rotations from quaternions [..., 4] (x, y, z, w; normalized here, as SciPy and JAX). */
  static fromQuat(quat: Operand): Rotation {
    const q = asFloat(quat);
    checkLast(q, 4, 'fromQuat', 'quat');
    return new Rotation(np.div(q, np.sqrt(np.sum(np.mul(q, q), -1, true))));
  }

  /** Rotations from rotation matrices [..., 3, 3] (SciPy's method: the largest of the diagonal and the trace picks the formula). */
  static fromMatrix(matrix: Operand): Rotation {
    const m = asFloat(matrix);
    const s = np.shape(m);
    if (s.length < 2 || s[s.length - 1] !== 3 || s[s.length - 2] !== 3) throw new Error(`Rotation.fromMatrix: matrix must have shape [..., 3, 3], got ${shapeStr(s)}`);
    const e = (i: number, j: number) => np.take(np.take(m, i, -2), j, -1);
    const tr = np.add(np.add(e(0, 0), e(1, 1)), e(2, 2));
    const candidates = [0, 1, 2].map((i) => {
      const [j, k] = [(i + 1) % 3, (i + 2) % 3];
      const q: NdArray[] = [];
      q[i] = np.add(np.sub(1, tr), np.mul(2, e(i, i)));
      q[j] = np.add(e(j, i), e(i, j));
      q[k] = np.add(e(k, i), e(i, k));
      q[3] = np.sub(e(k, j), e(j, k));
      return np.stack(q, -1);
    });
    candidates.push(np.stack([np.sub(e(2, 1), e(1, 2)), np.sub(e(0, 2), e(2, 0)), np.sub(e(1, 0), e(0, 1)), np.add(1, tr)], -1));
    const choice = np.argmax(np.stack([e(0, 0), e(1, 1), e(2, 2), tr], -1), -1);
    const pick = np.expandDims(np.oneHot(choice, 4), -1);
    return Rotation.fromQuat(np.sum(np.mul(np.stack(candidates, -2), pick), -2));
  }

  /** Rotations from rotation vectors [..., 3] (axis times angle, radians unless `degrees`). */
  static fromRotvec(rotvec: Operand, degrees = false): Rotation {
    const v0 = asFloat(rotvec);
    checkLast(v0, 3, 'fromRotvec', 'rotvec');
    const v = degrees ? np.mul(v0, Math.PI / 180) : v0;
    const [angle] = safeNorm(v);
    const a2 = np.mul(angle, angle);
    const small = np.lessEqual(angle, SMALL_ANGLE);
    const big = np.where(small, 1, angle);
    const scale = np.where(small, np.add(np.sub(0.5, np.div(a2, 48)), np.div(np.mul(a2, a2), 3840)), np.div(np.sin(np.mul(big, 0.5)), big));
    return new Rotation(np.concatenate([np.mul(scale, v), np.cos(np.mul(angle, 0.5))], -1));
  }

  /**
   * Rotations from Euler angles: `seq` of 1 to 3 axes, 'xyz'-style extrinsic (fixed axes) or
   * 'XYZ'-style intrinsic (moving axes); angles [..., len(seq)] (or [...] for one axis).
   */
  static fromEuler(seq: string, angles: Operand, degrees = false): Rotation {
    const { axes, extrinsic } = parseSeq(seq, 'fromEuler');
    let a = asFloat(angles);
    if (axes.length === 1 && (np.shape(a).length === 0 || np.shape(a)[np.shape(a).length - 1] !== 1)) a = np.expandDims(a, -1);
    checkLast(a, axes.length, 'fromEuler', `angles for '${seq}'`);
    if (degrees) a = np.mul(a, Math.PI / 180);
    const parts = axes.map((ax, i) => elementary(ax, np.take(a, i, -1)));
    const q = parts.slice(1).reduce((acc, p) => (extrinsic ? quatMul(p, acc) : quatMul(acc, p)), parts[0]!);
    return new Rotation(q);
  }

  /** The identity rotation, or `num` of them ([num, 4]). */
  static identity(num: number | null = null): Rotation {
    const q = np.array([0, 0, 0, 1]);
    return new Rotation(num === null ? q : np.broadcastTo(q, [num, 4]));
  }

  /** Uniformly distributed rotations from a key (normalized standard normal quaternions, JAX's method): one, or `num` of them. */
  static random(key: Key, num: number | null = null): Rotation {
    return Rotation.fromQuat(normal(key, num === null ? [4] : [num, 4]));
  }

  /** Whether this is one rotation (quat [4]) rather than a batch. */
  get single(): boolean {
    return np.shape(this.quat).length === 1;
  }

  /** The number of rotations of a batch (an error for a single rotation, as SciPy's len). */
  get length(): number {
    if (this.single) throw new Error('Rotation.length: a single rotation has no length');
    return np.shape(this.quat)[0]!;
  }

  /** The quaternions [..., 4], scalar last (or first with `scalarFirst`); `canonical` makes w >= 0 (w = 0: the first nonzero entry positive). */
  asQuat(canonical = false, scalarFirst = false): NdArray {
    let q = this.quat;
    if (canonical) {
      const [x, y, z, w] = [0, 1, 2, 3].map((i) => comp(q, i));
      const flip = np.where(np.equal(w!, 0), np.where(np.equal(x!, 0), np.where(np.equal(y!, 0), np.less(z!, 0), np.less(y!, 0)), np.less(x!, 0)), np.less(w!, 0));
      q = np.where(np.expandDims(flip, -1), np.neg(q), q);
    }
    return scalarFirst ? np.concatenate([wOf(q), xyzOf(q)], -1) : q;
  }

  /** The rotation matrices [..., 3, 3]. */
  asMatrix(): NdArray {
    const [x, y, z, w] = [0, 1, 2, 3].map((i) => comp(this.quat, i)) as [NdArray, NdArray, NdArray, NdArray];
    const p = (a: NdArray, b: NdArray) => np.mul(np.mul(a, b), 2);
    const [xx, yy, zz] = [p(x, x), p(y, y), p(z, z)];
    const [xy, xz, yz, xw, yw, zw] = [p(x, y), p(x, z), p(y, z), p(x, w), p(y, w), p(z, w)];
    const rows = [
      [np.sub(np.sub(1, yy), zz), np.sub(xy, zw), np.add(xz, yw)],
      [np.add(xy, zw), np.sub(np.sub(1, xx), zz), np.sub(yz, xw)],
      [np.sub(xz, yw), np.add(yz, xw), np.sub(np.sub(1, xx), yy)],
    ];
    return np.stack(rows.map((r) => np.stack(r, -1)), -2);
  }

  /** The rotation vectors [..., 3] (angle in [0, pi], radians unless `degrees`). */
  asRotvec(degrees = false): NdArray {
    const q = this.asQuat(true);
    const v = xyzOf(q);
    const [s] = safeNorm(v);
    const angle = np.mul(2, np.arctan2(s, wOf(q)));
    const a2 = np.mul(angle, angle);
    const small = np.lessEqual(angle, SMALL_ANGLE);
    const big = np.where(small, 1, angle);
    const scale = np.where(small, np.add(np.add(2, np.div(a2, 12)), np.div(np.mul(np.mul(a2, a2), 7), 2880)), np.div(big, np.sin(np.mul(big, 0.5))));
    const r = np.mul(scale, v);
    return degrees ? np.mul(r, 180 / Math.PI) : r;
  }

  /**
   * Euler angles [..., 3] for a 3-axis `seq` (SciPy >= 1.11's and JAX's quaternion method,
   * Bernardes and Viollet 2022): first and third in [-pi, pi], the middle in [0, pi] (proper Euler)
   * or [-pi/2, pi/2] (Tait-Bryan); at gimbal lock the third angle is 0.
   */
  asEuler(seq: string, degrees = false): NdArray {
    const { axes, extrinsic } = parseSeq(seq, 'asEuler');
    if (axes.length !== 3) throw new Error(`Rotation.asEuler: seq must have 3 axes, got '${seq}'`);
    const [i0, j, k0] = axes as [Axis, Axis, Axis];
    const [i, kk] = extrinsic ? [i0, k0] : [k0, i0];
    const symmetric = i === kk;
    const k = symmetric ? 3 - i - j : kk;
    const sign = ((i - j) * (j - k) * (k - i)) / 2;
    const q = this.quat;
    const [qi, qj, qk, qw] = [comp(q, i), comp(q, j), np.mul(comp(q, k), sign), comp(q, 3)];
    const [a, b, c, d] = symmetric ? [qw, qi, qj, qk] : [np.sub(qw, qj), np.add(qi, qk), np.add(qj, qw), np.sub(qk, qi)];
    let middle = np.mul(2, np.arctan2(np.hypot(c, d), np.hypot(a, b)));
    const atZero = np.lessEqual(np.abs(middle), GIMBAL_EPS);
    const atPi = np.lessEqual(np.abs(np.sub(middle, Math.PI)), GIMBAL_EPS);
    const [halfSum, halfDiff] = [np.arctan2(b, a), np.arctan2(d, c)];
    const [firstIdx, thirdIdx] = extrinsic ? [0, 2] : [2, 0];
    const regular: NdArray[] = [];
    regular[firstIdx] = np.sub(halfSum, halfDiff);
    regular[thirdIdx] = np.add(halfSum, halfDiff);
    const locked = [np.where(atZero, np.mul(2, halfSum), np.mul(halfDiff, extrinsic ? -2 : 2)), np.zerosLike(halfSum)];
    const lock = np.logicalOr(atZero, atPi);
    let angles = [np.where(lock, locked[0]!, regular[0]!), np.where(lock, locked[1]!, regular[2]!)];
    if (!symmetric) {
      angles[thirdIdx === 0 ? 0 : 1] = np.mul(angles[thirdIdx === 0 ? 0 : 1]!, sign);
      middle = np.sub(middle, Math.PI / 2);
    }
    angles = [angles[0]!, middle, angles[1]!].map((t) => np.where(np.less(t, -Math.PI), np.add(t, 2 * Math.PI), np.where(np.greater(t, Math.PI), np.sub(t, 2 * Math.PI), t)));
    const out = np.stack(angles, -1);
    return degrees ? np.mul(out, 180 / Math.PI) : out;
  }

  /** Rotates vectors [..., 3] (or by the inverse): one rotation and many vectors, many and one, or as many of each (broadcast). */
  apply(vectors: Operand, inverse = false): NdArray {
    const v = asFloat(vectors);
    checkLast(v, 3, 'apply', 'vectors');
    const m = inverse ? np.swapaxes(this.asMatrix(), -1, -2) : this.asMatrix();
    return np.squeeze(np.matmul(m, np.expandDims(v, -1)), -1);
  }

  /** The inverse rotations: w negated (SciPy 1.10's and JAX's choice of the two quaternions of the conjugate). */
  inv(): Rotation {
    return new Rotation(np.concatenate([xyzOf(this.quat), np.neg(wOf(this.quat))], -1));
  }

  /** The rotation angles in [0, pi]. */
  magnitude(): NdArray {
    const [s] = safeNorm(xyzOf(this.quat));
    return np.squeeze(np.mul(2, np.arctan2(s, np.abs(wOf(this.quat)))), -1);
  }

  /** The composition this * other: `other` applied first, then this (SciPy's `*`), batches broadcasting. */
  mul(other: Rotation): Rotation {
    return new Rotation(quatMul(this.quat, other.quat));
  }

  /** The rotations at indices (an integer: one rotation; an int array: a batch) of a batch. */
  get(index: number | NdArray): Rotation {
    if (this.single) throw new Error('Rotation.get: a single rotation is not subscriptable');
    return new Rotation(np.take(this.quat, index, 0));
  }
}

/**
 * Spherical linear interpolation between `rotations` (a batch of n >= 2) at increasing `times`
 * [n] (jax.scipy.spatial.transform.Slerp): between key times the rotation turns at a constant rate
 * about a fixed axis. Times outside [times[0], times[n-1]] extrapolate the first or last interval
 * (JAX's; SciPy raises).
 */
export class Slerp {
  private readonly rotvecs: NdArray;
  private readonly deltas: NdArray;

  constructor(
    readonly times: NdArray,
    readonly rotations: Rotation,
  ) {
    const n = np.shape(times)[0];
    if (np.shape(times).length !== 1 || n === undefined || n < 2) throw new Error(`Slerp: times must be 1-D with at least 2 entries, got shape ${shapeStr(np.shape(times))}`);
    if (rotations.single || rotations.length !== n) throw new Error(`Slerp: rotations must be a batch of ${n} (one per time)`);
    const q = rotations.quat;
    const [before, after] = [new Rotation(np.sliceAxis(q, 0, 0, n - 1)), new Rotation(np.sliceAxis(q, 0, 1, n))];
    this.rotvecs = before.inv().mul(after).asRotvec();
    this.deltas = np.diff(asFloat(times));
  }

  /** The interpolated rotations at `t` (a number: one rotation; an array [m]: a batch). */
  call(t: Operand): Rotation {
    const tv = asFloat(t);
    const times = asFloat(this.times);
    const n = np.shape(times)[0]!;
    const idx = np.clip(np.sub(np.searchsorted(times, tv, 'right'), 1), 0, n - 2);
    const alpha = np.div(np.sub(tv, np.take(times, idx, 0)), np.take(this.deltas, idx, 0));
    const step = Rotation.fromRotvec(np.mul(np.take(this.rotvecs, idx, 0), np.expandDims(alpha, -1)));
    return new Rotation(np.take(this.rotations.quat, idx, 0)).mul(step);
  }
}
