/**
 * jax's top-level helpers around the transformations: devices and backend queries, transfers
 * (`devicePut`, `deviceGet`, `blockUntilReady`), names (`namedCall`, `namedScope`), `typeof`,
 * `ensureCompileTimeEval`, `customGradient` and `closureConvert`.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tree from '../tree/index.js';
import { isFloat } from './aval.js';
import { flattenArrays, weakScalar } from './args.js';
import { evalJaxpr } from './control/jaxpr-fn.js';
import { customVjp } from './custom-rules.js';
import { ShapeDtypeStruct } from './eval-shape.js';
import { traceClosed } from './jit/staging.js';
import { activeBackend } from './lower/index.js';
import { weakDType } from './promotion.js';
import { type NdArray, Tracer, avalOf, isArray } from './trace.js';

type Fn = (...args: any[]) => any;

/** A device as jax.Device describes one: tfjax has one, the active tfjs backend. */
export interface Device {
  readonly id: number;
  /** JAX's platform name: 'gpu' for webgpu, else 'cpu' (wasm and cpu run on the CPU). */
  readonly platform: 'cpu' | 'gpu';
  /** The tfjs backend: 'cpu', 'wasm' or 'webgpu'. */
  readonly deviceKind: string;
  readonly processIndex: number;
}

/** jax.default_backend: the platform of the active backend, 'gpu' for webgpu, else 'cpu'. */
export function defaultBackend(): 'cpu' | 'gpu' {
  return activeBackend() === 'webgpu' ? 'gpu' : 'cpu';
}

/** jax.devices / jax.local_devices: the one device, the active backend (`backend` names a platform: 'cpu' or 'gpu'). */
export function devices(backend?: string): Device[] {
  const platform = defaultBackend();
  if (backend !== undefined && backend !== platform && backend !== activeBackend())
    throw new Error(`devices: no '${backend}' backend is active (the active one is ${activeBackend()}, platform ${platform})`);
  return [{ id: 0, platform, deviceKind: activeBackend(), processIndex: 0 }];
}
export const localDevices = devices;
/** jax.device_count / jax.local_device_count: 1. */
export const deviceCount = (): number => 1;
export const localDeviceCount = deviceCount;
/** jax.process_index: 0, jax.process_count: 1 (one process; `pmap`'s workers are tfjax/parallel's). */
export const processIndex = (): number => 0;
export const processCount = (): number => 1;

/**
 * jax.device_put: x (a pytree) on the device: arrays as they are (no copy, as JAX on the same
 * device), JS numbers and booleans as arrays of their weak dtype (an integral number int32).
 * `device` (one of {@link devices}) is accepted.
 */
export function devicePut<T>(x: T, device?: Device): any {
  if (device !== undefined && (typeof device !== 'object' || device === null || device.id !== 0)) throw new Error(`devicePut: unknown device ${JSON.stringify(device)}; tfjax has one (devices()[0])`);
  return tree.map((l: unknown) => {
    if (isArray(l)) return l;
    if (typeof l === 'number' || typeof l === 'boolean') return weakScalar(l);
    throw new Error(`devicePut: leaves must be arrays, numbers or booleans, got ${l === null ? 'null' : typeof l}`);
  }, x);
}

/**
 * jax.device_get: a host copy of x (a pytree): each array becomes JS values, a scalar a number
 * (a boolean for bool), an array nested lists (as `arraySync`); other leaves stay as they are.
 * Reads synchronously (not on webgpu; there, `await x.array()`).
 */
export function deviceGet(x: unknown): any {
  return tree.map((l: unknown) => {
    if (l instanceof Tracer) throw new Error('deviceGet: the value is being traced (under jit, grad or vmap); it has no concrete value yet');
    if (!isArray(l)) return l;
    const v = (l as tf.Tensor).arraySync();
    const asBool = (y: unknown): unknown => (Array.isArray(y) ? y.map(asBool) : y !== 0);
    return (l as tf.Tensor).dtype === 'bool' ? asBool(v) : v;
  }, x);
}

/** jax.block_until_ready: x itself (tfjs orders kernels; read an array to wait for its values, `await x.data()`). */
export function blockUntilReady<T>(x: T): T {
  return x;
}

/** jax.typeof: the abstract value (shape and dtype) of an array or tracer, or a JS scalar (its weak dtype). */
export function typeOf(x: NdArray | number | boolean): ShapeDtypeStruct {
  if (typeof x === 'number' || typeof x === 'boolean') return new ShapeDtypeStruct([], typeof x === 'boolean' ? 'bool' : weakDType(x));
  if (!isArray(x)) throw new TypeError(`typeof: expected an array, a number or a boolean, got ${x === null ? 'null' : typeof x}`);
  const a = avalOf(x);
  return new ShapeDtypeStruct(a.shape, a.dtype);
}

/**
 * jax.named_call: f, whose calls carry `name` (JAX names the staged call in the IR and profiles;
 * tfjax's IR has no call names, so f is returned unchanged in behaviour).
 */
export function namedCall<F extends Fn>(f: F, opts: { readonly name?: string } = {}): F {
  if (typeof f !== 'function') throw new TypeError(`namedCall: expected a function, got ${typeof f}`);
  if (opts.name !== undefined && typeof opts.name !== 'string') throw new TypeError(`namedCall: name must be a string, got ${typeof opts.name}`);
  return ((...args: unknown[]) => f(...args)) as F;
}

