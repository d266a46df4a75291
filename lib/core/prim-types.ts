/**
 * The primitives' names and the types their rules share. Kept apart from the rule registries
 * (primitive.ts, higher-order.ts) so the tracer (trace.ts) can name primitives without
 * importing the modules whose rules are written against tracers.
 */
export const UNARY = ['neg', 'exp', 'log', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'tanh', 'logistic', 'relu', 'abs', 'sign', 'sin', 'cos', 'tan', 'erf', 'atan', 'floor', 'round', 'not', 'is_finite'] as const;
export const BINARY = ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or'] as const;
export const OTHER = [
  'select', 'cast', 'stop_gradient',
  'reduce_sum', 'reduce_max', 'reduce_min', 'reduce_logsumexp', 'argmax', 'argsort',
  'reshape', 'transpose', 'broadcast_in_dim', 'slice', 'pad', 'concatenate', 'gather', 'scatter_add', 'scatter',
  'dot', 'conv', 'conv_bp_input', 'conv_bp_filter',
  'random_bits', 'random_uniform', 'random_normal', 'random_permutation', 'random_randint', 'random_fold_in',
] as const;
/** Collectives over a named axis (prims/collectives.ts): they only run where the name is bound. */
export const COLLECTIVE = ['psum', 'pmax', 'pmin', 'all_gather', 'axis_index', 'ppermute', 'psum_scatter'] as const;

export type UnaryPrim = (typeof UNARY)[number];
export type BinaryPrim = (typeof BINARY)[number];
export type Prim = UnaryPrim | BinaryPrim | (typeof OTHER)[number] | (typeof COLLECTIVE)[number];

/**
 * Primitives carrying traced sub-jaxprs in their params (higher-order.ts, control/*.ts);
 * `pjit` is jit's call primitive (jit/call.ts): a staged, cached IR applied as one equation;
 * `custom_vjp_call` a customVjp / customJvp function staged with its rules (control/custom.ts);
 * `pure_callback` and `debug_callback` call a JS function on concrete values (callback.ts).
 */
export type HigherOrderPrim = 'scan' | 'cond' | 'while' | 'remat' | 'pjit' | 'custom_vjp_call' | 'pure_callback' | 'debug_callback';

/** Equations jit never drops, though nothing reads their (no) results: debug callbacks. */
export const EFFECTFUL: ReadonlySet<string> = new Set(['debug_callback']);

export type Params = Record<string, unknown>;

/** Batch dimension of a value under vmap: an axis, or null when the value is not batched. */
export type BDim = number | null;
