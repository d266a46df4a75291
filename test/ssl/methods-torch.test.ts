/**
 * `toTorch` / `fromTorch` of every method: the seed's state-dict names (stable-pretraining:
 * `backbone`, `projector`, `predictor`, `prototypes`; a module with an EMA teacher is a
 * `TeacherStudentWrapper` with `student.` / `teacher.` and its coefficient buffers), and a
 * round trip that gives back the same dict; entries the model does not use are an error.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { tensorsIn } from './tiny-swav.js';

await useTestBackend();

const encoder = { encoder: 'convnet_small', encoderOptions: { inChannels: 1, widths: [4, 8] } };
const dims = { dims: [16, 8] };

/** Per method: a tiny configuration and entries its dict must hold (the seed's names). */
const CASES: Record<string, { config: Record<string, unknown>; names: string[] }> = {
  simclr: { config: { ...encoder, projector: dims }, names: ['backbone.conv1.weight', 'backbone.bn2.running_var', 'projector.0.weight', 'projector.1.running_mean', 'projector.3.weight', 'projector.4.weight', 'projector.4.bias'] },
  mocoV2: {
    config: { ...encoder, projector: dims, queueLength: 4 },
    names: ['backbone.student.conv1.weight', 'backbone.teacher.conv1.weight', 'backbone.ema_coefficient', 'backbone.base_ema_coefficient', 'backbone.final_ema_coefficient', 'projector.student.0.weight', 'projector.teacher.2.bias'],
  },
  byol: { config: { ...encoder, projector: dims, predictor: dims }, names: ['backbone.student.bn1.weight', 'backbone.teacher.bn1.running_mean', 'projector.student.1.running_var', 'projector.teacher.3.weight', 'predictor.0.weight', 'predictor.3.bias'] },
  simsiam: { config: { ...encoder, projector: dims, predictor: { dims: [4, 8] } }, names: ['projector.4.running_mean', 'predictor.0.weight', 'predictor.3.bias'] },
  vicreg: { config: { ...encoder, projector: dims }, names: ['projector.0.bias', 'projector.3.weight'] },
  barlowTwins: { config: { ...encoder, projector: dims }, names: ['projector.0.weight', 'projector.3.weight'] },
  dino: { config: { ...encoder, projector: dims, numPrototypes: 6 }, names: ['projector.student.0.0.weight', 'projector.teacher.0.2.bias', 'prototypes.student.weight', 'prototypes.teacher.weight'] },
  nnclr: { config: { ...encoder, projector: dims, predictor: dims, queueLength: 4 }, names: ['projector.4.running_var', 'predictor.3.bias'] },
  swav: { config: { ...encoder, projector: { hiddenDim: 16, outDim: 8 }, numPrototypes: 6 }, names: ['backbone.conv2.weight', 'projector.0.weight', 'prototypes.weight'] },
};

const Torch = suite('ssl.methods: toTorch / fromTorch');
for (const [name, c] of Object.entries(CASES)) {
  Torch(`${name}: the seed's names, and a round trip gives the same state dict`, async () => {
    const method = ssl.methods.byName(name)(c.config as never);
    const v = method.init(random.key(3));
    const dict = method.toTorch(v.params, v.state);
    for (const n of c.names) assert.ok(dict[n], `${name}: entry ${n} (has ${Object.keys(dict).slice(0, 6).join(', ')}, ...)`);
    const back = method.fromTorch(dict);
    const again = method.toTorch(back.params, back.state);
    assert.equal(Object.keys(again).sort(), Object.keys(dict).sort());
    for (const k of Object.keys(dict)) assert.equal(Array.from(await again[k].data()), Array.from(await dict[k].data()), `${name}: ${k}`);
    const extra = { ...dict, 'head.weight': tf.zeros([2]) };
    assert.match(errorOf(() => method.fromTorch(extra)), /entries not used by the model: head\.weight/);
    tf.dispose([...Object.values(extra), ...Object.values(again), ...tensorsIn([v, back])]);
  });
}
Torch.run();
