/** Embedded datasets by name: `loadDataset('fashion-mnist', {split: 'test'})`. */

import type { EmbeddedDataset, EmbeddedOptions } from './embedded.js';
import { DataError } from './errors.js';
import { loadFashionMnist } from './fashion-mnist.js';
import { loadMnist } from './mnist.js';

const LOADERS = {
  'fashion-mnist': loadFashionMnist,
  mnist: loadMnist,
} as const satisfies Record<string, (options?: EmbeddedOptions) => Promise<EmbeddedDataset>>;

/** Names accepted by {@link loadDataset}. */
export type DatasetName = keyof typeof LOADERS;

/** The registered dataset names. */
export const DATASET_NAMES: readonly DatasetName[] = Object.freeze(Object.keys(LOADERS) as DatasetName[]);

/** Loads a registered embedded dataset by name; an unknown name is an error listing the known ones. */
export function loadDataset(name: string, options: EmbeddedOptions = {}): Promise<EmbeddedDataset> {
  if (!Object.hasOwn(LOADERS, name)) {
    return Promise.reject(new DataError(name, `unknown dataset ${JSON.stringify(name)}; known datasets: ${DATASET_NAMES.join(', ')}`));
  }
  return LOADERS[name as DatasetName](options);
}