/** jax.named_scope (a context manager in JAX): runs fn and returns its result; the name only documents. */
export function namedScope<T>(name: string, fn: () => T): T {
  if (typeof name !== 'string') throw new TypeError(`namedScope: the name must be a string, got ${typeof name}`);
  if (typeof fn !== 'function') throw new TypeError(`namedScope: expected a function to run, got ${typeof fn}`);
  return fn();
}

/**
 * jax.ensure_compile_time_eval (a context manager in JAX): runs fn, whose operations on concrete
 * values compute now, under jit too (tfjax stages only operations on traced values, so
 * `np.arange(3)` inside a jitted function is a concrete array); traced values stay traced.
 */
export function ensureCompileTimeEval<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`ensureCompileTimeEval: expected a function to run, got ${typeof fn}`);
  return fn();
}

/**
 * f closed over: the jaxpr of g on `avals` with what it captures (tensors, tracers) as leading
 * inputs, and the output structure; g returns a pytree whose leaves are arrays (null: none).
 */
function closeOver(g: Fn, args: NdArray[], inDef: tree.TreeDef, what: string) {
  let outDef: tree.TreeDef | undefined;
  const closed = traceClosed(
    (...ls) => {
      const [flat, def] = flattenArrays(g(...tree.unflatten<unknown[]>(inDef, ls)), what);
      outDef = def;
      return flat;
    },
    args.map(avalOf),
    what,
  );
  return { ...closed, outDef: outDef! };
}

/**
 * jax.closure_convert: `[converted, consts]` for f at example arguments; `converted(...args,
 * ...consts)` computes f(...args), and `consts` are the float values of enclosing
 * transformations (tracers) that f closes over, made explicit (so a customVjp's bwd can take
 * them as arguments). Values that are not traced stay closed over. The example arguments give
 * shapes and dtypes only.
 */
export function closureConvert(f: Fn, ...exampleArgs: unknown[]): [Fn, NdArray[]] {
  if (typeof f !== 'function') throw new TypeError(`closureConvert: expected a function, got ${typeof f}`);
  const [leaves, inDef] = flattenArrays(exampleArgs, 'closureConvert: argument');
  const { jaxpr, captured, outDef } = closeOver(f, leaves, inDef, 'closureConvert');
  const hoisted = captured.map((c, i) => (c instanceof Tracer && isFloat(avalOf(c).dtype) ? i : -1)).filter((i) => i >= 0);
  const n = exampleArgs.length;
  const converted = (...all: unknown[]) => {
    if (all.length !== n + hoisted.length)
      throw new Error(`closureConvert: the converted function takes ${n} argument(s) then ${hoisted.length} constant(s), got ${all.length} arguments`);
    const [ls] = flattenArrays(all.slice(0, n), 'closureConvert: argument');
    const consts = captured.map((c, i) => (hoisted.includes(i) ? (all[n + hoisted.indexOf(i)] as NdArray) : c));
    return tree.unflatten(outDef, evalJaxpr(jaxpr, [...consts, ...ls]));
  };
  return [converted, hoisted.map((i) => captured[i]!)];
}

/**
 * jax.custom_gradient: f returns `[out, vjpFn]`, `vjpFn(ct)` giving the cotangent of each argument
 * (a list, or the one cotangent for a one-argument f; `null` for zeros). The vjp function is
 * traced and its captured values kept as residuals (JAX's closure conversion), so it composes
 * with jit and vmap.
 * @example const clip = customGradient((x) => [x, (g) => [np.clip(g, -1, 1)]]);
 */
export function customGradient(f: Fn): Fn {
  if (typeof f !== 'function') throw new TypeError(`customGradient: expected a function, got ${typeof f}`);
  const split = (args: unknown[]): [unknown, Fn] => {
    const r = f(...args) as unknown;
    if (!Array.isArray(r) || r.length !== 2 || typeof r[1] !== 'function') throw new Error('customGradient: the function must return [out, vjpFn]');
    return [r[0], r[1] as Fn];
  };
  return (...args: unknown[]) => {
    let bwdJaxpr: ReturnType<typeof closeOver> | undefined;
    const g = customVjp((...a: unknown[]) => split(a)[0], {
      fwd: (...a: unknown[]) => {
        const [out, vjpFn] = split(a);
        const [outLeaves, ctArgDef] = flattenArrays([out], 'customGradient: output');
        const perArg = (ct: unknown) => {
          const cts = vjpFn(ct) as unknown;
          return args.length === 1 && !(Array.isArray(cts) && cts.length === 1) ? [cts] : cts;
        };
        bwdJaxpr = closeOver(perArg, outLeaves, ctArgDef, 'customGradient');
        return [out, bwdJaxpr.captured];
      },
      bwd: (res: NdArray[], ct: unknown) => {
        const { jaxpr, outDef } = bwdJaxpr!;
        const [cl] = flattenArrays([ct], 'customGradient: cotangent');
        return tree.unflatten<unknown[]>(outDef, evalJaxpr(jaxpr, [...res, ...cl]));
      },
    });
    return g(...args);
  };
}
