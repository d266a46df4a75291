/**
 * jax.scipy names added late in session 15, against SciPy 1.10
 * (test/fixtures/scipy_leftovers_session15.json, tools/scipy_leftovers_session15.py, float32-rounded
 * inputs): linalg's special matrices, special.erfcx / dawsn / expn, stats.poisson.entropy,
 * spatial.transform.Rotation and Slerp.
 *
 * Tolerances: the special matrices from float32-exact inputs are exact up to one rounding of a
 * quotient (companion, fiedlerCompanion: rtol 1e-7) or a square root (helmert: 1e-7); integer ones
 * are compared exactly. erfcx / dawsn / expn are a few dozen float32 operations (rtol 2e-6, erfcx
 * 4e-6 at x = -9.3 where exp(x^2) carries float32's rounding of x^2 times 86); derivatives against
 * SciPy's closed forms, 1e-5 relative; poisson.entropy is a 100-term sum or a 4-term series (2e-6).
 * Rotations: products of a few unit-size float32 terms, atol 1e-6 (angles through atan2: 2e-6).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit, np, random, scipy, vmap } from '../../lib/index.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { readScipyFixture } from './fixtures.js';

const backend = await useTestBackend();
const test = suite(`scipy session 15 leftovers against SciPy [${backend}]`);
const { linalg, special, stats } = scipy;
const { Rotation, Slerp } = scipy.spatial.transform;

type Entry = Record<string, number[]>;
const fx = readScipyFixture<Record<string, Entry>>('scipy_leftovers_session15.json');
/** The named array of a fixture entry, with its shape. */
const arr = (e: Entry, k: string): NdArray => np.reshape(np.array(e[k]!), e[`${k}_shape`]!);
const read = async (y: NdArray) => Array.from(await y.data());
/** Asserts y's shape is the fixture's and its values within rtol (atol 0). */
async function matches(y: NdArray, e: Entry, k: string, rtol: number, what: string): Promise<void> {
  assert.equal(y.shape, e[`${k}_shape`], `${what}: shape`);
  allClose(await read(y), e[k]!, { rtol, atol: 0 }, what);
}

test('hankel, companion, fiedler, leslie from arrays; they trace under jit', async () => {
  const h = fx.hankel!;
  await matches(linalg.hankel(arr(h, 'c'), arr(h, 'r')), h, 'out', 0, 'hankel(c, r)');
  await matches(linalg.hankel(arr(h, 'c')), h, 'out_c', 0, 'hankel(c)');
  const c = fx.companion!;
  await matches(linalg.companion(arr(c, 'a')), c, 'out', 1e-7, 'companion');
  await matches(jit((a: NdArray) => linalg.companion(a))(arr(c, 'a')), c, 'out', 1e-7, 'companion under jit');
  await matches(linalg.fiedler(arr(fx.fiedler!, 'a')), fx.fiedler!, 'out', 0, 'fiedler');
  const l = fx.leslie!;
  await matches(linalg.leslie(arr(l, 'f'), arr(l, 's')), l, 'out', 1e-9, 'leslie'); // the fixture's 10 digits of float32's 0.8
  assert.match(errorOf(() => linalg.companion(np.array([1]))), 'at least 2 coefficients');
  assert.match(errorOf(() => linalg.leslie(np.array([1, 2]), np.array([1, 2]))), 'one element fewer');
  assert.match(errorOf(() => linalg.fiedler(np.eye(2))), 'a must be 1-D');
});

test('convolutionMatrix: full / same / valid for n below, inside and above len(a); A @ v is the convolution', async () => {
  const a = arr(fx.convmat_full_2!, 'a');
  for (const mode of ['full', 'same', 'valid'] as const) {
    for (const n of [2, 5, 7]) await matches(linalg.convolutionMatrix(a, n, mode), fx[`convmat_${mode}_${n}`]!, 'out', 0, `${mode} n=${n}`);
  }
  const v = np.array([1, -2, 0.5, 3, 1, 2, -1]);
  allClose(await read(np.matmul(linalg.convolutionMatrix(a, 7), v)), await read(np.convolve(a, v)), { rtol: 1e-6, atol: 1e-6 }, 'matches np.convolve');
  assert.match(errorOf(() => linalg.convolutionMatrix(a, 0)), 'n must be an integer >= 1');
  assert.match(errorOf(() => linalg.convolutionMatrix(a, 3, 'circular' as 'full')), "mode must be 'full', 'same' or 'valid'");
});

