/**
 * The encoder an earlier run trained, for the methods that start from one (`PRETRAINED_METHODS`):
 * their section's `pretrained` names a run directory (its newest `checkpoints/ckpt-<step>.safetensors`),
 * one of its checkpoints, or a state dict in the seed's layout (`tfjax export --torch`, or PyTorch's).
 * A checkpoint gives its `params.encoder` and `state.encoder` (the student's: MAE's, SimMIM's, ...); a
 * state dict is given as it is to SALT (the seed's `SALT.from_checkpoint`: an MAE's `encoder.*`), and
 * its encoder's entries (timm's names) to MIM-Refiner. Read when the method is initialised, which a
 * fresh run, `--resume`, `eval` and `export` all do (the latter three then load their checkpoint
 * over it), so the file must stay readable for them. Every problem is one `ConfigError` line naming
 * the config path and the file.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { NdArray } from '../core/index.js';
import { FORMAT_VERSION_KEY, listCheckpointsSync, loadBytes } from '../checkpoint/index.js';
import { decodeSafetensors } from '../io/safetensors.js';
import * as nn from '../nn/index.js';
import type { Method, MethodVariables } from '../ssl/method.js';
import * as ssl from '../ssl/methods/index.js';
import { isPlainObject } from '../tree/index.js';
import { tensorsIn } from '../util/tensors.js';
import { ConfigError, type MethodName } from './config-schema.js';

type Params = Readonly<Record<string, unknown>>;
/** What a `pretrained` file holds: a run's encoder variables, or a state dict (names -> tensors). */
type Source = { readonly kind: 'variables'; readonly v: MethodVariables<Params, Params> } | { readonly kind: 'dict'; readonly dict: Readonly<Record<string, tf.Tensor>> };

/** Where the encoder of a state dict sits, first match wins (MAE's `encoder.vit.`, data2vec's, iBOT's, SimMIM's, ...; none: a ViT's own dict). */
const ENCODER_PREFIXES = ['encoder.vit.', 'encoder.student.', 'backbone.student.', 'encoder.', 'backbone.'];

/** The checkpoint file of `path`: itself, or the newest `ckpt-<step>.safetensors` of a run directory (or its `checkpoints/`). */
function fileOf(path: string, fail: (why: string) => never): string {
  if (!existsSync(path)) fail('no such file or directory');
  if (!statSync(path).isDirectory()) return path;
  const dir = existsSync(join(path, 'checkpoints')) ? join(path, 'checkpoints') : path;
  // Synchronous, as a method's init is.
  const all = listCheckpointsSync(dir);
  if (!all.length) fail(`no checkpoint (ckpt-<step>.safetensors) in ${dir}`);
  return all[all.length - 1]!.path;
}

/** The encoder of a tfjax checkpoint (its `params.encoder`, `modelState.encoder`), or the tensors of a state dict. */
function readSource(file: string, fail: (why: string) => never): Source {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    return fail(`cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const { tensors, metadata } = decodeSafetensors(bytes, file);
    if (metadata[FORMAT_VERSION_KEY] === undefined)
      return { kind: 'dict', dict: Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, tf.tensor(t.data, [...t.shape], t.dtype)])) };
  } catch (e) {
    return fail((e as Error).message.replace(`${file}: `, ''));
  }
  const snap = loadBytes<{ params?: Params; modelState?: Params; config?: string }>(bytes, file);
  const run = runOf(snap.config);
  if (run !== null && !nn.isViT(nn.encoder(run.encoder, run.options))) {
    tf.dispose(tensorsIn(snap));
    fail(`its run trained ${run.method} on ${run.encoder}, not a ViT`);
  }
  const params = snap.params?.encoder;
  const state = snap.modelState?.encoder;
  const v = { params: params as Params, state: state as Params };
  tf.dispose(tensorsIn({ ...snap, params: { ...snap.params, encoder: null }, modelState: { ...snap.modelState, encoder: null } }));
  if (!isPlainObject(params) || !isPlainObject(state)) {
    tf.dispose(tensorsIn(v));
    fail("its run's method keeps no encoder at params.encoder (MAE, SimMIM, data2vec, ... do)");
  }
  return { kind: 'variables', v };
}

/** The method and encoder of a checkpoint's stored configuration (JSON), or null when it does not say. */
function runOf(config: string | undefined): { method: string; encoder: string; options: Readonly<Record<string, unknown>> } | null {
  try {
    const c = JSON.parse(config ?? 'null') as { method?: unknown; model?: { encoder?: unknown; encoderOptions?: Record<string, unknown> } } | null;
    const encoder = c?.model?.encoder;
    return typeof encoder === 'string' && nn.encoderNames().includes(encoder) ? { method: String(c!.method), encoder, options: c!.model!.encoderOptions ?? {} } : null;
  } catch {
    return null;
  }
}

/** The entries of a state dict's encoder (timm's names), by {@link ENCODER_PREFIXES}. */
function encoderEntries(dict: Readonly<Record<string, tf.Tensor>>): Readonly<Record<string, tf.Tensor>> {
  const prefix = ENCODER_PREFIXES.find((p) => Object.keys(dict).some((k) => k.startsWith(p)));
  if (prefix === undefined) return dict;
  return Object.fromEntries(Object.entries(dict).flatMap(([k, t]) => (k.startsWith(prefix) ? [[k.slice(prefix.length), t]] : [])));
}

/**
 * `method` (the run's, built from `input`) whose `init` starts from the encoder that `path` holds:
 * MIM-Refiner's student and teacher (`pretrainedEncoder`), SALT's frozen teacher
 * (`saltFromCheckpoint`); the rest of the variables fresh from the key, as without it.
 */
export function withPretrained(name: MethodName, method: Method, input: Readonly<Record<string, unknown>>, path: string): Method {
  const at = `config: at .${name}.pretrained`;
  return {
    ...method,
    init(key: NdArray) {
      const fail = (file: string) => (why: string): never => {
        throw new ConfigError(`${at} ${file === path ? path : `${path} (${file})`}: ${why}`);
      };
      const file = fileOf(path, fail(path));
      const source = readSource(file, fail(file));
      try {
        if (name === 'salt') {
          const stage1 = source.kind === 'dict' ? source.dict : { params: { encoder: source.v.params }, state: { encoder: source.v.state } };
          return ssl.saltFromCheckpoint(method as Parameters<typeof ssl.saltFromCheckpoint>[0], stage1 as ssl.SaltStage1, key);
        }
        const pretrainedEncoder = source.kind === 'dict' ? encoderEntries(source.dict) : source.v;
        return ssl.byName(name)({ ...input, pretrainedEncoder }).init(key);
      } catch (e) {
        if (e instanceof ConfigError) throw e;
        // The method's own prefixes say nothing the path does not.
        return fail(file)((e as Error).message.split('\n')[0]!.replace(/^(salt\.fromCheckpoint: |mimRefiner config: at \.pretrainedEncoder )/, '').replace('loadTorchStateDict: ', ''));
      } finally {
        tf.dispose(tensorsIn(source.kind === 'dict' ? source.dict : source.v));
      }
    },
  };
}
