/**
 * Equinox's semantics, ported in spirit from its test suite (tests/test_ad.py, test_filters.py,
 * test_tree.py, test_vmap.py): filterJvp (added), filterVjp with outputs of any kind,
 * filterCustomJvp / filterCustomVjp / filterCheckpoint / filterJac* (added), partition / filter /
 * combine with isLeaf and replace, treeAt's null nodes and repeated picks, treeEqual,
 * flattenOneLevel and applyUpdates (added), filterVmap's outAxes on non-array outputs.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type NdArray,
  applyUpdates,
  filterCheckpoint,
  filterCustomJvp,
  filterCustomVjp,
  filterGrad,
  filterHessian,
  filterJacfwd,
  filterJacrev,
  filterJit,
  filterJvp,
  filterVjp,
  filterVmap,
  grad,
  ifArray,
  jvp,
  np,
  tree,
  treeEqual,
} from '../../lib/index.js';
import { allCloseAsync, errorOf } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';

const backend = await useCoreTestBackend();

type A = NdArray;

/** A value that is not a pytree node (Python's object()). */
class Sentinel {}

/** Reads a bool scalar array (treeEqual's result on arrays) as a JS boolean. */
const truth = async (x: boolean | A): Promise<boolean | string> => (typeof x === 'boolean' ? `not an array: ${x}` : (await x.data())[0] === 1);

// ---------------------------------------------------------------- filterJvp

const Jvp = suite(`filterJvp [${backend}]`);

/** test_ad.py's g: five outputs computed from five primals of different kinds, and an object. */
const another = new Sentinel();
const g = (...x: any[]) => [np.add(np.square(x[0]), 1), np.add(np.mul(x[1], 3), 2), np.add(np.mul(x[2], 4), 3), 4 + x[3] * 5, np.add(np.mul(x[4], 6), 5), another];
const primalsIn = () => [np.array(1.0), np.array(1, 'int32'), 1.5, 1, np.array(1.0), new Sentinel()];

Jvp('f(x) = x + 1 at a JS number: primal 2, tangent 1 (a number with a tangent is a float)', async () => {
  const [p, t] = filterJvp((x: A) => np.add(x, 1), [1], [1]);
  await allCloseAsync(p, 2);
  await allCloseAsync(t, 1);
});

Jvp('null tangents: those primals reach f as they are; outputs not depending on a tangent get null', async () => {
  const [out1, t1] = filterJvp(g, primalsIn(), [np.array(5.0), null, null, null, null, null]);
  await allCloseAsync(out1[0], 2);
  await allCloseAsync(out1[1], 5);
  assert.is(out1[1].dtype, 'int32');
  assert.is(out1[3], 9, 'a JS number output stays a number');
  await allCloseAsync(out1[4], 11);
  assert.is(out1[5], another);
  await allCloseAsync(t1[0], 10);
  assert.equal(t1.slice(1), [null, null, null, null, null]);

  const [, t2] = filterJvp(g, primalsIn(), [np.array(5.0), null, 3, null, null, null]);
  await allCloseAsync(t2[0], 10);
  await allCloseAsync(t2[2], 12);
  assert.equal([t2[1], t2[3], t2[4], t2[5]], [null, null, null, null]);

  const [out3, t3] = filterJvp(g, primalsIn(), [null, null, null, null, null, null]);
  await allCloseAsync(out3[0], 2);
  assert.equal(t3, [null, null, null, null, null, null]);
});

Jvp('bad tangents: an int tangent, a tangent for an object or an int array, another structure', () => {
  assert.match(errorOf(() => filterJvp(g, primalsIn(), [np.array(5, 'int32'), null, null, null, null, null])), 'the tangent at [0] is i32[]');
  assert.match(errorOf(() => filterJvp(g, primalsIn(), [null, null, null, null, null, np.array(1.0)])), 'the primal at [5] is object');
  assert.match(errorOf(() => filterJvp(g, primalsIn(), [null, np.array(1.0), null, null, null, null])), 'the primal at [1] is an array i32[]');
  assert.match(errorOf(() => filterJvp(g, primalsIn(), [null, null])), 'same structure');
  assert.match(errorOf(() => filterJvp((x: A) => x, [np.array([1, 2])], [np.array([1, 2, 3])])), 'has shape [3], its primal [2]');
});

