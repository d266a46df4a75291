/**
 * The methods, each a short composition of the blocks, by name: `ssl.methods.simclr(config)`
 * makes a {@link Method}; `ssl.methods.byName('simclr')` finds a factory by its registry name.
 */
import type { MethodFactory } from '../method.js';
import { barlowTwins } from './barlow-twins.js';
import { byol } from './byol.js';
import { dino } from './dino.js';
import { mocoV2 } from './moco-v2.js';
import { mocoV3 } from './moco-v3.js';
import { nnclr } from './nnclr.js';
import { simclr } from './simclr.js';
import { simsiam } from './simsiam.js';
import { swav } from './swav.js';
import { tico } from './tico.js';
import { vicreg } from './vicreg.js';
import { vicregl } from './vicregl.js';
import { wmse } from './wmse.js';
import { directclr } from './directclr.js';
import { lejepa } from './lejepa.js';
import { spectralCl } from './spectral-cl.js';
import { mae } from './mae.js';
import { dinov2 } from './dinov2.js';
import { dinov3 } from './dinov3.js';
import { igpt } from './igpt.js';
import { pirl } from './pirl.js';
import { ijepa } from './ijepa.js';
import { simmim } from './simmim.js';
import { data2vec } from './data2vec.js';
import { maskfeat } from './maskfeat.js';
import { cmae } from './cmae.js';
import { crossMae } from './cross-mae.js';
import { ibot } from './ibot.js';
import { msn } from './msn.js';
import { nepa } from './nepa.js';
import { beit } from './beit.js';
import { mimRefiner } from './mim-refiner.js';
import { salt } from './salt.js';

export { type BarlowTwinsConfig, barlowTwins } from './barlow-twins.js';
export { type ByolConfig, byol } from './byol.js';
export { type DinoConfig, dino } from './dino.js';
export { type MocoV2Config, mocoV2 } from './moco-v2.js';
export { type MocoV3Config, mocoV3 } from './moco-v3.js';
export { type NnclrConfig, nnclr } from './nnclr.js';
export { type SimclrConfig, simclr } from './simclr.js';
export { type SimsiamConfig, simsiam } from './simsiam.js';
export { type VicregConfig, vicreg } from './vicreg.js';
export { type VicreglConfig, vicregl } from './vicregl.js';
export { type TicoConfig, tico } from './tico.js';
export { type WmseConfig, wmse } from './wmse.js';
export { type SwavMethodOptions, codeEntropy, swav, swavMethod } from './swav.js';
export { type DirectclrConfig, directclr } from './directclr.js';
export { type LejepaConfig, lejepa } from './lejepa.js';
export { type SpectralClConfig, spectralCl } from './spectral-cl.js';
export { type MaeBatch, type MaeConfig, mae } from './mae.js';
export { type Dinov2Batch, type Dinov2Config, dinov2 } from './dinov2.js';
export { type Dinov3Config, dinov3 } from './dinov3.js';
export { type IgptBatch, type IgptConfig, igpt } from './igpt.js';
export { type PirlBatch, type PirlConfig, jigsaw, pirl } from './pirl.js';
export { type IjepaBatch, type IjepaConfig, ijepa } from './ijepa.js';
export { type SimmimBatch, type SimmimConfig, simmim } from './simmim.js';
export { type Data2vecBatch, type Data2vecConfig, data2vec } from './data2vec.js';
export { type MaskfeatBatch, type MaskfeatConfig, hogPerPatch, maskfeat } from './maskfeat.js';
export { type CmaeBatch, type CmaeConfig, cmae } from './cmae.js';
export { type CrossMaeBatch, type CrossMaeConfig, crossMae } from './cross-mae.js';
export { type IbotBatch, type IbotConfig, ibot } from './ibot.js';
export { type MsnBatch, type MsnConfig, msn } from './msn.js';
export { type NepaBatch, type NepaConfig, nepa } from './nepa.js';
export { type BeitBatch, type BeitConfig, type PatchKmeansTokenizerOptions, type Tokenizer, beit, patchKmeansTokenizer } from './beit.js';
export { type MimRefinerBatch, type MimRefinerConfig, type PretrainedEncoder, mimRefiner } from './mim-refiner.js';
export { type SaltBatch, type SaltConfig, type SaltStage1, salt, saltFromCheckpoint } from './salt.js';

const registry: Readonly<Record<string, MethodFactory>> = { simclr, mocoV2, byol, simsiam, vicreg, barlowTwins, dino, nnclr, swav, mocoV3, tico, wmse, directclr, lejepa, spectralCl, mae, dinov2, dinov3, igpt, vicregl, pirl, ijepa, ibot, msn, simmim, data2vec, maskfeat, cmae, nepa, crossMae, salt, beit, mimRefiner };

/** The registered method names. */
export function names(): string[] {
  return Object.keys(registry);
}

/**
 * The method factory registered under `name`.
 * @example const m = ssl.methods.byName('byol')({ encoder: 'resnet18' });
 */
export function byName(name: string): MethodFactory {
  const f = registry[name];
  if (!f) throw new Error(`ssl.methods: unknown method '${name}'; known: ${names().join(', ')}`);
  return f;
}
