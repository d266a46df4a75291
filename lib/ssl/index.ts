/** Self-supervised learning building blocks. */
export * as swav from './swav/index.js';
export * from './losses/index.js';
export { type EmaCoefficientOptions, ema, emaCoefficientSchedule, initTeacher } from './teacher.js';
export { type MemoryState, initMemory, memoryFull, nearestNeighbour, pushMemory, readMemory } from './memory.js';
export { type Chain, type EncodeViewsOptions, type EncodedViews, type StageLayer, type ViewsBatch, encodeViews, twoViews, viewsOf, viewsOfOneBatch } from './views.js';
export {
  type ConfigInput,
  type LossAux,
  type LossContext,
  type Method,
  type MethodDefinition,
  type MethodFactory,
  type MethodVariables,
  type StepVariables,
  defineMethod,
} from './method.js';
export { type StepResult, type TrainStep, type TrainStepOptions, applyStep, lossAndGrad, trainStep } from './train-step.js';
export { type HeadConfig, type HeadNorm, HeadCodec, head, mlpHead } from './methods/head.js';
export { type EmaSettings, type EncoderSettings, type NetState, type Network, type NetworkSpec, network } from './methods/network.js';
export { projectedPair } from './methods/two-view.js';
export * as methods from './methods/index.js';
export * as masking from './masking.js';
export * as codecs from './codecs.js';
