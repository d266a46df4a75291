/**
 * DINO (Caron et al. 2021) = multi-crop views through an EMA teacher (the global views,
 * concatenated into one batch) and the student (the global views as one batch, the local
 * views as another): encoder, projector MLP, L2 normalisation, prototypes (logits);
 * `dino(student logits, teacherProbs(teacher logits, centre, teacher temperature))`. The
 * centre is state: step 1 uses none (zeros), each step's batch centre enters the next
 * (copied the first time, then `centerMomentum * centre + (1 - centerMomentum) * batch`).
 * The teacher temperature warms up linearly from `warmupTeacherTemperature` to
 * `teacherTemperature` over `warmupTeacherSteps` (the seed counts epochs).
 *
 * Defaults: stable-pretraining's `DINO` (projector 2048-2048-256 with GELU, 65536
 * prototypes, student 0.1, teacher 0.04 -> 0.07 over 30, centre momentum 0.9, EMA 0.996 -> 1).
 * Layout: by default the prototypes are a stage of their own (`prototypes.*` in the state
 * dict); `prototypesInProjector: true` gives the seed's module layout, the prototypes as the
 * last layer of the projector (`projector.{student,teacher}.6.weight` for the default head,
 * with the L2 normalisation at `5`). The two compute the same.
 *
 * Batches: `{ globalViews, localViews? }` (or `{ view1, view2 }`: two global views).
 * Metrics: `teacherTemperature` (the step's).
 */
import * as nn from '../../nn/index.js';
import * as np from '../../ops/index.js';
import * as optim from '../../optim/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { boolean, nonNegativeInt, positiveInt, positiveNumber, unitInterval } from '../codecs.js';
import { dino as dinoLoss, teacherProbs, updateCenter } from '../losses/index.js';
import { defineMethod } from '../method.js';
import { type ViewsBatch, encodeViews, viewsOfOneBatch } from '../views.js';
import { type HeadConfig, HeadCodec, head, headLayers, headOut, mlpHead } from './head.js';
import { EMA_PROPS, ENCODER_DEFAULTS, ENCODER_PROPS, type EmaSettings, type EncoderSettings, type NetState, type Params, encoderOf, network } from './network.js';

export interface DinoConfig extends EncoderSettings, EmaSettings {
  /** The MLP before the L2 normalisation (its output is the bottleneck). */
  readonly projector: HeadConfig;
  readonly numPrototypes: number;
  readonly studentTemperature: number;
  readonly teacherTemperature: number;
  readonly warmupTeacherTemperature: number;
  /** Steps of the teacher temperature's linear warm-up (0: none). */
  readonly warmupTeacherSteps: number;
  readonly centerMomentum: number;
  /** The seed's module layout: the prototypes are the projector's last layer (default false: a `prototypes` stage). */
  readonly prototypesInProjector: boolean;
}

/** The teacher temperature by step: linear from `warmupTeacherTemperature` to `teacherTemperature` over `warmupTeacherSteps`, then constant (the seed's per-epoch warm-up, DINO's and iBOT's). */
export function teacherTemperatureSchedule(c: Pick<DinoConfig, 'teacherTemperature' | 'warmupTeacherTemperature' | 'warmupTeacherSteps'>): optim.Schedule {
  return c.warmupTeacherSteps > 0
    ? optim.joinSchedules([optim.linear({ init: c.warmupTeacherTemperature, end: c.teacherTemperature, steps: c.warmupTeacherSteps }), optim.constant(c.teacherTemperature)], [c.warmupTeacherSteps])
    : optim.constant(c.teacherTemperature);
}

export const dino = defineMethod<DinoConfig, Params, NetState, ViewsBatch>({
  name: 'dino',
  codec: strictPartial(
    {
      ...ENCODER_PROPS,
      ...EMA_PROPS,
      projector: HeadCodec,
      numPrototypes: positiveInt,
      studentTemperature: positiveNumber,
      teacherTemperature: positiveNumber,
      warmupTeacherTemperature: positiveNumber,
      warmupTeacherSteps: nonNegativeInt,
      centerMomentum: unitInterval,
      prototypesInProjector: boolean,
    },
    'a DINO configuration object',
  ),
  defaults: {
    ...ENCODER_DEFAULTS,
    projector: head([2048, 2048, 256], { activation: 'gelu', batchNorm: false }),
    numPrototypes: 65536,
    studentTemperature: 0.1,
    teacherTemperature: 0.07,
    warmupTeacherTemperature: 0.04,
    warmupTeacherSteps: 30,
    centerMomentum: 0.9,
    prototypesInProjector: false,
    emaStart: 0.996,
    emaEnd: 1,
    emaSteps: null,
  },
  build(c) {
    const enc = encoderOf(c, 'dino');
    const prototypes = nn.linear({ in: headOut(c.projector), out: c.numPrototypes, bias: false });
    const stages: Record<string, nn.Layer> = c.prototypesInProjector
      ? { encoder: enc.layer, projector: nn.sequential([...headLayers(enc.dim, c.projector), nn.l2Normalize(), prototypes]) }
      : { encoder: enc.layer, projector: nn.sequential([mlpHead(enc.dim, c.projector), nn.l2Normalize()]), prototypes };
    const logitsStage = c.prototypesInProjector ? 'projector' : 'prototypes';
    const net = network({ name: 'dino', stages, teacher: { stages: Object.keys(stages), ema: c }, extraState: () => ({ center: np.zeros([1, c.numPrototypes]) }) });
    const temperature = teacherTemperatureSchedule(c);
    return {
      ...net.parts,
      loss(params, state, batch, { key, axisName } = {}) {
        net.checkState(state, ['center']);
        const parsed = viewsOfOneBatch(batch, 'dino');
        if (parsed === null) throw new Error('dino: the batch must hold views ({ globalViews, localViews } or { view1, view2 }), not { images } (use embed)');
        const global = parsed.views.slice(0, parsed.numGlobal);
        const local = parsed.views.slice(parsed.numGlobal);
        const { outputs: t, teacher } = net.teacherForward(state, global, 'concat', axisName);
        const g = encodeViews(net.chain(), params, state, global, { train: true, key, batching: 'concat', axisName });
        const l = local.length ? encodeViews(net.chain(), params, g.state, local, { train: true, key, batching: 'concat', firstView: global.length, axisName }) : g;
        const studentLogits = np.stack([...g.outputs[logitsStage], ...(local.length ? l.outputs[logitsStage] : [])], 0);
        const teacherLogits = np.stack(t[logitsStage], 0);
        const teacherTemperature = temperature(state.step);
        const loss = dinoLoss(studentLogits, teacherProbs(teacherLogits, state.center, teacherTemperature), { studentTemperature: c.studentTemperature });
        const center = updateCenter(state.center, teacherLogits, np.where(np.greater(state.step, 0), c.centerMomentum, 0), axisName);
        return [loss, { state: net.next(state, l.state, { teacher, center }), metrics: { teacherTemperature } }];
      },
    };
  },
});
