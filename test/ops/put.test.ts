/**
 * np.put, np.putAlongAxis and np.append against NumPy (test/fixtures/numpy_put.json, from
 * tools/numpy-fixtures-put.py), eagerly and under jit; x itself is never changed.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, np } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose, errorOf } from '../helpers/assert.js';

await useTestBackend();

interface Arr {
  shape: number[];
  data: number[];
}
type Arg = Arr | number | string | null;
const fixture = JSON.parse(readFileSync(new URL('../fixtures/numpy_put.json', import.meta.url), 'utf8')) as { cases: { name: string; args: Arg[]; out: Arr }[] };

const isArr = (a: Arg): a is Arr => a !== null && typeof a === 'object';
const decode = (a: Arr, int: boolean) => tf.tensor(a.data, a.shape, int ? 'int32' : 'float32');

function call(name: string, args: Arg[]): (x: NdArray, i: NdArray) => NdArray {
  const v = isArr(args[2]) ? decode(args[2], false) : (args[2] as number);
  if (name.startsWith('put_along')) return (x, i) => np.putAlongAxis(x, i, v, args[3] as number);
  if (name.startsWith('put')) return (x, i) => np.put(x, i, v, (args[3] as 'clip' | 'wrap' | undefined) ?? 'clip');
  return (x, y) => np.append(x, y, args[2] as number | null);
}

const Put = suite('np.put / putAlongAxis / append: NumPy');
for (const c of fixture.cases) {
  Put(c.name, () => {
    tf.tidy(() => {
      const x = decode(c.args[0] as Arr, false);
      const second = decode(c.args[1] as Arr, !c.name.startsWith('append'));
      const before = [...x.dataSync()];
      for (const f of [call(c.name, c.args), jit(call(c.name, c.args))]) {
        const out = f(x, second) as tf.Tensor;
        assert.equal([...out.shape], c.out.shape);
        allClose(out.dataSync(), c.out.data, { atol: 1e-6 }, c.name);
      }
      assert.equal([...x.dataSync()], before, 'x unchanged');
    });
  });
}

Put('values are differentiable; errors name what is wrong', () => {
  tf.tidy(() => {
    const g = grad((v: NdArray) => np.sum(np.mul(np.put(np.zeros([4]), tf.tensor1d([3, 1], 'int32'), v), tf.tensor1d([1, 2, 3, 4]))))(tf.tensor1d([5, 6])) as tf.Tensor;
    assert.equal([...g.dataSync()], [4, 2]);
    assert.match(errorOf(() => np.put(np.zeros([2]), tf.tensor1d([0.5]), 1)), /put: indices must be int32, got float32/);
    assert.match(errorOf(() => np.putAlongAxis(np.zeros([2, 3]), tf.tensor1d([0], 'int32'), 1, 0)), /putAlongAxis: x \[2,3\] and indices \[1\] must have the same rank/);
  });
});

Put.run();
