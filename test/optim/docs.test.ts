/** The examples of docs/optim.md run (each ```ts block as its own program) and print what they say. */
import { docBlocksSuite } from '../helpers/doc-blocks.js';

/** What each block must print (substrings of its output), in order. */
docBlocksSuite('docs/optim.md', [
  ['step 0 ', 'step 199 ', 'w = 2.000, -1.000, 0.500'],
  ['{"bn1":{"bias":false,"weight":false},"conv1":{"weight":true},"fc":{"b":false,"w":true}}', '-0 -0.0000500000'],
  ['0.30000001192092896', '4.800000190734863', '2.4023999999999996', '0.034318434589097946', '2.4023997', '0.01'],
  ['[ 0.00999999', ', 0.01999999', '[ 1, 2 ]'],
  // injectHyperparams: the linear schedule 0.1 -> 0 over 10 steps was at 0.08 for the third step (count 2).
  ['learningRate used by step 3: 0.08', 'b1 now: 0.5'],
  ["[ 'learningRate' ]"],
  // lookahead with sgd(0.1) on |w - (1, 2)|^2: fast w <- 0.8 w + 0.2 t; every 2nd step slow moves halfway and fast lands on it.
  ['step 1: fast 0.200,0.400 slow 0.000,0.000', 'step 2: fast 0.180,0.360 slow 0.180,0.360', 'step 3: fast 0.344,0.688 slow 0.180,0.360', 'step 4: fast 0.328,0.655 slow 0.328,0.655'],
]).run();
