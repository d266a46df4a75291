/**
 * The network of a joint-embedding method, shared by the methods in this folder: named
 * stages in forward order (the encoder, then heads), optionally an EMA teacher copying
 * some of them, and what comes with that for free:
 *
 * - parameters `{ [stage]: params }`; state `{ [stage]: state, step: int32 [], teacher?: { params, state }, ...extra }`;
 * - `init`, `embed` (the teacher's encoder when there is one, as the seed's `forward(images)`),
 *   the teacher's EMA `afterUpdate` (parameters AND BatchNorm statistics, coefficient by the
 *   seed's cosine schedule over `state.step`);
 * - `toTorch` / `fromTorch` in the seed's layout: stage `encoder` is the seed's `backbone`,
 *   the others keep their names (unless the spec's `torchNames` says otherwise); a stage with a teacher is a `TeacherStudentWrapper`
 *   (`backbone.student.*`, `backbone.teacher.*`, and its `ema_coefficient`,
 *   `base_ema_coefficient`, `final_ema_coefficient` buffers). Extra state is not part of the
 *   seed's module state (DINO's centre: `fromTorch` starts it afresh) unless the spec's
 *   `extraTorch` writes and reads it (MoCo's and NNCLR's queue: the seed's `queue.*` buffers).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope } from '../../core/index.js';
import * as nn from '../../nn/index.js';
import * as np from '../../ops/index.js';
import { type Schedule, constant } from '../../optim/index.js';
import * as random from '../../random/index.js';
import { tensorsIn } from '../../util/tensors.js';
import { type EncoderLayer, embeddingWidth, encoder, encoderLayer, encoderOptions, nullable, positiveInt, unitInterval } from '../codecs.js';
import type { MethodVariables, StepVariables } from '../method.js';
import { ema, emaCoefficientSchedule, initTeacher } from '../teacher.js';
import { type Chain, checkBatch, encodeViews } from '../views.js';

/** The configuration fields every method has: which encoder. */
export interface EncoderSettings {
  /** An `nn` encoder name (timm-style) or a layer. The seed's default 'vit_small_patch16_224'. */
  readonly encoder: string | EncoderLayer;
  /** Options for a named encoder (e.g. `{ lowResolution: true }`). */
  readonly encoderOptions: Readonly<Record<string, unknown>>;
  /** The encoder's output width; needed only for a layer without `embeddingDim`. */
  readonly embedDim: number | null;
}

export const ENCODER_PROPS = { encoder, encoderOptions, embedDim: nullable(positiveInt) };
export const ENCODER_DEFAULTS: EncoderSettings = { encoder: 'vit_small_patch16_224', encoderOptions: {}, embedDim: null };

/** The teacher's EMA coefficient: `emaStart` at step 0 to `emaEnd` at `emaSteps` by the seed's cosine; constant `emaStart` without `emaSteps`. */
export interface EmaSettings {
  readonly emaStart: number;
  readonly emaEnd: number;
  /** Steps of the cosine (the seed counts epochs); null: the coefficient stays `emaStart`. */
  readonly emaSteps: number | null;
}

export const EMA_PROPS = { emaStart: unitInterval, emaEnd: unitInterval, emaSteps: nullable(positiveInt) };

/** The encoder layer of a configuration and its embedding width. */
export function encoderOf(c: EncoderSettings, who: string): { layer: nn.Layer; dim: number } {
  const layer = encoderLayer(c) as nn.Layer;
  return { layer, dim: embeddingWidth(c, layer, who) };
}

export interface NetworkSpec {
  /** The method's name (for errors). */
  readonly name: string;
  /** Stages in forward order; `encoder` first. */
  readonly stages: Readonly<Record<string, nn.Layer>>;
  /** The stages the EMA teacher copies (in forward order), and its coefficient. */
  readonly teacher?: { readonly stages: readonly string[]; readonly ema: EmaSettings };
  /** Fresh extra state (queue, centre), added to `init` and `fromTorch`. */
  readonly extraState?: () => Record<string, unknown>;
  /** Extra state that is part of the seed's state dict: written by `toTorch`; read by `fromTorch` where the dict has it (else fresh). */
  readonly extraTorch?: ExtraTorch;
  /** The seed's module name of a stage where it is not the default (`encoder` is `backbone`, the others their own). */
  readonly torchNames?: Readonly<Record<string, string>>;
}

