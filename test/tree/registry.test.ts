/**
 * Custom pytree node types, as jax.tree_util's registry (tests/tree_util_test.py: custom nodes,
 * register_dataclass, register_static, keys and keystr) and Equinox's modules as pytrees:
 * registered instances flatten and unflatten through every tree function, aux data takes part
 * in structure equality by value, and jit / vmap / grad / scan / the optimisers take and return
 * them. Also JAX's None (null is an empty subtree) and is_leaf on map / leaves / paths.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { customVjp, grad, jit, lax, np, optim, tree, vmap } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose, errorOf } from '../helpers/assert.js';

await useTestBackend();
const R = suite('tree: registered node types (jax.tree_util registry)');

/** A node registered without keys: children [a, b], aux data `tag`. */
class Pair {
  constructor(
    readonly a: unknown,
    readonly b: unknown,
    readonly tag = 'pair',
  ) {}
}
tree.registerPytreeNode(Pair, (p) => [[p.a, p.b], p.tag], (tag, [a, b]) => new Pair(a, b, tag));

/** A node with keys for its children (a mapping). */
class Bag {
  constructor(readonly items: Record<string, unknown>) {}
}
tree.registerPytreeWithKeys(
  Bag,
  (b) => [Object.keys(b.items).map((k) => [new tree.DictKey(k), b.items[k]] as const), Object.keys(b.items)],
  (keys, children) => new Bag(Object.fromEntries(keys.map((k, i) => [k, children[i]]))),
);

/** An Equinox-style module: w and b are children, the activation's name is static. */
class Linear {
  constructor(
    public w: unknown,
    public b: unknown,
    public activation: string,
  ) {}
  apply(x: NdArray): NdArray {
    const y = np.add(np.matmul(x, this.w as NdArray), this.b as NdArray);
    return this.activation === 'relu' ? np.maximum(y, 0) : y;
  }
}
tree.registerDataclass(Linear, { dataFields: ['w', 'b'], metaFields: ['activation'] });

/** A static value: no leaves, compared by its fields. */
class Config {
  constructor(readonly scale: number) {}
}
tree.registerStatic(Config);

const values = async (x: unknown) => [...(await (x as NdArray).data())];
const key = (t: unknown) => tree.structureKey(tree.structure(t));

R('registerPytreeNode: flatten / unflatten / leaves / map / structure through the node', () => {
  const t = { p: new Pair(1, [2, new Pair(3, null)]), z: 4 };
  const [leaves, def] = tree.flatten(t);
  assert.equal(leaves, [1, 2, 3, 4]);
  const back = tree.unflatten<typeof t>(def, [10, 20, 30, 40]);
  assert.instance(back.p, Pair);
  assert.equal(back.p.a, 10);
  assert.instance((back.p.b as unknown[])[1], Pair);
  assert.equal(((back.p.b as unknown[])[1] as Pair).a, 30);
  assert.is(((back.p.b as unknown[])[1] as Pair).b, null);
  const m = tree.map<typeof t>((x: number) => x * 2, t);
  assert.instance(m.p, Pair);
  assert.equal(tree.leaves(m), [2, 4, 6, 8]);
  assert.is(m.p.tag, 'pair');
  assert.is(tree.numLeaves(def), 4);
  // Registration is by exact class, as JAX's: a subclass's instances are leaves.
  class SubPair extends Pair {}
  const sub = new SubPair(1, 2);
  assert.equal(tree.leaves([sub]), [sub]);
});

