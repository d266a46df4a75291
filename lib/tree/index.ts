/** Pytrees (pytree.ts), custom node types (registry.ts) and Equinox-style filtering of them (filter.ts). */
export * from './pytree.js';
export * from './filter.js';
export {
  type Constructor,
  type KeyEntry,
  DictKey,
  FlattenedIndexKey,
  GetAttrKey,
  SequenceKey,
  isPlainObject,
  keystr,
  registerDataclass,
  registerPytreeNode,
  registerPytreeNodeClass,
  registerPytreeWithKeys,
  registerStatic,
} from './registry.js';
