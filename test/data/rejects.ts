import * as assert from 'uvu/assert';
import { DataError } from '../../lib/data/index.js';

/** Awaits p and checks that it fails with a DataError whose message matches `pattern`. */
export async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, DataError);
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected an error matching ${pattern}`);
}