test('fiedlerCompanion: SciPy\'s pentadiagonal pattern for each length (even and odd), its eigenvalues the roots', async () => {
  for (let m = 2; m <= 8; m++) {
    const e = fx[`fiedler_companion_${m}`]!;
    await matches(linalg.fiedlerCompanion(arr(e, 'a')), e, 'out', 1e-7, `length ${m}`);
  }
  assert.equal(linalg.fiedlerCompanion(np.array([3])).shape, [0]);
});

test('hadamard, helmert, invhilbert, pascal, invpascal: SciPy\'s values, integers as int32', async () => {
  const had = linalg.hadamard(8);
  assert.is(had.dtype, 'int32');
  await matches(had, fx.hadamard8!, 'out', 0, 'hadamard(8)');
  assert.match(errorOf(() => linalg.hadamard(6)), 'power of 2');
  await matches(linalg.helmert(5, true), fx.helmert5!, 'full', 1e-7, 'helmert full');
  await matches(linalg.helmert(5), fx.helmert5!, 'part', 1e-7, 'helmert');
  const ih = fx.invhilbert!;
  await matches(linalg.invhilbert(4, true), ih, 'n4', 0, 'invhilbert(4, exact)');
  await matches(linalg.invhilbert(8), ih, 'n8', 1e-7, 'invhilbert(8) in float32');
  await matches(linalg.invhilbert(6), ih, 'n6f', 1e-7, 'invhilbert(6)');
  assert.is(linalg.invhilbert(4, true).dtype, 'int32');
  assert.match(errorOf(() => linalg.invhilbert(8, true)), "exceed int32's range");
  for (const kind of ['symmetric', 'lower', 'upper'] as const) {
    const e = fx[`pascal_${kind}`]!;
    await matches(linalg.pascal(6, kind), e, 'p', 0, `pascal ${kind}`);
    await matches(linalg.invpascal(6, kind), e, 'ip', 0, `invpascal ${kind}`);
    await matches(linalg.pascal(17, kind), e, 'p17', 0, `pascal(17) ${kind}`);
    await matches(linalg.pascal(6, kind, false), e, 'p', 0, `pascal ${kind} float`);
  }
  assert.is(linalg.pascal(3).dtype, 'int32');
  assert.is(linalg.pascal(3, 'lower', false).dtype, 'float32');
  assert.match(errorOf(() => linalg.pascal(18)), "exceed int32's range");
  assert.match(errorOf(() => linalg.pascal(3, 'diagonal' as 'lower')), "kind must be 'symmetric', 'lower' or 'upper'");
});

test('erfcx: values both sides of the fraction, overflow, tails, inf / NaN; derivative 2x erfcx - 2/sqrt(pi)', async () => {
  const e = fx.erfcx!;
  // SciPy's 3.1e39 at x = -9.5 is past float32's range: inf here.
  const want = e.y!.map((y) => (y > 3.4028235e38 ? Infinity : y));
  allClose(await read(special.erfcx(arr(e, 'x'))), want, { rtol: 4e-6, atol: 0 });
  const g = fx.erfcx_grad!;
  allClose(await read(vmap(grad((x: NdArray) => special.erfcx(x)))(arr(g, 'x'))), g.g!, { rtol: 1e-5, atol: 1e-6 }, 'grad');
});

test('dawsn: odd, series near 0, Rybicki sum, 1/(2x) far out, 0 at inf; derivative 1 - 2x D(x)', async () => {
  const e = fx.dawsn!;
  allClose(await read(special.dawsn(arr(e, 'x'))), e.y!, { rtol: 2e-6, atol: 0 });
  const g = fx.dawsn_grad!;
  allClose(await read(vmap(grad((x: NdArray) => special.dawsn(x)))(arr(g, 'x'))), g.g!, { rtol: 1e-5, atol: 1e-6 }, 'grad');
});