Jvp('nested filterJvp: a value closed over from the outer one has a null inner tangent', async () => {
  let seen: unknown[] = [];
  filterJvp(
    (x: A) => {
      const [[a, b], [ta, tb]] = filterJvp((y: A) => [y, x], [x], [1]);
      seen = [a, b, ta, tb];
      return a;
    },
    [1],
    [1],
  );
  assert.ok(seen[0] !== null && seen[1] !== null && seen[2] !== null);
  assert.is(seen[3], null);
});

Jvp('under filterJit, with a Module-like argument holding a string and an int array', async () => {
  const m = { w: np.array([1.0, 2.0]), name: 'm', idx: np.array([1, 0], 'int32') };
  type M = typeof m;
  const step = filterJit((mod: M, tw: A) => filterJvp((p: M) => ({ y: np.square(np.take(p.w, p.idx)), name: p.name }), [mod], [{ w: tw, name: null, idx: null }]));
  const [out, tan] = step(m, np.array([1.0, 0.5]));
  await allCloseAsync(out.y, [4, 1]);
  assert.is(out.name, 'm');
  await allCloseAsync(tan.y, [2, 2]); // d(w[idx]^2) = 2 w[idx] tw[idx]
  assert.is(tan.name, null);
});

// ---------------------------------------------------------------- filterVjp

const Vjp = suite(`filterVjp with outputs of any kind [${backend}]`);

Vjp('the output may hold numbers and objects; cotangents are null for the non-float primals (test_ad.py)', async () => {
  const sentinel = new Sentinel();
  const sentinel2 = new Sentinel();
  const m = { w: np.array([1.0, 2.0, 3.0]), act: 'relu' };
  const f = (mm: typeof m, x: A, y: number, _s: Sentinel) => [np.add(np.add(mm.w, x), y), 2.0, sentinel2];
  const h = (mm: typeof m, x: A, y: number, s: Sentinel) => [f(mm, x, y, s), s];
  const [out1, back1] = filterVjp(f, [m, np.array(1, 'int32'), 1.0, sentinel]);
  const [out2, back2, aux] = filterVjp(h, [m, np.array(1, 'int32'), 1.0, sentinel], { hasAux: true });
  assert.is(aux, sentinel);
  for (const [out, back] of [[out1, back1], [out2, back2]] as const) {
    await allCloseAsync(out[0], [3, 4, 5]);
    assert.is(out[1], 2);
    assert.is(out[2], sentinel2);
    const [ctM, ctX, ctY, ctS] = back([np.array([1.0, 2.0, 3.0]), null, null]);
    await allCloseAsync(ctM.w, [1, 2, 3]);
    assert.is(ctM.act, null);
    assert.equal([ctX, ctY, ctS], [null, null, null]);
  }
});

// ---------------------------------------------------------------- custom rules, checkpoint, Jacobians

const Custom = suite(`filterCustomJvp / filterCustomVjp / filterCheckpoint / filterJac* [${backend}]`);

Custom('filterCustomJvp: a function argument is static, its tangent null; the rule serves jvp and grad', async () => {
  let called = false;
  const call = filterCustomJvp((fn: (a: A) => A, x: A) => fn(x));
  call.defJvp(([fn, x], [tfn, tx]) => {
    called = true;
    assert.is(tfn, null);
    return [call(fn, x), np.mul(tx, 3)];
  });
  const f = (a: A) => np.add(np.square(a), 1);
  await allCloseAsync(call(f, np.array(1.0)), 2);
  await allCloseAsync(call(f, np.array(1, 'int32')), 2);
  const [p, t] = jvp((x: A) => call(f, x), [np.array(2.0)], [np.array(3.0)]);
  assert.ok(called);
  await allCloseAsync(p, 5);
  await allCloseAsync(t, 9);
  await allCloseAsync(grad((x: A) => call(f, x))(np.array(2.0)), 3);
});

