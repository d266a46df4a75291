/** Self-supervised learning building blocks. */
export * as swav from './swav/index.js';
export * from './losses/index.js';
export { type EmaCoefficientOptions, ema, emaCoefficientSchedule, initTeacher } from './teacher.js';
export { type MemoryState, initMemory, memoryFull, nearestNeighbour, pushMemory, readMemory } from './memory.js';