/** How extra state maps to state-dict entries. */
export interface ExtraTorch {
  write(state: NetState, out: nn.TorchDict): void;
  /** The extra state entries found in the dict (the others stay fresh). */
  read(r: nn.TorchReader): Record<string, unknown>;
}

export type Params = Record<string, any>;
export interface NetState {
  readonly step: NdArray;
  readonly teacher?: { readonly params: Params; readonly state: Params };
  readonly [stage: string]: any;
}

const defaultTorchName = (stage: string) => (stage === 'encoder' ? 'backbone' : stage);

/** See the module notes. */
export function network(spec: NetworkSpec) {
  const torchName = (stage: string) => spec.torchNames?.[stage] ?? defaultTorchName(stage);
  const names = Object.keys(spec.stages);
  const teacherNames = spec.teacher?.stages ?? [];
  for (const n of teacherNames) if (!names.includes(n)) throw new Error(`${spec.name}: the teacher copies stage '${n}', which the network lacks (${names.join(', ')})`);
  const pick = (tree: Params, keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, tree[k]]));
  const chainOf = (keys: readonly string[]): Chain => pick(spec.stages, keys) as Chain;
  const teacherEma: Schedule | null = spec.teacher
    ? spec.teacher.ema.emaSteps === null
      ? constant(spec.teacher.ema.emaStart)
      : emaCoefficientSchedule({ base: spec.teacher.ema.emaStart, final: spec.teacher.ema.emaEnd, totalSteps: spec.teacher.ema.emaSteps })
    : null;
  const withExtras = (v: MethodVariables<Params, Record<string, unknown>>): MethodVariables<Params, NetState> => {
    const state: Record<string, unknown> = { ...v.state, step: tf.scalar(0, 'int32'), ...(spec.extraState?.() ?? {}) };
    if (spec.teacher) state.teacher = initTeacher({ params: pick(v.params, teacherNames), state: pick(v.state, teacherNames) });
    return { params: v.params, state: state as NetState };
  };

  /** Fresh extra state, except the entries `loaded` from a state dict. */
  const freshExtras = (loaded: Record<string, unknown>): Record<string, unknown> => {
    const fresh = spec.extraState?.() ?? {};
    tf.dispose(tensorsIn(Object.keys(fresh).filter((k) => k in loaded).map((k) => fresh[k])));
    return { ...fresh, ...loaded };
  };

  const net = {
    /**
     * Checks that `state` holds what a loss reads: every stage's state, `step`, the teacher (if any)
     * and the method's `extra` entries (queue, centre); else a one-line error naming the missing ones.
     */
    checkState(state: NetState, extra: readonly string[] = []): void {
      const held = typeof state === 'object' && state !== null ? state : ({} as NetState);
      const missing = [...names, 'step', ...(spec.teacher ? ['teacher'] : []), ...extra].filter((k) => held[k] === undefined);
      if (missing.length) {
        throw new Error(`${spec.name}: the state has no ${missing.map((k) => `'${k}'`).join(', ')} (it holds ${Object.keys(held).join(', ') || 'nothing'}); pass the state from method.init or fromTorch, as the previous step returned it`);
      }
    },

    /** The student's stages (all, or the named ones in forward order). */
    chain: (keys: readonly string[] = names): Chain => chainOf(keys),

    init(key: NdArray): MethodVariables<Params, NetState> {
      return scope(() => {
        const keys = random.split(key, names.length);
        const vs = names.map((n, i) => spec.stages[n].init(keys[i]));
        return withExtras({ params: Object.fromEntries(names.map((n, i) => [n, vs[i].params])), state: Object.fromEntries(names.map((n, i) => [n, vs[i].state])) });
      });
    },

    /** The state after a training forward: the stages' new states, the step + 1, and `extra` (teacher, queue, centre). */
    next(state: NetState, stages: Readonly<Record<string, unknown>>, extra: Record<string, unknown> = {}): NetState {
      return { ...state, ...stages, ...extra, step: np.add(state.step, 1) };
    },

    /**
     * The teacher's forward (training mode, as the seed's; SyncBN with `axisName`) on views, through its
     * stages (or the first ones, `through`): its outputs per stage and the new teacher.
     */
    teacherForward(state: NetState, views: readonly NdArray[], batching: 'perView' | 'concat' = 'perView', axisName?: string, through: readonly string[] = teacherNames) {
      net.checkState(state);
      const t = state.teacher!;
      const { outputs, state: s } = encodeViews(chainOf(through), t.params, t.state, views, { train: true, batching, axisName });
      return { outputs, teacher: { params: t.params, state: { ...t.state, ...s } } };
    },

    /** The teacher's EMA towards the updated student (an `afterUpdate`), coefficient at the step before this one. */
    emaTeacher<O>(after: StepVariables<Params, NetState, O>, before: StepVariables<Params, NetState, O>): StepVariables<Params, NetState, O> {
      const t = after.state.teacher!;
      const student = { params: pick(after.params, teacherNames), state: pick(after.state, teacherNames) };
      return { ...after, state: { ...after.state, teacher: ema(t, student, teacherEma!(before.state.step)) } };
    },

    /** Evaluation embeddings: the teacher's encoder when there is one, else the student's; eval mode, no gradient; frees its temporaries. */
    embed(params: Params, state: NetState, images: NdArray): NdArray {
      checkBatch(images, 'images', `${spec.name}.embed`);
      const own = spec.teacher && teacherNames.includes('encoder') ? state.teacher! : { params, state };
      return scope(() => np.stopGradient(spec.stages.encoder.apply(own.params.encoder, own.state.encoder, images)[0]));
    },

    toTorch(params: Params, state: NetState): Record<string, tf.Tensor> {
      const out: nn.TorchDict = {};
      const step = state.step instanceof tf.Tensor ? state.step.dataSync()[0] : 0;
      for (const n of names) {
        const prefix = torchName(n);
        if (!teacherNames.includes(n)) {
          spec.stages[n].toTorch({ params: params[n], state: state[n] }, `${prefix}.`, out);
          continue;
        }
        spec.stages[n].toTorch({ params: params[n], state: state[n] }, `${prefix}.student.`, out);
        spec.stages[n].toTorch({ params: state.teacher!.params[n], state: state.teacher!.state[n] }, `${prefix}.teacher.`, out);
        const e = spec.teacher!.ema;
        out[`${prefix}.base_ema_coefficient`] = tf.scalar(e.emaStart);
        out[`${prefix}.final_ema_coefficient`] = tf.scalar(e.emaEnd);
        // The seed's buffer holds the coefficient of the last update (that of step - 1), base before any.
        out[`${prefix}.ema_coefficient`] = tf.scalar(teacherEma!.at(Math.max(step - 1, 0)));
      }
      spec.extraTorch?.write(state, out);
      return out as Record<string, tf.Tensor>;
    },

    fromTorch(dict: Readonly<Record<string, tf.Tensor>>): MethodVariables<Params, NetState> {
      const r = new nn.TorchReader(dict);
      const student = names.map((n) => spec.stages[n].fromTorch(r, teacherNames.includes(n) ? `${torchName(n)}.student.` : `${torchName(n)}.`));
      const teacher = teacherNames.map((n) => spec.stages[n].fromTorch(r, `${torchName(n)}.teacher.`));
      for (const n of teacherNames) for (const b of ['ema_coefficient', 'base_ema_coefficient', 'final_ema_coefficient']) r.skip(`${torchName(n)}.${b}`);
      const loaded = spec.extraTorch?.read(r) ?? {};
      const made = { student, teacher, loaded };
      const unused = Object.keys(dict).filter((k) => !r.used.has(k));
      if (unused.length) {
        tf.dispose(tensorsIn(made));
        throw new Error(`${spec.name}.fromTorch: entries not used by the model: ${unused.slice(0, 8).join(', ')}${unused.length > 8 ? ', ...' : ''}`);
      }
      const params = Object.fromEntries(names.map((n, i) => [n, student[i].params]));
      const state: Record<string, unknown> = { ...Object.fromEntries(names.map((n, i) => [n, student[i].state])), step: tf.scalar(0, 'int32'), ...freshExtras(loaded) };
      if (spec.teacher) state.teacher = { params: Object.fromEntries(teacherNames.map((n, i) => [n, teacher[i].params])), state: Object.fromEntries(teacherNames.map((n, i) => [n, teacher[i].state])) };
      return { params, state: state as NetState };
    },
  };
  /** What a method takes as it is: init, embed, torch io, and the teacher's EMA as `afterUpdate`. */
  const parts = {
    init: net.init,
    embed: net.embed,
    toTorch: net.toTorch,
    fromTorch: net.fromTorch,
    ...(spec.teacher ? { afterUpdate: net.emaTeacher } : {}),
  };
  return { ...net, parts };
}

export type Network = ReturnType<typeof network>;

