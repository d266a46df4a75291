/**
 * The torch-style optimisers refuse the options torch.optim refuses (`ValueError: Invalid learning
 * rate`, momentum, weight_decay, epsilon, beta at index i), as one line naming the optimiser and the
 * option, at construction: a NaN learning rate used to train silently to NaN parameters.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as optim from '../../lib/optim/index.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const test = suite(`torch option checks [${backend}]`);

const refused: [string, () => unknown, RegExp][] = [
  ['sgd NaN lr', () => optim.sgd({ learningRate: NaN }), /^sgd: learningRate must be a finite number >= 0, got NaN$/],
  ['sgd lr -1', () => optim.sgd({ learningRate: -1 }), /^sgd: learningRate must be a finite number >= 0, got -1$/],
  ['sgd momentum', () => optim.sgd({ learningRate: 0.1, momentum: -0.5 }), /^sgd: momentum must be a finite number >= 0, got -0.5$/],
  ['sgd weight decay', () => optim.sgd({ learningRate: 0.1, weightDecay: Infinity }), /^sgd: weightDecay must be a finite number >= 0, got Infinity$/],
  ['adam b1', () => optim.adam({ learningRate: 0.1, b1: 1.2 }), /^adam: b1 must be in \[0, 1\), got 1.2$/],
  ['adam betas[1]', () => optim.adam({ learningRate: 0.1, betas: [0.9, 1] }), /^adam: b2 must be in \[0, 1\), got 1$/],
  ['adam eps', () => optim.adam({ learningRate: 0.1, eps: -1e-8 }), /^adam: eps must be a finite number >= 0, got -1e-8$/],
  ['adamw NaN lr', () => optim.adamw({ learningRate: NaN }), /^adamw: learningRate must be a finite number >= 0, got NaN$/],
  ['adamw weight decay', () => optim.adamw({ learningRate: 0.1, weightDecay: -0.01 }), /^adamw: weightDecay must be a finite number >= 0, got -0.01$/],
  ['adamax NaN lr', () => optim.adamax({ learningRate: NaN }), /^adamax: learningRate/],
  ['nadam b2', () => optim.nadam({ learningRate: 0.1, b2: -0.1 }), /^nadam: b2 must be in \[0, 1\)/],
  ['radam NaN lr', () => optim.radam({ learningRate: NaN }), /^radam: learningRate/],
  ['adagrad NaN lr', () => optim.adagrad({ learningRate: NaN }), /^adagrad: learningRate/],
  ['rmsprop NaN lr', () => optim.rmsprop({ learningRate: NaN }), /^rmsprop: learningRate/],
  ['lars NaN lr', () => optim.lars({ learningRate: NaN }), /^lars: learningRate/],
];
for (const [name, make, message] of refused) {
  test(`refuses: ${name}`, () => {
    assert.throws(make, (e: Error) => message.test(e.message) && !e.message.includes('\n'), name);
  });
}

test('accepts the edges torch accepts, schedules and arrays unchecked', () => {
  optim.sgd({ learningRate: 0, momentum: 0, weightDecay: 0 });
  optim.adam({ learningRate: 0.1, b1: 0, b2: 0, eps: 0 });
  optim.adamw({ learningRate: optim.constant(0.1), weightDecay: 0 });
});

test.run();
