/** The examples of docs/ssl.md run as printed (each ```ts block as its own program) and print finite losses and one trace. */
import { docBlocksSuite } from '../helpers/doc-blocks.js';

docBlocksSuite('docs/ssl.md', [
  [/simclr loss \d+\.\d{3} traces 1/, 'embedding [ 8, 16 ]'],
  [/step 0: loss \d+\.\d{3} = swapped \d+\.\d{3} \+ 0\.05 \* vc \d+\.\d{3}/, /step 2: loss \d+\.\d{3} = swapped \d+\.\d{3}/, 'traces 1 state dict projector.3.bias, prototypes.weight'],
  ['vicreg is finite on 20 view pairs'],
  [/step 0: loss \d+\.\d{3}/, /step 2: loss \d+\.\d{3}/, 'traces 1 kept patches [ 8, 4 ] embedding [ 8, 32 ]'],
  // PIRL: the bank is empty at step 0 (read before the push), so the first loss is 0.
  [/step 0: loss 0\.000 \(jigsaw term 0\.000\)/, /step 2: loss \d+\.\d{3}/, 'traces 1 embedding [ 8, 16 ]'],
  [/dinov2 loss \d+\.\d{3} patch \d+\.\d{3}/],
  [/ibot loss \d+\.\d{3} patch \d+\.\d{3}/],
  [/msn loss -?\d+\.\d{3} me-max -?\d+\.\d{3}/],
  [/dinov3 loss \d+\.\d{3} koleo -?\d+\.\d{3}/],
  [/igpt loss \d+\.\d{3}/],
  [/vicregl loss \d+\.\d{3} local \d+\.\d{3}/],
  [/ijepa loss \d+\.\d{3} targets per image [1-9]/],
  [/simmim loss \d+\.\d{3} embedding \[ 4, 32 \]/],
  [/data2vec loss \d+\.\d{3} teacher embedding \[ 4, 32 \]/],
  [/maskfeat loss \d+\.\d{3} embedding \[ 4, 32 \]/],
  [/cmae loss -?\d+\.\d{3} recon \d+\.\d{3} teacher embedding \[ 4, 32 \]/],
  [/beit loss \d+\.\d{3} embedding \[ 4, 32 \]/],
  [/mimRefiner loss \d+\.\d{3} patch \d+\.\d{3} embedding \[ 4, 32 \]/],
  [/crossMae loss -?\d+\.\d{3} embedding \[ 4, 32 \]/],
  [/nepa loss -?\d+\.\d{3} embedding \[ 4, 32 \]/],
  [/salt loss \d+\.\d{3} targets per image [1-9]\d* embedding \[ 4, 16 \]/],
]).run();
