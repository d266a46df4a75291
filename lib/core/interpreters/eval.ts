/** The bottom of the stack: primitives applied to concrete tensors run their tfjs kernels. */
import * as tf from '@tensorflow/tfjs-core';
import { higherOrder } from '../higher-order.js';
import { primitive } from '../primitive.js';
import { avalOf, installEvaluator, installHigherOrderEvaluator } from '../trace.js';

installEvaluator((prim, args, params) => {
  const def = primitive(prim);
  def.abstractEval(args.map(avalOf), params); // clear shape errors before tfjs sees the call
  return tf.tidy(() => def.impl(args, params));
});

installHigherOrderEvaluator((prim, args, params) => {
  const def = higherOrder(prim);
  def.abstractEval(args.map(avalOf), params);
  return def.impl(args, params); // frees its own temporaries (loops free each iteration's)
});
