/** Three SwAV steps of a small model on keyed random views: the same program in Node and in a browser Worker. */
import { jit, np, optim, random, swav, tf } from '../../../lib/index.js';
import { tensorsIn } from '../../../lib/util/tensors.js';

/** The losses of `steps` SwAV steps (SGD with momentum) from a fixed initialisation and fixed views. */
export async function swavLosses(steps: number): Promise<number[]> {
  const config = swav.swavConfig({
    encoder: 'convnet_small',
    encoderOptions: { inChannels: 1, widths: [8, 16] },
    projector: { hiddenDim: 32, outDim: 8 },
    numPrototypes: 12,
  });
  const opt = optim.sgd({ learningRate: 0.1, momentum: 0.9 });
  const step = jit(swav.trainStep(config, opt));
  let { params, state: modelState } = swav.init(random.key(0), config);
  let optState = opt.init(params);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const [k1, k2, stepKey] = random.split(random.key(100 + i), 3) as [np.NdArray, np.NdArray, np.NdArray];
    const view1 = random.uniform(k1, [8, 12, 12, 1]);
    const view2 = random.uniform(k2, [8, 12, 12, 1]);
    const r = step(params, modelState, optState, { view1, view2 }, stepKey);
    tf.dispose(tensorsIn([params, modelState, optState, k1, k2, stepKey, view1, view2]));
    ({ params, modelState, optState } = r);
    losses.push((await (r.metrics.loss as tf.Tensor).data())[0]!);
    tf.dispose(tensorsIn(r.metrics));
  }
  tf.dispose(tensorsIn([params, modelState, optState]));
  step.clearCache();
  return losses;
}
