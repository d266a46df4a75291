/**
 * The joint-embedding and distillation losses of stable-pretraining (`losses/joint_embedding.py`,
 * `losses/utils.py`, `losses/dino.py`, `losses/multimodal.py`, `losses/reconstruction.py`,
 * DINOv3's KoLeo, W-MSE), as pure functions of arrays (jit/vmap/grad-able): `ntXent`, `infoNce`,
 * `clipLoss`, `byolLoss`, `negativeCosine`, `vicreg`, `vcReg`, `vicregLocal` (+ `nearestLocations`), `barlowTwins`, `dino`
 * (+ `teacherProbs`, `batchCenter`, `updateCenter`), `ibotPatchLoss`, `sinkhornKnopp`, `koleo`, `msn`,
 * `maeLoss`, `wmse`, `tico` (TiCo's loss with its running covariance), `directClr`, `spectralContrastive`,
 * `lejepa` (+ `sigreg`, `slicedEppsPulley`, `eppsPulley`). Each file's comment gives its formula.
 */
export { type InfoNceOptions, infoNce } from './info-nce.js';
export { type NtXentOptions, ntXent } from './ntxent.js';
export { type NegativeCosineOptions, byolLoss, negativeCosine } from './cosine.js';
export { type ClipLossOptions, clipLoss } from './clip.js';
export { type VcRegOptions, type VicRegOptions, vcReg, vicreg } from './vicreg.js';
export { nearestLocations, vicregLocal } from './vicregl.js';
export { type BarlowTwinsOptions, type BarlowTwinsStatistics, barlowTwins } from './barlow-twins.js';
export { type DinoOptions, batchCenter, dino, teacherProbs, updateCenter } from './dino.js';
export { type IbotPatchLossOptions, type SinkhornKnoppOptions, ibotPatchLoss, sinkhornKnopp } from './ibot.js';
export { type KoleoOptions, koleo } from './koleo.js';
export { type MsnOptions, type MsnResult, msn } from './msn.js';
export { type MaeLossOptions, type MaeLossType, maeLoss } from './mae.js';
export { type WmseOptions, wmse } from './wmse.js';
export { type TicoOptions, type TicoResult, tico } from './tico.js';
export { type DirectClrOptions, directClr } from './directclr.js';
export { type SpectralContrastiveOptions, spectralContrastive } from './spectral-cl.js';
export { type EppsPulleyOptions, type LejepaOptions, type LejepaResult, type SigregOptions, eppsPulley, lejepa, sigreg, slicedEppsPulley } from './lejepa.js';
