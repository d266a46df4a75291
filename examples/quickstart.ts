import { grad, jit, makeJaxpr, np, setBackend, vmap } from '../lib/node.js';

await setBackend('wasm');

// grad: derivatives of plain functions, to any order.
const f = (x: np.NdArray) => np.sum(np.mul(x, np.exp(x)));
const x = np.array([0.5, 1]);
console.log('df/dx   ', await grad(f)(x).data());
console.log('d2f/dx2 ', await grad((x: np.NdArray) => np.sum(grad(f)(x)))(x).data()); // [4.1218, 8.1548]

// vmap: per-example gradients of a loss, with no loop over the batch.
const loss = (w: np.NdArray, xi: np.NdArray) => np.sum(np.square(np.matmul(xi, w)));
const w = np.array([[1, 0], [0, 1], [1, 1]]);
const xs = np.array([[1, 2, 3], [0, 1, 0]]);
console.log('per-example grads', vmap(grad(loss), { inAxes: [null, 0] })(w, xs).shape); // [2, 3, 2]

// jit: trace once to an IR, then replay it.
const step = jit((w: np.NdArray, xs: np.NdArray) => np.sub(w, np.mul(grad(loss)(w, xs), 0.01)));
console.log('jitted step', step(w, xs).shape, String(makeJaxpr(grad(loss))(w, xs)).split('\n').length, 'lines of IR');