test('expn: n = 0 .. 25 over x in [0, inf], the edges (n < 0, x < 0, NaN); JAX\'s rule d/dx = -E_{n-1}', async () => {
  const e = fx.expn!;
  allClose(await read(special.expn(arr(e, 'n'), arr(e, 'x'))), e.y!, { rtol: 2e-6, atol: 0 });
  const edges = fx.expn_edges!;
  allClose(await read(special.expn(arr(edges, 'n'), arr(edges, 'x'))), edges.y!, { rtol: 0, atol: 0 }, 'edges');
  allClose(await read(special.expn(2.5, 1)), [NaN], { rtol: 0, atol: 0 }, 'fractional n');
  const g = fx.expn_grad!;
  const n = arr(g, 'n');
  allClose(await read(grad((x: NdArray) => np.sum(special.expn(n, x)))(arr(g, 'x'))), g.g!, { rtol: 1e-5, atol: 0 }, 'grad');
});

test('poisson.entropy: the sum below mu = 30, the asymptotic series above, 0 at 0; loc broadcasts only', async () => {
  const e = fx.poisson_entropy!;
  // Against a float64 sum (SciPy 1.10's entropy misses the k = 0 term at mu = 1e-30, stops early at 1e4, NaN at inf).
  allClose(await read(stats.poisson.entropy(arr(e, 'mu'))), e.h!, { rtol: 2e-6, atol: 0 });
  const mid = [2, 3, 4, 5, 6, 7, 8, 9, 10]; // where SciPy's own is right
  allClose(mid.map((i) => e.h![i]!), mid.map((i) => e.scipy![i]!), { rtol: 1e-12, atol: 0 }, 'the sum is SciPy\'s there');
  assert.equal(stats.poisson.entropy(np.array([1, 2]), np.zeros([3, 1])).shape, [3, 2]);
  allClose(await read(stats.poisson.entropy(-1)), [NaN], { rtol: 0, atol: 0 }, 'mu < 0');
});

test('hessenberg: SciPy\'s h and q (LAPACK\'s signs), zeros below the subdiagonal, batched; qrMultiply both modes', async () => {
  for (const name of ['sym4', 'gen5', 'reduced3']) {
    const e = fx[`hessenberg_${name}`]!;
    const [h, q] = linalg.hessenberg(arr(e, 'a'), { calcQ: true }) as [NdArray, NdArray];
    allClose(await read(h), e.h!, { rtol: 0, atol: 1e-5 }, `h ${name}`);
    allClose(await read(q), e.q!, { rtol: 0, atol: 1e-5 }, `q ${name}`);
    const n = e.h_shape![0]!;
    const hv = await read(h);
    assert.ok(hv.every((x, i) => Math.floor(i / n) <= (i % n) + 1 || x === 0), `exact zeros below the subdiagonal, ${name}`);
  }
  const e = fx.hessenberg_sym4!;
  const batched = linalg.hessenberg(np.stack([arr(e, 'a'), arr(e, 'a')])) as NdArray;
  allClose(await read(batched), [...e.h!, ...e.h!], { rtol: 0, atol: 1e-5 }, 'batched');
  const m = fx.qr_multiply!;
  const [left] = linalg.qrMultiply(arr(m, 'a'), arr(m, 'cl'), 'left');
  allClose(await read(left), m.left!, { rtol: 0, atol: 2e-6 }, 'left');
  const [right, r] = linalg.qrMultiply(arr(m, 'a'), arr(m, 'cr'));
  allClose(await read(right), m.right!, { rtol: 0, atol: 2e-6 }, 'right');
  allClose(await read(r), m.r!, { rtol: 0, atol: 2e-6 }, 'r');
  assert.match(errorOf(() => linalg.qrMultiply(arr(m, 'a'), arr(m, 'cl'))), "c's last axis must have 5 entries");
  assert.match(errorOf(() => linalg.hessenberg(np.zeros([2, 3]))), 'must be square');
});

