/** What `import ... from 'tfjax'` gives the examples of docs/optim.md when run from the tests. */
export * from '../../lib/node.js';
export * as optim from '../../lib/optim/index.js';
