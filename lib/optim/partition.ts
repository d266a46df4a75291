/**
 * optax's `partition` (formerly `multi_transform`) and `named_chain` (`transforms/_combining.py`):
 * a different transformation per group of parameters, and a chain whose state is keyed by name.
 */
import * as tree from '../tree/index.js';
import { type MaskedState, masked } from './masked.js';
import type { GradientTransformation } from './types.js';

/** A tree of group labels shaped like the parameters (or a prefix of it), or a function of them computing one. */
export type ParamLabels = unknown;

/** The state of {@link partition}: each group's masked state, by label. */
export interface PartitionState {
  readonly innerStates: Record<string, MaskedState<unknown>>;
}

/** One label per leaf of `t`, checked against the groups. */
function leafLabels(labels: ParamLabels, t: unknown, groups: readonly string[]): string[] {
  const resolved = typeof labels === 'function' ? (labels as (p: unknown) => unknown)(t) : labels;
  const flat = tree.broadcastPrefix<string>(resolved, t, 'partition: paramLabels', (x) => typeof x === 'string');
  const unknown = [...new Set(flat.filter((l) => !groups.includes(l)))];
  if (unknown.length) throw new Error(`partition: some parameters have no transformation: labels ${JSON.stringify(unknown)}, transforms ${JSON.stringify(groups)}`);
  return flat;
}

/** For each group, `masked(transform, leaves labelled with the group)`, built for the leaves of `t`. */
function groupTransforms(transforms: Readonly<Record<string, GradientTransformation<any>>>, labels: ParamLabels, t: unknown) {
  const groups = Object.keys(transforms);
  const flat = leafLabels(labels, t, groups);
  const def = tree.structure(t);
  return groups.map((g) => [g, masked(transforms[g], tree.unflatten(def, flat.map((l) => l === g)))] as const);
}

/**
 * Applies `transforms[label]` to the leaves labelled `label` (optax's `partition` /
 * `multi_transform`). Every label must have a transformation; a group's transformation sees only
 * its leaves (`masked`). `paramLabels` is called with the parameters at `init` and with the
 * updates at `update`.
 * @example partition({ adam: adam({ learningRate: 1e-3 }), frozen: setToZero() }, { encoder: 'frozen', head: 'adam' })
 */
export function partition(transforms: Readonly<Record<string, GradientTransformation<any>>>, paramLabels: ParamLabels): GradientTransformation<PartitionState> {
  return {
    init: (params) => ({ innerStates: Object.fromEntries(groupTransforms(transforms, paramLabels, params).map(([g, t]) => [g, t.init(params)])) }),
    update(updates, state, params, extra) {
      let u = updates;
      const next: Record<string, MaskedState<unknown>> = {};
      for (const [g, t] of groupTransforms(transforms, paramLabels, updates)) {
        if (!(g in state.innerStates)) throw new Error(`partition: the state has no entry for group ${JSON.stringify(g)} (call init with these transforms)`);
        [u, next[g]] = t.update(u, state.innerStates[g], params, extra);
      }
      return [u, { innerStates: next }];
    },
  };
}

/** optax's old name for {@link partition}. */
export const multiTransform = partition;

/**
 * A chain whose state is an object keyed by the given names (optax's `named_chain`), so a
 * sub-state can be read by name (`state.adam.mu`). Names must be unique.
 * @example namedChain(['clip', clipByGlobalNorm(1)], ['adam', scaleByAdam()], ['lr', scaleByLearningRate(1e-3)])
 */
export function namedChain(...named: readonly (readonly [string, GradientTransformation<any>])[]): GradientTransformation<Record<string, unknown>> {
  const names = named.map(([n]) => n);
  if (new Set(names).size !== names.length) throw new Error(`namedChain: names must be unique, got ${JSON.stringify(names)}`);
  return {
    init: (params) => Object.fromEntries(named.map(([n, t]) => [n, t.init(params)])),
    update(updates, state, params, extra) {
      let u = updates;
      const next: Record<string, unknown> = {};
      for (const [n, t] of named) {
        if (!(n in state)) throw new Error(`namedChain: the state has no entry ${JSON.stringify(n)} (call init with these transforms)`);
        [u, next[n]] = t.update(u, state[n], params, extra);
      }
      return [u, next];
    },
  };
}