R('aux data is part of the structure (by value): keys, assertSameStructure, map, flattenUpTo', () => {
  assert.is(key(new Pair(1, 2, 'x')), key(new Pair(5, 6, 'x')));
  assert.is.not(key(new Pair(1, 2, 'x')), key(new Pair(1, 2, 'y')));
  assert.is.not(key(new Pair(1, 2)), key([1, 2]));
  tree.assertSameStructure(tree.structure(new Pair(1, [2])), tree.structure(new Pair(3, [4])));
  assert.match(
    errorOf(() => tree.assertSameStructure(tree.structure({ m: new Pair(1, 2, 'x') }), tree.structure({ m: new Pair(1, 2, 'y') }))),
    /^trees have different structures at \.m: a Pair node with aux data "x" vs a Pair node with aux data "y"$/,
  );
  assert.match(errorOf(() => tree.assertSameStructure(tree.structure(new Pair([1], 2)), tree.structure(new Pair([1, 2], 2)))), /at \[<flat index 0>\]: an array of length 1 vs an array of length 2/);
  assert.match(errorOf(() => tree.map((a: number, b: number) => a + b, new Pair(1, 2, 'x'), new Pair(1, 2, 'y'))), /^tree\.map: trees have different structures at the root: a Pair node with aux data "x"/);
  assert.match(errorOf(() => tree.map((a: number, b: number) => a + b, new Pair(1, 2), [1, 2])), /at the root: a Pair node vs an array of length 2/);
  // The other trees may hold subtrees where the first has leaves, inside nodes too.
  assert.equal(tree.flattenUpTo(tree.structure(new Pair(0, 0)), new Pair({ q: 1 }, [2])), [{ q: 1 }, [2]]);
  assert.equal(tree.leaves(tree.map((a: number, b: number) => a + b, new Pair(1, 2), new Pair(10, 20))), [11, 22]);
});

R('paths print as jax.tree_util.keystr: flat indices, dict keys, attributes', () => {
  assert.equal(tree.paths({ p: new Pair(1, [2, 3]) }), ['.p[<flat index 0>]', '.p[<flat index 1>][0]', '.p[<flat index 1>][1]']);
  assert.equal(tree.leavesWithPath(new Bag({ x: 1, y: [2] })), [["['x']", 1], ["['y'][0]", 2]]);
  const lin = new Linear(1, 2, 'relu');
  assert.equal(tree.flattenWithPath([lin])[0], [['[0].w', 1], ['[0].b', 2]]);
  assert.equal(tree.mapWithPath<Linear>((p: string, x: number) => `${p}=${x}`, lin).w, '.w=1');
  // keystr of key entries, as jax.tree_util.keystr (simple / separator as its keyword arguments).
  const path = [new tree.GetAttrKey('layers'), new tree.SequenceKey(0), new tree.DictKey('w'), new tree.FlattenedIndexKey(1)];
  assert.is(tree.keystr(path), ".layers[0]['w'][<flat index 1>]");
  assert.is(tree.keystr(path, { simple: true, separator: '/' }), 'layers/0/w/1');
  assert.is(tree.keystr(['a', 0]), '.a[0]');
  assert.is(tree.keystr('.a[0]'), '.a[0]');
  // registerPytreeWithKeys: string keys print as attributes, numbers as positions.
  class Two {
    constructor(readonly u: unknown, readonly v: unknown) {}
  }
  tree.registerPytreeWithKeys(Two, (t) => [[['u', t.u], [7, t.v]], null], (_, [u, v]) => new Two(u, v));
  assert.equal(tree.paths(new Two(1, 2)), ['.u', '[7]']);
});

R('registerDataclass: data fields are children, meta fields static; unflatten skips the constructor', () => {
  const lin = new Linear(1, 2, 'relu');
  assert.equal(tree.leaves(lin), [1, 2]);
  const [, def] = tree.flatten(lin);
  const back = tree.unflatten<Linear>(def, [5, 6]);
  assert.instance(back, Linear);
  assert.equal([back.w, back.b, back.activation], [5, 6, 'relu']);
  assert.is.not(key(lin), key(new Linear(1, 2, 'tanh')));
  assert.is(key(lin), key(new Linear(3, 4, 'relu')));
  // A field in neither list would be lost: an error naming it.
  const extra = Object.assign(new Linear(1, 2, 'relu'), { cache: 3 });
  assert.match(errorOf(() => tree.leaves(extra)), /^tree: Linear has a field cache that is neither a data field nor a meta field of its registerDataclass$/);
  assert.match(errorOf(() => tree.registerDataclass(Linear)), /^tree\.registerDataclass: duplicate registration of Linear/);
  // Without dataFields, every own field but the meta ones is a child (an Equinox Module).
  class Mlp {
    constructor(
      public layers: Linear[],
      public name: string,
    ) {}
  }
  tree.registerDataclass(Mlp, { metaFields: ['name'] });
  const mlp = new Mlp([new Linear(1, 2, 'relu'), new Linear(3, 4, 'id')], 'mlp');
  assert.equal(tree.paths(mlp), ['.layers[0].w', '.layers[0].b', '.layers[1].w', '.layers[1].b']);
  const doubled = tree.map<Mlp>((x: number) => 2 * x, mlp);
  assert.instance(doubled, Mlp);
  assert.is(doubled.name, 'mlp');
  assert.instance(doubled.layers[1], Linear);
  assert.equal([doubled.layers[1]!.w, doubled.layers[1]!.activation], [6, 'id']);
});

