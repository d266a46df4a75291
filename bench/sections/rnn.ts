/**
 * Section 11: a loop's step: an Elman RNN over 64 steps (batch 32, width 256) with `lax.scan`,
 * value and gradients of the last state's sum of squares, jitted; the body as users write it
 * (the weights' transposes and the bias inside the body, on values the body closes over) and the
 * same loop with that work written before it (what loop-invariant code motion should make of the
 * first), against PyTorch's Python loop with loss.backward (1 thread), interleaved.
 */
import { jit, lax, np, valueAndGrad } from '../../lib/index.js';
import type { BenchContext } from '../context.js';
import { type Contender, compare, timingTable } from '../harness.js';

type Weights = [np.NdArray, np.NdArray, np.NdArray];

export async function rnnSection(ctx: BenchContext): Promise<string> {
  const [steps, batch, width] = ctx.quick ? [4, 4, 8] : [64, 32, 256];
  const reps = ctx.quick ? 1 : Math.max(ctx.reps, 7);
  const out = [`## 11. A loop: an RNN over ${steps} steps, batch ${batch}, width ${width}, value and gradient (tfjax jit, tfjs wasm)\n`];
  const scale = (x: np.NdArray, s: number) => np.mul(x, s);
  const weights: Weights = [scale(np.sin(np.reshape(np.arange(width * width), [width, width])), 0.05), scale(np.cos(np.reshape(np.arange(width * width), [width, width])), 0.05), np.zeros([width])];
  const xs = scale(np.sin(np.reshape(np.arange(steps * batch * width), [steps, batch, width])), 0.5);
  const h0 = np.zeros([batch, width]);
  const lastState = (body: (h: np.NdArray, x: np.NdArray) => np.NdArray) => np.sum(np.square(lax.scan((h: np.NdArray, x: np.NdArray) => [body(h, x), null], h0, xs)[0] as np.NdArray));
  const inside = ([w, u, b]: Weights) => lastState((h, x) => np.tanh(np.add(np.add(np.matmul(h, np.transpose(w)), np.matmul(x, np.transpose(u))), b)));
  const outside = ([w, u, b]: Weights) => {
    const [wt, ut] = [np.transpose(w), np.transpose(u)];
    return lastState((h, x) => np.tanh(np.add(np.add(np.matmul(h, wt), np.matmul(x, ut)), b)));
  };
  const timed = (name: string, loss: (p: Weights) => np.NdArray): Contender => {
    const step = jit(valueAndGrad(loss));
    return {
      name,
      step: async () => {
        const [value, grads] = step(weights);
        await value.data();
        [value, ...grads].forEach((t) => t.dispose());
      },
    };
  };
  ctx.progress(`rnn ${steps} x ${batch} x ${width}`);
  const contenders = [timed('tfjax jit(valueAndGrad), transposes inside the body', inside), timed('tfjax jit(valueAndGrad), transposes before the loop', outside)];
  const notes = ['tfjs wasm', 'tfjs wasm'];
  let drop: (() => Promise<void>) | null = null;
  if (ctx.torch) {
    const t = await ctx.torch.setup({ kind: 'rnn', batch, steps, hidden: width });
    drop = t.drop;
    contenders.push({ name: 'PyTorch, a Python loop + loss.backward', step: () => t.step() });
    notes.push('PyTorch CPU, 1 thread');
  }
  const ts = await compare(contenders, { warmup: 1, reps });
  out.push(`${reps} interleaved rounds after 1 warm-up, medians:\n`);
  out.push(timingTable(ts, notes.map((note) => ({ note })), { noteHeader: 'backend' }));
  if (!ctx.torch) out.push(`PyTorch not measured here (${ctx.torchNote}).\n`);
  await drop?.();
  [...weights, xs, h0].forEach((t) => t.dispose());
  return out.join('\n');
}