test('besselJn: J_0 .. J_6 stacked first, negative z, z = 0 and tiny z (JAX\'s float32 overflow avoided)', async () => {
  const e = fx.bessel_jn!;
  const j = special.besselJn(arr(e, 'z'), { v: 6 });
  assert.equal(j.shape, [7, 9]);
  allClose(await read(j), e.j!, { rtol: 1e-5, atol: 2e-7 });
  assert.match(errorOf(() => special.besselJn(1, { v: 60 })), 'nIter must be an integer above v = 60');
});

test('lpmn / lpmnValues: [order, degree, x] values and derivatives; normalized as the spherical harmonics', async () => {
  const e = fx.lpmn!;
  const [p, dp] = special.lpmn(4, 4, arr(e, 'x'));
  await matches(p, e, 'p', 2e-6, 'lpmn values'); // exact 0 for m > l
  allClose(await read(dp), e.dp!, { rtol: 1e-5, atol: 1e-5 }, 'lpmn derivatives');
  allClose(await read(special.lpmnValues(4, 4, arr(e, 'x'), false)), e.p!, { rtol: 2e-6, atol: 0 }, 'unnormalized');
  allClose(await read(special.lpmnValues(4, 4, arr(e, 'x'), true)), e.pn!, { rtol: 2e-6, atol: 1e-7 }, 'normalized');
  assert.match(errorOf(() => special.lpmn(2, 3, arr(e, 'x'))), 'm must equal n');
  assert.match(errorOf(() => special.lpmn(2, 2, np.zeros([2, 2]))), 'z must be 1-D');
});

test('sici: series and fraction sides of 4, odd Si, even Ci (NaN at -inf, SciPy\'s), 0 / inf / NaN', async () => {
  const e = fx.sici!;
  const [si, ci] = special.sici(arr(e, 'x'));
  allClose(await read(si), e.si!, { rtol: 1e-6, atol: 0 }, 'Si');
  // Ci passes through 0 near x = 0.62 and oscillates about 0: an absolute floor of float32's resolution of its terms.
  allClose(await read(ci), e.ci!, { rtol: 2e-6, atol: 5e-7 }, 'Ci');
});

test('fresnel: [S, C], series and fraction sides of 1.8, odd, ±1/2 at ±inf, NaN', async () => {
  const e = fx.fresnel!;
  const [s, c] = special.fresnel(arr(e, 'x'));
  allClose(await read(s), e.s!, { rtol: 2e-6, atol: 2e-7 }, 'S');
  allClose(await read(c), e.c!, { rtol: 2e-6, atol: 2e-7 }, 'C');
});

test('hyp1f1: both series, Kummer\'s side, JAX\'s special cases; derivatives in a, b, x', async () => {
  const e = fx.hyp1f1!;
  // Past float32's range: ±inf here; below its smallest normal (e^-150): 0.
  const want = e.y!.map((y) => (Math.abs(y) > 3.4028235e38 ? Math.sign(y) * Infinity : y));
  allClose(await read(special.hyp1f1(arr(e, 'a'), arr(e, 'b'), arr(e, 'x'))), want, { rtol: 2e-5, atol: 1.2e-38 });
  const far = fx.hyp1f1_far!;
  allClose(await read(special.hyp1f1(arr(far, 'a'), arr(far, 'b'), arr(far, 'x'))), far.y!, { rtol: 2e-5, atol: 0 }, 'both sides of |x| = 100');
  // a = 0: 1 (also at b = 0, JAX's convention; SciPy: inf), a = b: e^x, b = 0: inf.
  allClose(await read(special.hyp1f1(np.array([0, 0, 2, 1]), np.array([3, 0, 2, 0]), np.array([5, 1, 1.5, 1]))), [1, 1, Math.exp(1.5), Infinity], { rtol: 1e-6, atol: 0 }, 'special cases');
  const g = fx.hyp1f1_grad!;
  const [a, b, x] = [arr(g, 'a'), arr(g, 'b'), arr(g, 'x')];
  const sum = (f: (v: NdArray) => NdArray) => grad((v: NdArray) => np.sum(f(v)));
  allClose(await read(sum((v) => special.hyp1f1(a, b, v))(x)), g.dx!, { rtol: 1e-5, atol: 0 }, 'd/dx');
  allClose(await read(sum((v) => special.hyp1f1(v, b, x))(a)), g.da!, { rtol: 1e-4, atol: 1e-6 }, 'd/da');
  allClose(await read(sum((v) => special.hyp1f1(a, v, x))(b)), g.db!, { rtol: 1e-4, atol: 1e-6 }, 'd/db');
});

