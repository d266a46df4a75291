/**
 * The joint-embedding and distillation losses of stable-pretraining (`losses/joint_embedding.py`,
 * `losses/utils.py`, `losses/dino.py`), as pure functions of arrays (jit/vmap/grad-able):
 * `ntXent`, `infoNce`, `byolLoss`, `negativeCosine`, `vicreg`, `vcReg`, `barlowTwins`, `dino`
 * (+ `teacherProbs`, `batchCenter`, `updateCenter`). Each file's comment gives its formula.
 */
export { type InfoNceOptions, infoNce } from './info-nce.js';
export { type NtXentOptions, ntXent } from './ntxent.js';
export { type NegativeCosineOptions, byolLoss, negativeCosine } from './cosine.js';
export { type VcRegOptions, type VicRegOptions, vcReg, vicreg } from './vicreg.js';
export { type BarlowTwinsOptions, type BarlowTwinsStatistics, barlowTwins } from './barlow-twins.js';
export { type DinoOptions, batchCenter, dino, teacherProbs, updateCenter } from './dino.js';
