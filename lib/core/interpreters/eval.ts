/** The bottom of the stack: primitives applied to concrete tensors run the active backend's kernels (lower/). */
import * as tf from '@tensorflow/tfjs-core';
import { higherOrder } from '../higher-order.js';
import { primKernel } from '../lower/index.js';
import { primitive } from '../primitive.js';
import { avalOf, installEvaluator, installHigherOrderEvaluator } from '../trace.js';

installEvaluator((prim, args, params) => {
  primitive(prim).abstractEval(args.map(avalOf), params); // clear shape errors before tfjs sees the call
  const kernel = primKernel(prim);
  return tf.tidy(() => kernel(args, params));
});

installHigherOrderEvaluator((prim, args, params) => {
  const def = higherOrder(prim);
  def.abstractEval(args.map(avalOf), params);
  return def.impl(args, params); // frees its own temporaries (loops free each iteration's)
});
