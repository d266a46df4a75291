/**
 * `optim`: optax-style optimisers. A {@link GradientTransformation} is a pair of pure
 * functions `init(params) -> state`, `update(updates, state, params?) -> [updates, state]`;
 * named optimisers are chains of small transformations; schedules are functions of the
 * step array (jit-safe) with an exact float64 twin for logging.
 *
 * ```ts
 * const opt = optim.sgd({ learningRate: 0.1, momentum: 0.9 });
 * let state = opt.init(params);
 * const [updates, next] = opt.update(grads, state, params);
 * params = optim.applyUpdates(params, updates);
 * ```
 */
export type { EmptyState, ExtraArgs, GradientTransformation, StateOf } from './types.js';
export { type ChainState, chain, identity } from './chain.js';
export { applyUpdates, incrementalUpdate, periodicUpdate } from './apply.js';
export { type CountState, maximizing, scale, scaleByLearningRate, scaleBySchedule } from './scale.js';
export { type Mask, type MaskTree, maskNoDecayOnBiasAndNorm, resolveMask } from './mask.js';
export { type WeightDecayLike, addDecayedWeights } from './decay.js';
export { clip, clipByGlobalNorm, globalNorm } from './clip.js';
export { type RmsOptions, type RmsState, type RssOptions, type RssState, scaleByRms, scaleByRss } from './rms.js';
export { type TraceState, traceMomentum, traceMomentum as trace } from './momentum.js';
export { type AdamOptions, type AdamState, scaleByAdam } from './adam.js';
export { type AdamaxOptions, type AdamaxState, scaleByAdamax } from './adamax.js';
export { type NadamOptions, type NadamState, scaleByNadam } from './nadam.js';
export { type RadamOptions, scaleByRadam } from './radam.js';
export { type LionMode, type LionOptions, type LionState, scaleByLion } from './lion.js';
export { type LarcOptions, scaleByLarc } from './larc.js';
export { type TrustRatioOptions, scaleByTrustRatio } from './trust-ratio.js';
export { type EmaOptions, type EmaState, ema, emaUpdate } from './ema.js';
export { type MaskedState, masked } from './masked.js';
export {
  type FreezeForOptions,
  type FreezeForState,
  type SelectiveTransformOptions,
  type SelectiveTransformState,
  freeze,
  freezeFor,
  holdSlots,
  selectiveTransform,
  setToZero,
} from './freeze.js';
export { type ApplyIfFiniteState, applyIfFinite } from './conditionality.js';
export {
  type EveryKSchedule,
  type MultiStepsConfig,
  type MultiStepsOptions,
  type MultiStepsState,
  type MultiStepsTransformation,
  type ShouldSkipUpdateFn,
  multiSteps,
  skipLargeUpdates,
  skipNotFinite,
} from './multi-steps.js';
export { perExampleGlobalNormClip, perExampleLayerNormClip } from './per-example-clip.js';
export { type OptimisticAdamOptions, type OptimisticAdamV2Options, optimisticAdam, optimisticAdamV2 } from './optimistic-adam.js';
export {
  type AdagradOptions,
  type AdamaxOptimizerOptions,
  type AdamOptimizerOptions,
  type AdamWOptions,
  type AdamWithL2Options,
  type LambOptions,
  type LarsOptions,
  type LionOptimizerOptions,
  type NadamOptimizerOptions,
  type RadamOptimizerOptions,
  type RmspropOptions,
  type SgdOptions,
  adagrad,
  adam,
  adamax,
  adamw,
  lamb,
  lars,
  lion,
  nadam,
  radam,
  rmsprop,
  sgd,
} from './optimizers.js';
export {
  type Formula,
  type Schedule,
  type ScheduleLike,
  type ScheduleMath,
  type Val,
  constant,
  evaluateSchedule,
  fromFunction,
  makeSchedule,
  toSchedule,
} from './schedule.js';
export {
  type CosineDecayOptions,
  type ExponentialDecayOptions,
  type LinearOptions,
  type OnecycleOptions,
  type PolynomialOptions,
  type WarmupCosineDecayOptions,
  type WarmupCosineOptions,
  type WarmupExponentialDecayOptions,
  cosineDecay,
  cosineOnecycle,
  exponentialDecay,
  joinSchedules,
  linear,
  linearOnecycle,
  linspace,
  piecewiseConstant,
  piecewiseInterpolate,
  polynomial,
  sgdr,
  warmupCosine,
  warmupConstant,
  warmupCosineDecay,
  warmupExponentialDecay,
} from './schedules.js';
export { type Hyper } from './moments.js';
export {
  type InjectHyperparamsOptions,
  type InjectHyperparamsState,
  type InjectStatefulHyperparamsState,
  type InjectableOptions,
  type StatefulSchedule,
  injectHyperparams,
  injectStatefulHyperparams,
  isStatefulSchedule,
  wrappedSchedule,
} from './inject.js';
export { type LookaheadOptions, type LookaheadParams, type LookaheadState, lookahead, lookaheadParams } from './lookahead.js';
export { type AmsgradOptions, type AmsgradState, scaleByAmsgrad } from './amsgrad.js';
export { type BeliefOptions, type BeliefState, scaleByBelief } from './belief.js';
export { type YogiOptions, type YogiState, scaleByYogi } from './yogi.js';
export { type AdadeltaOptions, type AdadeltaState, scaleByAdadelta } from './adadelta.js';
export { type NovogradOptions, type NovogradState, scaleByNovograd } from './novograd.js';
export { type Sm3Options, type Sm3State, scaleBySm3 } from './sm3.js';
export { type AddNoiseOptions, type AddNoiseState, addNoise } from './noise.js';
export { type FromageOptions, fromage } from './fromage.js';
export {
  type AdabeliefOptimizerOptions,
  type AdadeltaOptimizerOptions,
  type AmsgradOptimizerOptions,
  type NoisySgdOptions,
  type NovogradOptimizerOptions,
  type Sm3OptimizerOptions,
  type YogiOptimizerOptions,
  adabelief,
  adadelta,
  amsgrad,
  noisySgd,
  novograd,
  sm3,
  yogi,
} from './optax-optimizers.js';
export { type ZeroNansState, keepParamsNonnegative, zeroNans } from './constrain.js';
export { type ApplyEveryState, applyEvery } from './apply-every.js';
export { centralize } from './centralize.js';
export { flatten } from './layouts.js';
export { adaptiveGradClip, unitwiseNorm } from './agc.js';
export { type SafeNormOptions, safeNorm, safeRootMeanSquares } from './numerics.js';
export { clipByBlockRms, normalizeByUpdateNorm, scaleByParamBlockNorm, scaleByParamBlockRms } from './block.js';
export { type FactoredRmsOptions, type FactoredRmsState, scaleByFactoredRms } from './factored.js';
export { type AdanOptions, type AdanState, scaleByAdan } from './adan.js';
export { type OptimisticGradientState, scaleByOptimisticGradient, scaleBySign } from './sign.js';
export { type RpropOptions, type RpropState, scaleByRprop } from './rprop.js';
export { type StddevOptions, type StddevState, scaleByStddev } from './stddev.js';
export { type ParamLabels, type PartitionState, multiTransform, namedChain, partition } from './partition.js';
export {
  type AdafactorOptions,
  type AdamaxwOptions,
  type AdanOptimizerOptions,
  type RpropOptimizerOptions,
  adafactor,
  adamaxw,
  adan,
  nadamw,
  optimisticGradientDescent,
  rprop,
  signSgd,
  signum,
} from './optax-optimizers-gaps.js';
export { type PolyakOptions, type PolyakSgdOptions, polyakSgd, scaleByPolyak } from './polyak.js';
export {
  type ScheduleFreeAdamwOptions,
  type ScheduleFreeOptions,
  type ScheduleFreeSgdOptions,
  type ScheduleFreeState,
  scheduleFree,
  scheduleFreeAdamw,
  scheduleFreeEvalParams,
  scheduleFreeSgd,
} from './schedule-free.js';
/** optax.tree_utils: tree arithmetic (`treeAdd`, `treeVdot`, `treeNorm`, ...). */
export * as treeUtils from './tree-utils.js';
/** optax.tree: tree_utils under optax's short names (`optim.tree.norm`, `optim.tree.get(state, 'count')`, ...). */
export * as tree from './tree-namespace.js';
/** optax.projections: projections onto convex sets (`projectionSimplex`, `projectionL2Ball`, ...). */
export * as projections from './projections.js';
export { type LbfgsOptions, type LbfgsState, type ScaleByLbfgsOptions, lbfgs, scaleByLbfgs } from './lbfgs.js';
export { type LbfgsClosure, type TorchLbfgs, type TorchLbfgsOptions, type TorchLbfgsState, torchLbfgs } from './torch-lbfgs.js';
export { type ZoomLinesearchOptions, type ZoomLinesearchState, scaleByZoomLinesearch } from './zoom-linesearch.js';
export { type BacktrackingLinesearchOptions, type BacktrackingLinesearchState, scaleByBacktrackingLinesearch } from './backtracking-linesearch.js';
export { type ValueFn, valueAndGradFromState } from './linesearch-args.js';
export { type ProdigyOptions, type ProdigyState, prodigy } from './prodigy.js';
export { type DogInitStep, type DogOptions, type DogState, type DowgOptions, type DowgState, dog, dowg, scaleByDog, scaleByDowg } from './dog.js';
export { type CocobOptions, type CocobState, cocob, scaleByCocob } from './cocob.js';
export { type MechanicState, type MechanizeOptions, mechanize } from './mechanic.js';
export { type SamOptions, type SamState, normalize, sam } from './sam.js';
export {
  type CyclicLROptions,
  type LambdaLROptions,
  type LinearLROptions,
  type OneCycleLROptions,
  type WarmRestartsOptions,
  chainedScheduler,
  constantLR,
  cosineAnnealingLR,
  cosineAnnealingWarmRestarts,
  cyclicLR,
  exponentialLR,
  lambdaLR,
  linearLR,
  multiplicativeLR,
  multiStepLR,
  oneCycleLR,
  polynomialLR,
  sequentialLR,
  stepLR,
} from './torch-schedulers.js';
export {
  type ReduceLROnPlateau,
  type ReduceLROnPlateauOptions,
  type ReduceLROnPlateauState,
  type ReduceOnPlateauOptions,
  type ReduceOnPlateauState,
  reduceLROnPlateau,
  reduceOnPlateau,
} from './plateau.js';
export { type AdoptOptimizerOptions, type AdoptOptions, type AdoptState, adopt, scaleByAdopt } from './adopt.js';
export { type AdemamixOptimizerOptions, type AdemamixOptions, type AdemamixState, ademamix, scaleByAdemamix } from './ademamix.js';
export { type ConditionallyState, type ShouldTransformFn, conditionallyMask, conditionallyTransform } from './conditionally.js';
export { initEmptyState, safeIncrement, safeInt32Increment, scaleGradient, stateless, statelessWithTreeMap, withExtraArgsSupport } from './base.js';
export { type Measure, type MonitorMeasure, type MonitorState, type SnapshotState, measureWithEma, monitor, snapshot } from './monitoring.js';
export {
  type MuonOptimizerOptions,
  type MuonOptions,
  type MuonPreconditioning,
  type MuonState,
  type NsCoeffs,
  type WeightDimensionNumbers,
  MuonDimensionNumbers,
  muon,
  orthogonalizeViaNewtonSchulz,
  scaleByMuon,
  scaleByShape,
} from './muon.js';
/** optax's top-level aliases of tree_utils' moment helpers (`optax.bias_correction`, `optax.update_moment`, ...). */
export {
  treeBiasCorrection as biasCorrection,
  treeUpdateInfinityMoment as updateInfinityMoment,
  treeUpdateMoment as updateMoment,
  treeUpdateMomentPerElemNorm as updateMomentPerElemNorm,
} from './tree-utils.js';
export { unitwiseClip } from './agc.js';
export {
  type SimplifiedAdemamixOptimizerOptions,
  type SimplifiedAdemamixOptions,
  type SimplifiedAdemamixState,
  scaleBySimplifiedAdemamix,
  simplifiedAdemamix,
} from './simplified-ademamix.js';
export {
  type DifferentiallyPrivateAggregateOptions,
  type DifferentiallyPrivateAggregateState,
  type DpsgdOptions,
  differentiallyPrivateAggregate,
  dpsgd,
} from './privacy.js';
export { type AsgdOptions, type AsgdState, type ScaleByAsgdOptions, asgd, scaleByAsgd } from './asgd.js';
export { type AveragedModel, type AveragedModelState, type AvgFn, type SwaLROptions, averagedModel, swaAvgFn, swaLR } from './swa.js';
export { type MadgradOptions, type MadgradState, madgrad, scaleByMadgrad } from './madgrad.js';
export { type AcpropOptimizerOptions, type AcpropOptions, acprop, scaleByAcprop } from './acprop.js';
export { type MomoAdamOptions, type MomoAdamState, type MomoOptions, type MomoState, momo, momoAdam } from './momo.js';
export { type DAdaptAdamWOptions, type DAdaptAdamWState, dadaptAdamw } from './dadapt-adamw.js';
export {
  type HutchinsonState,
  type SophiaOptimizerOptions,
  type SophiaOptions,
  type SophiaState,
  hutchinsonEstimatorDiagHessian,
  scaleBySophia,
  sophia,
} from './sophia.js';
/** optax.tree_map_params (also `treeUtils.treeMapParams` and `tree.mapParams`). */
export { type TreeMapParamsOptions, treeMapParams } from './tree-map-params.js';
export { type AccumulationTypeName, type Accumulator, type MicrobatchOptions, AccumulationType, microbatch, reshapeBatchAxis } from './microbatching.js';
