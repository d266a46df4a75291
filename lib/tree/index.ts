/** Pytrees (pytree.ts), folds over their leaves (reductions.ts), custom node types (registry.ts) and Equinox-style filtering of them (filter.ts). */
export * from './pytree.js';
export * from './reductions.js';
export * from './filter.js';
export {
  type Constructor,
  type KeyEntry,
  DictKey,
  FlattenedIndexKey,
  GetAttrKey,
  SequenceKey,
  isPlainObject,
  isTreeNode,
  keystr,
  registerDataclass,
  registerPytreeNode,
  registerPytreeNodeClass,
  registerPytreeWithKeys,
  registerPytreeWithKeysClass,
  registerStatic,
} from './registry.js';