Custom('filterCustomVjp: only vjpArg is differentiated; gradOut is null at non-float outputs; residuals of any kind', async () => {
  let called = false;
  const f = filterCustomVjp((xy: [A, A], foo: number) => [np.add(np.add(xy[0], xy[1]), foo), xy[0], xy[1], foo]);
  f.defFwd((perturbed, xy, foo) => {
    assert.equal(perturbed, [true, true]);
    return [f(xy, foo), new Sentinel()];
  });
  f.defBwd((res, ct, _perturbed, _xy, foo) => {
    called = true;
    assert.instance(res, Sentinel);
    assert.is(foo, 2);
    assert.is(ct[3], null, 'the JS number output has no cotangent');
    return [np.mul(ct[0], 10), ct[2]];
  });
  const run = (x: A, y: A) => {
    const [o1, , o3] = f([x, y], 2);
    return np.add(o1, o3);
  };
  await allCloseAsync(run(np.array(1.0), np.array(1.0)), 5);
  await allCloseAsync(grad(run)(np.array(1.0), np.array(1.0)), 10);
  assert.ok(called);
  await allCloseAsync(grad(run, { argnums: 1 })(np.array(1.0), np.array(1.0)), 1);
});

Custom('filterCustomVjp over a Module: the gradient has its structure, null at strings and int arrays', async () => {
  const m = { w: np.array([1.0, 2.0]), name: 'n', i: np.array([1], 'int32') };
  const fm = filterCustomVjp((mm: typeof m, x: A) => ({ y: np.mul(mm.w, x), name: mm.name }), {
    fwd: (_p, mm, x) => [{ y: np.mul(mm.w, x), name: mm.name }, x],
    bwd: (x, ct) => ({ w: np.mul(np.mul(ct.y, x), 10), name: null, i: null }),
  });
  const gm = filterGrad((mm: typeof m, x: A) => np.sum(fm(mm, x).y))(m, np.array([3.0, 4.0]));
  await allCloseAsync(gm.w, [30, 40]);
  assert.equal([gm.name, gm.i], [null, null]);
});

Custom('filterCheckpoint: strings pass through arguments and output; gradients as without it', async () => {
  const body = (mm: { w: A; tag: string }, x: A) => ({ y: np.sin(np.mul(mm.w, x)), tag: mm.tag });
  const ck = filterCheckpoint(body);
  const m = { w: np.array([1.0, 0.5]), tag: 'a' };
  const x = np.array([2.0, 1.0]);
  const out = ck(m, x);
  assert.is(out.tag, 'a');
  // WebGPU's float32 sin / cos are good to about 1e-4 (SwiftShader), hence atol.
  await allCloseAsync(out.y, [Math.sin(2), Math.sin(0.5)], { atol: 2e-4 });
  const gm = filterGrad((mm: typeof m) => np.sum(ck(mm, x).y))(m);
  await allCloseAsync(gm.w, [2 * Math.cos(2), Math.cos(0.5)], { atol: 2e-4 });
  assert.is(gm.tag, null);
});

Custom('filterJacfwd / filterJacrev / filterHessian: over the float arrays of the first argument, null elsewhere', async () => {
  const m = { w: np.array([1.0, 2.0]), s: 3, n: 'x' };
  for (const jac of [filterJacfwd, filterJacrev]) {
    const j = jac((mm: typeof m) => np.mul(np.square(mm.w), mm.s))(m);
    await allCloseAsync(j.w, [[6, 0], [0, 12]]);
    assert.equal([j.s, j.n], [null, null]);
  }
  const h = filterHessian((mm: typeof m) => np.sum(np.mul(np.square(np.square(mm.w)), mm.s)))(m);
  await allCloseAsync(h.w.w, [[36, 0], [0, 144]]); // d2/dw2 of 3 w^4 = 36 w^2
});

// ---------------------------------------------------------------- partition / filter / combine / treeAt

const Filters = suite(`partition / filter / combine / treeAt as Equinox's [${backend}]`);

class M {
  constructor(public value: number) {}
}
tree.registerDataclass(M);
const isM = (x: unknown) => x instanceof M;

