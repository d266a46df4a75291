/**
 * SwAV (Caron et al. 2020) as composed pure functions, exact against the seed
 * (stable-pretraining's `SwAV`), with facebookresearch/swav's queue, frozen prototypes
 * and paper pairing as options. See docs/swav.md.
 *
 * Property-test generators live in `./arbitraries.js` (not re-exported here: they
 * import fast-check).
 */
export { type Collective, type SinkhornOptions, sinkhorn } from './sinkhorn.js';
export { swappedPrediction } from './swapped-prediction.js';
export { type Pairing, type SwavLossOptions, defaultCropsForAssign, lossTerms, swavLoss } from './loss.js';
export { type PrototypesConfig, type PrototypesParams, normalizePrototypes, normalizedForForward, prototypeScores, prototypes } from './prototypes.js';
export { type ProjectorConfig, projector } from './projector.js';
export { hardAssignments } from './assignments.js';
export { type QueueState, codesWithQueue, initQueue, pushQueue, queueInUse } from './queue.js';
export {
  DEFAULT_CONFIG,
  DEFAULT_PROJECTOR,
  type EncoderLayer,
  type ProjectorSettings,
  type SwavConfig,
  type SwavConfigInput,
  SwavConfigCodec,
  decodeSwavConfig,
  swavConfig,
} from './config.js';
export {
  type SwavApplyOptions,
  type SwavInput,
  type SwavOutput,
  type SwavParams,
  type SwavParts,
  type SwavState,
  apply,
  fromTorch,
  init,
  parts,
  toTorch,
} from './model.js';
export { type SwavMetrics, type SwavStepResult, type SwavTrainStep, type TrainStepOptions, trainStep } from './train-step.js';