R('registerStatic: a leafless node compared by value; registerPytreeNodeClass', () => {
  const t = [1, new Config(2)];
  assert.equal(tree.leaves(t), [1]);
  const back = tree.map<typeof t>((x: number) => x + 1, t);
  assert.instance(back[1], Config);
  assert.is(back[1], t[1]); // the instance itself is the aux data
  assert.is(key(new Config(2)), key(new Config(2)));
  assert.is.not(key(new Config(2)), key(new Config(3)));
  const Box = tree.registerPytreeNodeClass(
    class Box {
      constructor(readonly v: unknown) {}
      treeFlatten() {
        return [[this.v], null] as const;
      }
      static treeUnflatten(_: unknown, [v]: unknown[]) {
        return new Box(v);
      }
    },
  );
  const b = tree.map<InstanceType<typeof Box>>((x: number) => x * 3, new Box(2));
  assert.instance(b, Box);
  assert.is(b.v, 6);
});

R('bad registrations and bad flatten results are one-line errors', () => {
  assert.match(errorOf(() => tree.registerPytreeNode(Pair, () => [[], null], () => new Pair(0, 0))), /^tree\.registerPytreeNode: duplicate registration of Pair/);
  assert.match(errorOf(() => tree.registerStatic(Object)), /^tree\.registerStatic: Object is a built-in pytree node and cannot be registered$/);
  class Bad {}
  tree.registerPytreeNode(Bad, () => [1, 2] as unknown as [unknown[], null], () => new Bad());
  assert.match(errorOf(() => tree.leaves(new Bad())), /^tree: the flatten function registered for Bad must return \[children \(an array\), auxData\], got an array of length 2$/);
});

R('transpose, broadcastPrefix, filter / partition / combine, treeAt through nodes', () => {
  const outer = tree.structure(new Pair(0, 0));
  const inner = tree.structure({ x: 0, y: 0 });
  const tr = tree.transpose<{ x: Pair; y: Pair }>(outer, inner, new Pair({ x: 1, y: 2 }, { x: 3, y: 4 }));
  assert.instance(tr.x, Pair);
  assert.equal([tr.x.a, tr.x.b, tr.y.a, tr.y.b], [1, 3, 2, 4]);
  const isAxis = (x: unknown) => x === null || typeof x === 'number';
  assert.equal(tree.broadcastPrefix(new Pair(0, null), new Pair([1, 2], 3), 'inAxes', isAxis), [0, 0, null]);
  assert.match(errorOf(() => tree.broadcastPrefix(new Pair(0, 1, 'x'), new Pair(1, 2, 'y'), 'inAxes', isAxis)), /^inAxes at the root: a Pair node with aux data "x" vs a Pair node with aux data "y"/);
  const mod = new Linear(1, 'w', 'relu');
  const [nums, rest] = tree.partition(mod, (x: unknown) => typeof x === 'number');
  assert.instance(nums, Linear);
  assert.equal([nums.w, nums.b, rest.w, rest.b], [1, null, null, 'w']);
  const again = tree.combine(nums, rest);
  assert.instance(again, Linear);
  assert.equal([again.w, again.b, again.activation], [1, 'w', 'relu']);
  assert.equal(tree.filter(mod, (x: unknown) => typeof x === 'string', { replace: 0 }).w, 0);
  const model = { head: new Linear(1, 2, 'relu'), other: new Pair(3, 4) };
  const swapped = tree.treeAt((m) => [m.head.b, m.other.b], model, { replace: [20, 40] });
  assert.instance(swapped.head, Linear);
  assert.equal([swapped.head.w, swapped.head.b, swapped.head.activation, swapped.other.a, swapped.other.b], [1, 20, 'relu', 3, 40]);
  assert.instance(tree.treeAt((m) => m.head, model, { replaceFn: (l: Linear) => new Linear(l.b, l.w, 'tanh') }).head, Linear);
});