Filters('isLeaf: a filter function sees a registered node whole, which is kept or replaced whole (test_filters.py)', () => {
  const spec = (x: unknown) => (isM(x) ? (x as M).value === 1 : true);
  const pytree = [new M(1), new M(2), 3];
  assert.equal(tree.filter(pytree, spec, { isLeaf: isM }), [new M(1), null, 3]);
  const [a, b] = tree.partition(pytree, spec, { isLeaf: isM });
  assert.equal(a, [new M(1), null, 3]);
  assert.equal(b, [null, new M(2), null]);
  assert.equal(tree.combine(a, b, { isLeaf: isM }), pytree);
  // Without isLeaf the function sees the node's leaves.
  assert.equal(tree.filter(pytree, (x: unknown) => x === 2), [new M(null as unknown as number), new M(2), null]);
});

Filters('partition with replace; a subtree selected whole; combine undoes it', () => {
  assert.equal(tree.partition([1, 'a', [2]], (x: unknown) => typeof x === 'number', { replace: 0 }), [[1, 0, [2]], [0, 'a', [0]]]);
  const [a, b] = tree.partition([[1], 2], [true, false]);
  assert.equal(tree.combine(a, b), [[1], 2]);
  assert.match(errorOf(() => tree.filter([1, 2, [3, 4]], [true, false])), 'filter spec');
});

Filters('treeAt: a null is not a node unless isLeaf accepts it; picking one node twice is an error (test_tree.py)', () => {
  assert.match(errorOf(() => tree.treeAt((y: unknown[]) => y[0], [null, null, 0], { replace: true })), 'picked null, an empty subtree');
  assert.equal(tree.treeAt((y: unknown[]) => y[0], [null, null, 0], { replace: true, isLeaf: (y) => y === null }), [true, null, 0]);
  assert.match(errorOf(() => tree.treeAt((p: number[]) => [p[0], p[0]], [1, 2], { replace: [3, 4] })), 'more than once');
  // An isLeaf node is replaced whole and cannot be navigated into.
  assert.equal(tree.treeAt((p: M[]) => p[0], [new M(1), new M(2)], { replaceFn: (m: M) => m.value * 10, isLeaf: isM }), [10, new M(2)]);
  assert.match(errorOf(() => tree.treeAt((p: M[]) => p[0]!.value, [new M(1)], { replace: 5, isLeaf: isM })), 'returned undefined');
  // Empty arrays are distinct nodes even when one object appears twice.
  const e: unknown[] = [];
  assert.equal(tree.treeAt((x: unknown[][]) => x[0], [e, e], { replace: 'hello' }), ['hello', []]);
  assert.equal(tree.treeAt((x: unknown[][]) => x[1], [[], []], { replaceFn: (v: unknown[]) => v.length }), [[], 0]);
});

// ---------------------------------------------------------------- treeEqual / flattenOneLevel / applyUpdates

const Tree = suite(`treeEqual / flattenOneLevel / applyUpdates [${backend}]`);

Tree('treeEqual: false for other structures or leaves; a bool array when arrays are compared (test_tree.py)', async () => {
  const p1 = () => [1, 2, 3, { a: np.array([1.0, 2.0]) }];
  assert.is(await truth(treeEqual(p1(), p1(), p1())), true);
  assert.is(await truth(treeEqual(p1(), [1, 2, 3, { a: np.array([1.0, 4.0]) }])), false);
  assert.is(treeEqual(p1(), [1, 2, 4, { a: np.array([1.0, 2.0]) }]), false);
  assert.is(treeEqual(p1(), [1, 2, 3]), false);
  assert.is(treeEqual([1, 'a'], [1, 'a']), true);
  assert.is(treeEqual(np.array(0, 'int32'), 0), false);
  assert.is(treeEqual(np.array([1, 2], 'int32'), np.array([1, 2])), false, 'dtypes differ');
  assert.is(treeEqual(np.array([1, 2]), np.array([[1, 2]])), false, 'shapes differ');
});

Tree('treeEqual with rtol / atol: allclose for float arrays, equal infinities pass, NaN does not', async () => {
  assert.is(await truth(treeEqual(np.array(1.0), np.array(1.00001))), false);
  assert.is(await truth(treeEqual(np.array(1.0), np.array(1.00001), { atol: 1e-3 })), true);
  assert.is(await truth(treeEqual(np.array([1.0, 100]), np.array([1.0, 100.5]), { rtol: 1e-2 })), true);
  assert.is(await truth(treeEqual(np.array([Infinity, 1]), np.array([Infinity, 1]), { atol: 1e-3 })), true);
  assert.is(await truth(treeEqual(np.array([NaN]), np.array([NaN]), { atol: 1 })), false);
});

