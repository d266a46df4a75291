/**
 * `npx tsx bench/method-speed.ts`: the step time of each method's `fashion-mnist-<method>`
 * preset relative to SwAV's: `jit(ssl.trainStep)` at batch 64 on random views of the preset's
 * crop sizes, one wasm thread, 2 warm-up steps, then 3 rounds with the methods interleaved
 * (so a changing machine load hits them alike); each method gets its batch form (`{ view1 }` for
 * PIRL, `{ images }` for the other one-view methods (MAE, I-JEPA, SimMIM, ...): the first view; see
 * `viewFormOf`; MIM-Refiner and SALT from a fresh encoder, not their preset's MAE run); prints the median ms per step and SwAV's median / the method's (the speed
 * `MEASURED_SPEED` in lib/train/config-presets.ts holds).
 * `npx tsx bench/method-speed.ts ibot msn` times only those methods (and SwAV, the reference).
 */
import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from '../lib/backend/node.js';
import { jit } from '../lib/core/index.js';
import * as random from '../lib/random/index.js';
import { trainStep } from '../lib/ssl/train-step.js';
import { tensorsIn } from '../lib/util/tensors.js';
import { METHOD_NAMES, loadConfig, viewFormOf } from '../lib/train/config.js';
import { methodOf, optimizerOf, scheduleOf } from '../lib/train/recipe.js';
await setBackend('wasm');
const B = 64;
const only = process.argv.slice(2);
const runs = METHOD_NAMES.filter((m) => only.length === 0 || m === 'swav' || only.includes(m)).map((m) => {
  const c = loadConfig({ preset: `fashion-mnist-${m}` });
  // MIM-Refiner's and SALT's presets start from the MAE preset's run: their step's time does not depend on the weights.
  const method = methodOf(c, 1, { pretrained: false });
  const opt = optimizerOf(c, scheduleOf(c, 1000));
  const v = method.init(random.key(0));
  let vars = { params: v.params, state: v.state, optState: opt.init(v.params) };
  const step = jit(trainStep(method, opt));
  const [g = 2, l = 0] = c.augment.nmbCrops;
  const [gs = 28, ls = 14] = c.augment.sizeCrops;
  const views = { globalViews: Array.from({ length: g }, () => tf.randomUniform([B, gs, gs, 1])), localViews: Array.from({ length: l }, () => tf.randomUniform([B, ls, ls, 1])) };
  const form = viewFormOf(c.method);
  const batch = form === 'view1' ? { view1: views.globalViews[0]! } : form === 'images' ? { images: views.globalViews[0]! } : views;
  const key = random.key(1);
  const once = async () => {
    const r = step(vars.params, vars.state, vars.optState, batch, key);
    await (r.metrics.loss as tf.Tensor).data();
    tf.dispose(tensorsIn(vars));
    vars = { params: r.params, state: r.state, optState: r.optState };
  };
  return { m, once, times: [] as number[] };
});
for (const r of runs) { await r.once(); await r.once(); }
for (let round = 0; round < 3; round++) for (const r of runs) { const t = performance.now(); await r.once(); r.times.push(performance.now() - t); }
const med = (a: number[]) => [...a].sort((x, y) => x - y)[1]!;
const swav = med(runs.find((r) => r.m === 'swav')!.times);
for (const r of runs) console.log(r.m, med(r.times).toFixed(0), 'ms', (swav / med(r.times)).toFixed(2));
