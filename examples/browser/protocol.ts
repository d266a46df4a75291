/** The messages between the demo page (main.ts) and its training Worker (worker.ts). */
import type { BackendName } from '../../lib/index.js';

/** The SSL methods the demo offers. */
export type DemoMethod = 'swav' | 'simclr';

/** Page -> Worker: start training. */
export interface StartMessage {
  readonly backend: BackendName;
  readonly method: DemoMethod;
  /** URL prefix of the tfjs .wasm files. */
  readonly wasm: string;
  /** Steps between kNN evaluations. */
  readonly evalEvery: number;
}

/** Worker -> page. */
export type WorkerMessage =
  | { readonly type: 'ready'; readonly backend: string; readonly train: number; readonly test: number }
  | { readonly type: 'loss'; readonly step: number; readonly loss: number; readonly msPerStep: number }
  | { readonly type: 'eval'; readonly step: number; readonly knn: number; readonly points: Float32Array; readonly labels: Uint8Array }
  | { readonly type: 'error'; readonly message: string };

/** The subset of Fashion-MNIST shipped with the page (build.ts writes it). */
export interface SubsetManifest {
  readonly classes: readonly string[];
  readonly height: number;
  readonly width: number;
  /** Image counts; the .bin file holds train images, train labels, test images, test labels (all uint8). */
  readonly train: number;
  readonly test: number;
}