test('owensT: quadrature and reflected sides of |a| = 1, signs, a = inf, deep tails; d/da in closed form', async () => {
  const e = fx.owens_t!;
  allClose(await read(special.owensT(arr(e, 'h'), arr(e, 'a'))), e.t!, { rtol: 2e-6, atol: 0 });
  const finite = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13]; // a = inf's derivative is 0, not of interest; the NaN row's is NaN
  const h = arr(e, 'h');
  const d = await read(grad((a: NdArray) => np.sum(special.owensT(h, a)))(arr(e, 'a')));
  allClose(finite.map((i) => d[i]!), finite.map((i) => e.dtda![i]!), { rtol: 1e-5, atol: 1e-12 }, 'd/da');
});

/** Asserts two quaternion arrays are the same rotations (q and -q alike), both made canonical. */
async function sameRotations(ours: InstanceType<typeof Rotation>, theirs: NdArray, what: string, atol = 1e-6): Promise<void> {
  allClose(await read(ours.asQuat(true)), await read(Rotation.fromQuat(theirs).asQuat(true)), { rtol: 0, atol }, what);
}

test('Rotation: quat, matrix, rotvec (small and zero angles), magnitude, inv, apply, composition', async () => {
  const e = fx.rotation!;
  const r = Rotation.fromQuat(arr(e, 'quat'));
  assert.is(r.length, 6);
  allClose(await read(r.asMatrix()), e.matrix!, { rtol: 0, atol: 1e-6 }, 'asMatrix');
  allClose(await read(r.asRotvec()), e.rotvec!, { rtol: 1e-5, atol: 1e-6 }, 'asRotvec');
  allClose(await read(r.asRotvec(true)), e.rotvec_deg!, { rtol: 1e-5, atol: 1e-4 }, 'asRotvec degrees');
  allClose(await read(r.magnitude()), e.magnitude!, { rtol: 1e-5, atol: 1e-6 }, 'magnitude');
  allClose(await read(r.inv().asQuat()), e.inv!, { rtol: 0, atol: 1e-7 }, 'inv');
  allClose(await read(r.apply(arr(e, 'vectors'))), e.apply!, { rtol: 0, atol: 2e-6 }, 'apply');
  allClose(await read(r.apply(arr(e, 'vectors'), true)), e.apply_inv!, { rtol: 0, atol: 2e-6 }, 'apply inverse');
  allClose(await read(r.get(3).apply(arr(e, 'vectors'))), e.apply_one!, { rtol: 0, atol: 2e-6 }, 'one rotation, many vectors');
  allClose(await read(r.mul(Rotation.fromQuat(arr(e, 'quat2'))).asQuat()), e.mul!, { rtol: 0, atol: 1e-6 }, 'mul');
  await sameRotations(Rotation.fromMatrix(arr(e, 'm_in')), arr(e, 'from_matrix'), 'fromMatrix');
  const b = fx.from_matrix_branches!;
  allClose(await read(Rotation.fromMatrix(arr(b, 'm')).asQuat()), b.quat!, { rtol: 0, atol: 1e-6 }, 'fromMatrix branches (SciPy\'s sign too)');
  const v = fx.from_rotvec!;
  allClose(await read(Rotation.fromRotvec(arr(v, 'rotvec')).asQuat()), v.quat!, { rtol: 0, atol: 1e-7 }, 'fromRotvec');
  allClose(await read(Rotation.fromRotvec(arr(v, 'rv30'), true).asQuat()), v.quat_deg!, { rtol: 0, atol: 1e-6 }, 'fromRotvec degrees');
  const g = grad((x: NdArray) => np.sum(Rotation.fromRotvec(x).asQuat()))(np.zeros([3]));
  allClose(await read(g), [0.5, 0.5, 0.5], { rtol: 0, atol: 1e-7 }, 'd quat / d rotvec at 0 is finite');
  assert.match(errorOf(() => Rotation.fromQuat(np.zeros([2, 3]))), 'quat must have shape [..., 4]');
});

