/**
 * tfjax in Node (what `import 'tfjax'` resolves to there): everything of ./index.ts, plus
 * safetensors files, checkpoints, and WebGPU through Dawn (see ./backend/node.ts).
 * Nothing starts at import: `await ready()` or `await setBackend(...)` first.
 */
import './backend/node.js';
import * as checkpoint from './checkpoint/index.js';

export * from './index.js';
export { checkpoint };
export { enableRelaxedSimd } from './backend/node.js';
export { readSafetensorsFile, writeSafetensorsFile } from './io/safetensors-file.js';
export { type NpyArray, parseNpy, parseNpz, writeNpy } from './io/npy.js';
