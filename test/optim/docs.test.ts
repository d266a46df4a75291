/** The examples of docs/optim.md run (each ```ts block as its own program) and print what they say. */
import { docBlocksSuite } from '../helpers/doc-blocks.js';

/** What each block must print (substrings of its output), in order. */
docBlocksSuite('docs/optim.md', [
  ['step 0 ', 'step 199 ', 'w = 2.000, -1.000, 0.500'],
  ['{"bn1":{"bias":false,"weight":false},"conv1":{"weight":true},"fc":{"b":false,"w":true}}', '-0 -0.0000500000'],
  ['0.30000001192092896', '4.800000190734863', '2.4023999999999996', '0.034318434589097946', '2.4023997', '0.01'],
  ['[ 0.00999999', ', 0.01999999', '[ 1, 2 ]'],
]).run();