test('Rotation: fromEuler / asEuler for extrinsic, intrinsic and proper sequences; identity, random', async () => {
  for (const seq of ['xyz', 'XYZ', 'zyx', 'ZXZ', 'yzy']) {
    const e = fx[`euler_${seq}`]!;
    const r = Rotation.fromEuler(seq, arr(e, 'angles'));
    await sameRotations(r, arr(e, 'quat'), `fromEuler ${seq}`);
    allClose(await read(r.asEuler(seq)), e.back!, { rtol: 0, atol: 2e-6 }, `asEuler ${seq}`);
    allClose(await read(Rotation.fromQuat(arr(fx.rotation!, 'quat')).asEuler(seq)), e.of_random!, { rtol: 0, atol: 5e-6 }, `asEuler ${seq} of random rotations`);
  }
  const one = fx.euler_single!;
  await sameRotations(Rotation.fromEuler('x', np.array([0.5, -1])), np.reshape(np.array(one.quat_x!), [2, 4]), 'one axis, two angles');
  await sameRotations(Rotation.fromEuler('XY', np.array([30, 45]), true), np.array(one.quat_deg!), 'degrees');
  assert.match(errorOf(() => Rotation.fromEuler('xYz', np.zeros([3]))), "seq must be 1 to 3 of 'xyz'");
  assert.match(errorOf(() => Rotation.fromEuler('xxy', np.zeros([3]))), 'no axis twice in a row');
  // Gimbal lock: the middle angle at pi/2, the third set to 0, the rotation kept.
  const locked = Rotation.fromEuler('xyz', np.array([0.4, Math.PI / 2, 0]));
  allClose(await read(Rotation.fromEuler('xyz', locked.asEuler('xyz')).asMatrix()), await read(locked.asMatrix()), { rtol: 0, atol: 1e-5 }, 'gimbal lock');
  allClose(await read(Rotation.identity(2).asQuat()), [0, 0, 0, 1, 0, 0, 0, 1], { rtol: 0, atol: 0 }, 'identity');
  const rand = Rotation.random(random.key(0), 5);
  assert.equal(rand.quat.shape, [5, 4]);
  allClose(await read(np.sum(np.square(rand.quat), -1)), 1, { rtol: 0, atol: 1e-6 }, 'unit quaternions');
  allClose(await read(Rotation.random(random.key(0), 5).quat), await read(rand.quat), { rtol: 0, atol: 0 }, 'same key, same rotations');
});

test('Slerp: SciPy\'s interpolants at knots and between them; under jit', async () => {
  const e = fx.slerp!;
  const s = new Slerp(arr(e, 'times'), Rotation.fromQuat(arr(e, 'quat')));
  await sameRotations(s.call(arr(e, 't')), arr(e, 'out'), 'slerp', 2e-6);
  const jitted = jit((t: NdArray) => s.call(t).asQuat(true));
  allClose(await read(jitted(arr(e, 't'))), await read(Rotation.fromQuat(arr(e, 'out')).asQuat(true)), { rtol: 0, atol: 2e-6 }, 'jit');
  assert.match(errorOf(() => new Slerp(np.array([0, 1, 2]), Rotation.fromQuat(arr(e, 'quat')))), 'rotations must be a batch of 3');
});

test.run();
