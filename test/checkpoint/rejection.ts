/** The checkpoint tests' helper for promises that must fail with a CheckpointError. */
import * as assert from 'uvu/assert';
import { CheckpointError } from '../../lib/checkpoint/index.js';

/** The CheckpointError message of a promise that must reject. */
export async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, CheckpointError);
    return (e as Error).message;
  }
  throw new assert.Assertion({ message: 'expected a rejection', operator: 'rejects', generated: false, actual: undefined, expects: undefined });
}