R('null is an empty subtree (JAX None); isLeaf on flatten / leaves / map / mapWithPath / paths', () => {
  assert.equal(tree.leaves(null), []);
  assert.is(tree.map((x: number) => x + 1, null), null);
  assert.equal(tree.map((x: number) => x + 1, [1, null, { a: null }]), [2, null, { a: null }]);
  const isNull = (x: unknown) => x === null;
  assert.equal(tree.leaves([1, null], isNull), [1, null]);
  assert.equal(tree.leaves([1, null], { isLeaf: isNull }), [1, null]);
  // tree.map's last argument { isLeaf } is JAX's is_leaf keyword.
  assert.equal(tree.map((x: number | null) => x ?? 0, [1, null], { isLeaf: isNull }), [1, 0]);
  assert.equal(tree.map((x: unknown, y: unknown) => [x, y], [[1, 2], 3], [9, 8], { isLeaf: (x: unknown) => Array.isArray(x) && x.length === 2 && x[0] === 1 }), [[[1, 2], 9], [3, 8]]);
  const isPair = (x: unknown) => x instanceof Pair;
  assert.equal(tree.mapWithPath((p: string, x: unknown) => `${p}:${x instanceof Pair}`, { a: new Pair(1, 2), b: 3 }, { isLeaf: isPair }), { a: '.a:true', b: '.b:false' });
  assert.equal(tree.leavesWithPath([new Pair(1, 2)], isPair).map(([p]) => p), ['[0]']);
  assert.equal(tree.paths({ a: null, b: [null] }, isNull), ['.a', '.b[0]']);
  assert.is(tree.reduce((n: number, x: unknown) => n + (x === null ? 1 : 0), [null, 1, null], 0, isNull), 2);
});

R('jit, vmap and grad take and return registered nodes; grad gives an instance', async () => {
  const lin = new Linear(np.array([[1, 2], [3, 4]]), np.array([0.5, -0.5]), 'relu');
  const x = np.array([[1, -1]]);
  const loss = (m: Linear, xs: NdArray) => np.sum(np.square(m.apply(xs)));
  const g = grad(loss)(lin, x);
  assert.instance(g, Linear);
  assert.is(g.activation, 'relu');
  // y = x W + b = [-1.5, -2.5]: relu zeroes both, so every gradient is 0; with 'id', dL/dy = 2y.
  allClose(await values(g.w), [0, 0, 0, 0]);
  const gid = grad(loss)(new Linear(lin.w, lin.b, 'id'), x);
  allClose(await values(gid.w), [-3, -5, 3, 5]);
  allClose(await values(gid.b), [-3, -5]);

  let traces = 0;
  const step = jit((m: Linear, xs: NdArray) => {
    traces++;
    return new Linear(np.mul(m.w as NdArray, 2), m.apply(xs), `${m.activation}!`);
  });
  const out = step(new Linear(lin.w, lin.b, 'id'), x);
  assert.instance(out, Linear);
  assert.is(out.activation, 'id!');
  allClose(await values(out.w), [2, 4, 6, 8]);
  allClose(await values(out.b), [-1.5, -2.5]);
  step(new Linear(lin.w, lin.b, 'id'), x);
  assert.is(traces, 1);
  // Other aux data is another structure: jit traces again, as JAX's treedef in its cache key.
  allClose(await values(step(lin, x).b), [0, 0]);
  assert.is(traces, 2);
  // A static node is closed over, not traced.
  const scaled = jit((c: Config, v: NdArray) => np.mul(v, c.scale));
  allClose(await values(scaled(new Config(3), np.array([1, 2]))), [3, 6]);

  const batched = vmap((m: Linear, xs: NdArray) => new Pair(m.apply(xs), np.sum(m.b as NdArray)), { inAxes: [new Linear(null, 0, 'id'), null] });
  const r = batched(new Linear(lin.w, np.array([[0, 0], [1, 1], [2, 2]]), 'id'), x);
  assert.instance(r, Pair);
  assert.equal((r.a as NdArray).shape, [3, 1, 2]);
  allClose(await values(r.a), [-2, -2, -1, -1, 0, 0]);
  allClose(await values(r.b), [0, 2, 4]);
});