Tree('flattenOneLevel: the immediate children; a leaf gives itself; a self-holding node is an error', () => {
  const [ls, def] = tree.flattenOneLevel({ a: 3, b: [1, 2] });
  assert.equal(ls, [3, [1, 2]]);
  assert.is(tree.structureKey(def), tree.structureKey(tree.structure({ a: 0, b: 0 })));
  const [l4, d4] = tree.flattenOneLevel(4);
  assert.equal(l4, [4]);
  assert.is(tree.structureKey(d4), tree.structureKey(tree.structure(0)));
  assert.equal(tree.flattenOneLevel([null, null, new M(1), 1])[0], [null, null, new M(1), 1]);
  const x: unknown[] = [];
  const y: unknown[] = [x];
  x.push(y);
  assert.ok(tree.flattenOneLevel(x)[0][0] === y);
  const z: unknown[] = [];
  z.push(z);
  assert.match(errorOf(() => tree.flattenOneLevel(z)), 'holds itself');
});

Tree('applyUpdates: null updates leave strings, functions and int arrays; updates may be a prefix', async () => {
  const model = { w: np.array([1.0, 2.0]), n: 'relu', f: Math.abs, i: np.array([1], 'int32') };
  const g = filterGrad((m: typeof model) => np.sum(np.square(m.w)))(model);
  const next = applyUpdates(model, tree.map((u: A) => np.mul(u, -0.5), g));
  await allCloseAsync(next.w, [0, 0]);
  assert.is(next.n, 'relu');
  assert.is(next.f, Math.abs);
  assert.is(next.i, model.i);
  const pre = applyUpdates({ a: { b: np.array(1.0), c: 'x' }, d: np.array(2.0) }, { a: null, d: np.array(1.0) });
  assert.is(pre.a.c, 'x');
  await allCloseAsync(pre.d, 3);
});

// ---------------------------------------------------------------- filterVmap (test_vmap.py)

const Vmap = suite(`filterVmap as Equinox's [${backend}]`);

const zeroIfInexact = (x: unknown) => (tree.isInexactArray(x) ? 0 : null);

Vmap('inAxes prefix with functions and nulls; outAxes 0 broadcasts a non-array output; null returns it as it is', async () => {
  const out = filterVmap((a: A, b: { a: A }[], c: A, d: number) => np.add(np.add(np.add(a, b[0]!.a), c), d), { inAxes: [zeroIfInexact, [{ a: null }], 0, ifArray(0)] })(
    np.array([1]),
    [{ a: np.array([2]) }],
    np.array([3]),
    4,
  );
  await allCloseAsync(out, [[10]]);
  const id = (x: unknown) => x;
  assert.is(filterVmap(id, { outAxes: null, axisSize: 5 })(1), 1);
  await allCloseAsync(filterVmap(id, { outAxes: 0, axisSize: 5 })(1) as A, [1, 1, 1, 1, 1]);
  const o4 = filterVmap(id, { inAxes: null, outAxes: 0, axisSize: 5 })(np.array([3, 4], 'int32')) as A;
  assert.equal(o4.shape, [5, 2]);
  assert.is(filterVmap(id, { outAxes: zeroIfInexact, axisSize: 5 })(1), 1);
  assert.match(errorOf(() => filterVmap((a: A, b: A) => np.add(a, b), { inAxes: zeroIfInexact })(np.array(3.0), np.array([3.0]))), 'out of range');
  for (const axis of [0, 1, 2, -1, -2, -3]) {
    const z = filterVmap((x: A) => np.mul(x, 2), { outAxes: axis })(np.reshape(np.arange(24), [2, 3, 4])) as A;
    assert.equal(z.shape, np.moveaxis(np.zeros([2, 3, 4]), 0, axis).shape);
  }
});

Jvp.run();
Vjp.run();
Custom.run();
Filters.run();
Tree.run();
Vmap.run();
