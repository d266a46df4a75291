/**
 * A schedule's values (init, peak, end, ...) must be finite numbers: a NaN peak used to make a
 * schedule whose every learning rate after step 0 is NaN, training silently to NaN parameters.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as optim from '../../lib/optim/index.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const test = suite(`schedule values [${backend}]`);

const refused: [string, () => unknown, RegExp][] = [
  ['warmupCosineDecay peak NaN', () => optim.warmupCosineDecay({ init: 0, peak: NaN, warmupSteps: 2, decaySteps: 10 }), /^warmupCosineDecay: peak must be a finite number, got NaN$/],
  ['warmupCosineDecay init', () => optim.warmupCosineDecay({ init: Infinity, peak: 1, warmupSteps: 2, decaySteps: 10 }), /^warmupCosineDecay: init must be a finite number, got Infinity$/],
  ['cosineDecay end', () => optim.cosineDecay({ init: 1, decaySteps: 10, end: NaN }), /^cosineDecay: end must be a finite number, got NaN$/],
  ['linear init', () => optim.linear({ init: NaN, end: 0, steps: 10 }), /^linear: init must be a finite number, got NaN$/],
  ['polynomial end', () => optim.polynomial({ init: 1, end: NaN, steps: 10, power: 2 }), /^polynomial: end must be a finite number, got NaN$/],
  ['warmupCosine base', () => optim.warmupCosine({ start: 0, base: NaN, final: 0, warmupSteps: 2, totalSteps: 10 }), /^warmupCosine: base must be a finite number, got NaN$/],
];
for (const [name, make, message] of refused) {
  test(`refuses: ${name}`, () => assert.throws(make, (e: Error) => message.test(e.message), name));
}

test('finite values still make the schedule', () => {
  assert.is(optim.evaluateSchedule(optim.warmupCosineDecay({ init: 0, peak: 1, warmupSteps: 2, decaySteps: 10 }), 2), 1);
});

test.run();
