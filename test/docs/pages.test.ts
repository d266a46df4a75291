/**
 * The examples of docs/nn.md, docs/core.md, docs/random.md and docs/scipy.md run as printed
 * (each ```ts block its own program) and print what their comments say.
 */
import { docBlocksSuite } from '../helpers/doc-blocks.js';

docBlocksSuite('docs/nn.md', [
  // 1/8 (wasm rounds to 0.12499997).
  [/0\.12(5|49999)/],
  [],
  ['[ 20, 4, 16 ] [ 4, 16 ] [ 8, 64 ]'],
  ['[ 2, 512 ]'],
  // The same smoothed cross-entropy, optax's way and PyTorch's way (of random logits: JAX 0.5+'s stream).
  [/2\.6709\d*/],
  [/2\.6709\d*/],
  [],
]).run();

docBlocksSuite('docs/core.md', [
  [/4\.1218\d*, 0, 0, 8\.1548/],
  ['[ 4, 6 ] null'],
  ["true relu [ [ 1, 1 ], [ 1, 1 ] ]", "[ '.w', '.b' ]"],
  ['[ 120 ]'],
]).run();

docBlocksSuite('docs/random.md', [['true'], ['1']]).run();

docBlocksSuite('docs/scipy.md', [
  [/\[ 1\.7353\d*, 1\.6931\d* \] Float32Array\(2\) \[ 1, -1 \]/, /-203\.91\d*/, /-1\.6120\d*, -1\.7370\d*/, /-1\.8378\d*/],
  [/0\.2222\d*,\s+0\.1111\d*,\s+1\.4444\d*/, '4, 1, 0, 1, 3', '[ 1, 0, 0, 1 ]'],
]).run();

docBlocksSuite('docs/backends.md', [[], ['true']]).run();
