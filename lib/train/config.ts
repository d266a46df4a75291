/**
 * The training program's configuration: defaults, presets, a JSON file and command-line
 * flags, each layer decoded from `unknown` with io-ts at the edge and merged in that order.
 * A wrong value is one readable message naming its source, the path and what was expected:
 *
 * ```
 * config configs/x.json: at .optimizer.lr expected a positive number, got "fast"
 * config configs/x.json: at .optimizer.lrr unknown key (known: name, lr, ...)
 * config flag --byol.predictor.dims: at .byol.predictor.dims expected a non-empty list of positive integers, got 0
 * ```
 *
 * Every layer is a deep partial of {@link TrainConfig}; unknown keys are errors, never dropped.
 * `method` picks the self-supervised method; its section (e.g. `byol`) is decoded by the
 * method's own codec. Schema: config-schema.ts; presets: config-presets.ts; layers, merging
 * and checks: config-sources.ts.
 */
export * from './config-schema.js';
export { PRESETS } from './config-presets.js';
export * from './config-sources.js';
