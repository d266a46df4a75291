/**
 * jax.config: `config.update(name, value)` and the current values as properties
 * (`config.jax_enable_x64`). tfjax knows JAX's common options; those it cannot honour (64-bit
 * dtypes, NaN checks) refuse the value they cannot give, in one line.
 */
import { setJitDisabled } from './jit/jit.js';

type Value = boolean | string | null;

interface OptionDef {
  readonly initial: Value;
  /** Why `v` cannot be set (null: it can), and what setting it does. */
  readonly check?: (v: Value) => string | null;
  readonly apply?: (v: Value) => void;
}

const onlyFalse = (why: string) => (v: Value) => (v === false ? null : why);
const isBool = (v: Value) => (typeof v === 'boolean' ? null : 'it takes a boolean');

const OPTIONS: Record<string, OptionDef> = {
  jax_enable_x64: { initial: false, check: onlyFalse('tfjax has no 64-bit dtypes (tfjs computes in float32, int32 and bool)') },
  jax_disable_jit: { initial: false, check: isBool, apply: (v) => setJitDisabled(v === true) },
  jax_debug_nans: { initial: false, check: onlyFalse('NaN checks are not implemented; test with np.isnan') },
  jax_debug_infs: { initial: false, check: onlyFalse('Inf checks are not implemented; test with np.isinf') },
  jax_threefry_partitionable: { initial: true, check: (v) => (v === true ? null : 'tfjax keys are always partitionable (JAX >= 0.5 numbers)') },
  jax_default_prng_impl: { initial: 'threefry2x32', check: (v) => (v === 'threefry2x32' ? null : "tfjax's keys are threefry2x32 only") },
  jax_numpy_rank_promotion: { initial: 'allow', check: (v) => (v === 'allow' ? null : "only 'allow' (numpy's broadcasting) is implemented") },
  jax_numpy_dtype_promotion: { initial: 'standard', check: (v) => (v === 'standard' ? null : "only 'standard' promotion is implemented") },
  // Accepted, no effect here: precision is the backend's, the backend is chosen with setBackend.
  jax_default_matmul_precision: { initial: null },
  jax_platform_name: { initial: null },
  jax_platforms: { initial: null },
  jax_log_compiles: { initial: false, check: isBool },
  jax_traceback_filtering: { initial: 'auto' },
  jax_compilation_cache_dir: { initial: null },
};

const values = new Map<string, Value>(Object.entries(OPTIONS).map(([k, d]) => [k, d.initial]));

/** jax.config: `update(name, value)`, `read(name)`, and each option's value as a property. */
export interface Config {
  update(name: string, value: Value): void;
  read(name: string): Value;
  readonly [option: string]: unknown;
}

function optionOf(name: string, what: string): OptionDef {
  const def = OPTIONS[name];
  if (!def) throw new Error(`${what}: unrecognized config option '${name}' (known: ${Object.keys(OPTIONS).join(', ')})`);
  return def;
}

/**
 * Sets a JAX option (`config.update('jax_enable_x64', false)`): `jax_disable_jit` acts as
 * {@link disableJit} until set back; options tfjax cannot honour refuse other values.
 * @example config.update('jax_disable_jit', true);
 */
function update(name: string, value: Value): void {
  const def = optionOf(name, 'config.update');
  const why = def.check?.(value) ?? null;
  if (why !== null) throw new Error(`config.update('${name}', ${JSON.stringify(value)}): ${why}`);
  def.apply?.(value);
  values.set(name, value);
}

const base = { update, read: (name: string): Value => (optionOf(name, 'config.read'), values.get(name)!) };

/** jax.config, as a proxy: `config.jax_enable_x64` reads the option. */
export const config: Config = new Proxy(base, {
  get: (target, key) => (typeof key === 'string' && key in OPTIONS ? values.get(key) : Reflect.get(target, key)),
}) as unknown as Config;
