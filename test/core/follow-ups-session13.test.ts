/**
 * Session 13's follow-ups in the printed IR: makeJaxpr shows a JS number as an inline literal
 * (JAX prints `mul b 2.0`, not a constant input), and jit(f).lower(...) has JAX's
 * Lowered.as_text() as `asText()`, with `toString()` giving the same text.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, jit, makeJaxpr, np } from '../../lib/index.js';
import { allCloseAsync } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';

const backend = await useCoreTestBackend();
type A = NdArray;
const f32 = (v: number[]) => np.array(v, 'float32');

const Lit = suite(`follow-ups 13: literals in makeJaxpr [${backend}]`);

Lit('a JS number prints inline as JAX\'s literal (2.0, 2 for int32), not as a constant input', async () => {
  // JAX: make_jaxpr(lambda x: x * 2)(jnp.ones(3)) is { lambda ; a:f32[3]. let b:f32[3] = mul a 2.0 in (b,) }
  const j = makeJaxpr((x: A) => np.mul(x, 2))(f32([1, 2, 3]));
  assert.equal(String(j).split('\n'), ['{ lambda  ; a:f32[3] .', '    b:f32[3] = mul a 2.0', '  in ( b ) }']);
  // The IR is unchanged: the literal is still a constant of the jaxpr, with its value.
  assert.is(j.constvars.length, 1);
  await allCloseAsync(j.consts[0]!, 2);
  j.dispose();
  const ji = makeJaxpr((x: A) => np.add(np.mul(x, 2.5), 3))(np.array([1, 2], 'int32'));
  assert.match(String(ji), '= mul b 2.5'); // int32 * 2.5 is float32: a cast first
  assert.match(String(ji), '= add c 3.0');
  const jn = makeJaxpr((x: A) => np.mul(x, 3))(np.array([1, 2], 'int32'));
  assert.match(String(jn), 'b:i32[2] = mul a 3\n');
  // Python's float repr: 1e-05, 0.1 (float32's shortest), inf.
  const jf = makeJaxpr((x: A) => np.add(np.add(np.mul(x, 1e-5), 0.1), np.minimum(x, Infinity)))(f32([1]));
  for (const text of ['mul a 1e-05', 'add b 0.1', 'min a inf']) assert.match(String(jf), text);
});

Lit('an array closed over stays a listed constant; the inline literal runs the same under jit', async () => {
  const w = f32([1, 2, 3]);
  const text = String(makeJaxpr((x: A) => np.mul(np.mul(x, w), 2))(f32([1, 1, 1])));
  assert.equal(text.split('\n'), ['{ lambda a:f32[3] ; b:f32[3] .', '    c:f32[3] = mul b a', '    d:f32[3] = mul c 2.0', '  in ( d ) }']);
  await allCloseAsync(jit((x: A) => np.mul(np.mul(x, w), 2))(f32([1, 1, 2])) as tf.Tensor, [2, 4, 12]);
});

const Lower = suite(`follow-ups 13: jit(f).lower(...).asText() [${backend}]`);

Lower('lower(...) gives the program as text (asText, and toString the same), not [object Object]', async () => {
  const f = jit((x: A, w: A) => np.relu(np.add(np.matmul(x, w), 1)));
  const lowered = f.lower(np.ones([2, 2]), np.ones([2, 2]));
  const text = lowered.asText();
  assert.is(String(lowered), text);
  assert.is(`${lowered}`, text);
  assert.ok(text.startsWith('{ lambda  ; a:f32[2,2] b:f32[2,2] .'), text);
  assert.match(text, 'add c 1.0'); // the literal inline, as in makeJaxpr
  assert.ok(text.endsWith(' ) }'));
  assert.is(text.split('\n').length, lowered.numKernels + 2, 'one line per kernel, then the header and the result');
  await allCloseAsync(f(np.ones([2, 2]), np.ones([2, 2])) as tf.Tensor, [3, 3, 3, 3]);
});

Lit.run();
Lower.run();