R('scan carries and optimiser states hold registered nodes', async () => {
  const init = new Pair(np.array(0), np.array([1, 1]), 'carry');
  const [carry, ys] = lax.scan((c: Pair, x: NdArray) => [new Pair(np.add(c.a as NdArray, x), np.mul(c.b as NdArray, 2), c.tag), c.a], init, np.array([1, 2, 3]));
  assert.instance(carry, Pair);
  assert.is(carry.tag, 'carry');
  allClose(await values(carry.a), [6]);
  allClose(await values(carry.b), [8, 8]);
  allClose(await values(ys), [0, 1, 3]);

  const params = new Linear(np.array([1, -2]), np.array(0.5), 'id');
  const opt = optim.adam({ learningRate: 0.1 });
  const state = opt.init(params);
  const g = new Linear(np.array([1, -1]), np.array(2), 'id');
  const [updates, next] = opt.update(g, state, params);
  assert.instance(updates, Linear);
  const newParams = optim.applyUpdates(params, updates);
  assert.instance(newParams, Linear);
  assert.is(newParams.activation, 'id');
  // Adam's first step moves each parameter by -lr * sign(g).
  allClose(await values(newParams.w), [0.9, -1.9], { atol: 1e-5 });
  allClose(await values(newParams.b), [0.4], { atol: 1e-5 });
  assert.ok(tree.leaves(next).length > 0);
  assert.ok(tree.paths(next).some((p) => p.endsWith('.mu.w')));
});

R('customVjp: a null field of a registered node in the bwd result is a zero cotangent (JAX: None)', async () => {
  const f = customVjp((m: Linear) => np.sum(m.w as NdArray), {
    fwd: (m: Linear) => [np.sum(m.w as NdArray), null],
    bwd: (_r: unknown, ct: NdArray) => [new Linear(np.mul(ct, np.ones([2, 2])), null, 'relu')],
  });
  const g = grad(f)(new Linear(np.ones([2, 2]), np.array([3, 4]), 'relu')) as Linear;
  assert.ok(g instanceof Linear);
  assert.equal([...(await (g.b as NdArray).data())], [0, 0]);
  assert.equal([...(await (g.w as NdArray).data())], [1, 1, 1, 1]);
});

R('optim.freezeFor holds the momentum of frozen leaves of registered parameters, as of plain ones', async () => {
  for (const make of [(a: unknown, b: unknown) => new Linear(a, b, 'relu'), (a: unknown, b: unknown) => ({ w: a, b })]) {
    const params = make(np.array([1, 2]), np.array([3]));
    const opt = optim.freezeFor(optim.sgd({ learningRate: 1, momentum: 0.9 }), { freezeMask: make(true, false), steps: 5 });
    const [, state] = opt.update(make(np.array([1, 1]), np.array([1])), opt.init(params), params);
    const traces = tree.leavesWithPath(state).filter(([p]) => p.includes('trace'));
    assert.is(traces.length, 2);
    // w is frozen: its momentum stays at its initial zeros; b's is the gradient.
    for (const [path, v] of traces) assert.equal([...(await (v as NdArray).data())], path.endsWith('.w') ? [0, 0] : [1], path);
  }
});

R.run();
