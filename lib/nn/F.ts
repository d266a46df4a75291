/**
 * `nn.F`, like `torch.nn.functional`: the functions behind the layers and jax.nn's functions
 * (functional.ts), and PyTorch's functional losses (torch-losses.ts).
 */
export * from './functional.js';
export * from './torch-losses.js';
