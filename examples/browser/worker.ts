/**
 * The demo's training Worker (a module Worker): the SSL method the page picked (SwAV or
 * SimCLR, through `ssl.methods` and the one `ssl.trainStep`) on the Fashion-MNIST subset
 * shipped with the page, on the backend the page picked. Posts every step's loss, and every `evalEvery`
 * steps the kNN accuracy of the backbone's embeddings (test images against a memory bank of
 * training images) and a PCA projection of the test embeddings.
 */
import { type NdArray, jit, np, optim, random, setBackend, setWasmPaths, ssl, tf } from '../../lib/index.js';
import { twoViews, type TwoViewsConfig } from '../../lib/data/augment/index.js';
import { permutation } from '../../lib/data/prng.js';
import { knnAccuracy } from '../../lib/train/eval/knn.js';
import { tensorsIn } from '../../lib/util/tensors.js';
import { pca2 } from '../../lib/train/report/pca.js';
import type { DemoMethod, StartMessage, SubsetManifest, WorkerMessage } from './protocol.js';

const BATCH = 64;
/** Training images (per class) that also form the kNN memory bank. */
const BANK_PER_CLASS = 100;
const EMBED_CHUNK = 250;

/** Two views of 28x28 greyscale images (lib/data/augment's Fashion-MNIST recipe, global views only). */
const VIEWS: TwoViewsConfig = { size: 28, scale: [0.3, 1], flip: 0.5, colorJitter: { brightness: 0.4, contrast: 0.4, p: 0.8 }, grayscale: 0, blur: null };

const ENCODER = { encoder: 'convnet_small', encoderOptions: { inChannels: 1, widths: [16, 32] } };

/** The methods the page offers, at the demo's size. */
const METHODS: Record<DemoMethod, () => ssl.Method> = {
  swav: () => ssl.methods.swav({ ...ENCODER, projector: { hiddenDim: 64, outDim: 32 }, numPrototypes: 30 }),
  simclr: () => ssl.methods.simclr({ ...ENCODER, projector: { dims: [64, 32] } }),
};

const post = (m: WorkerMessage, transfer: Transferable[] = []) => self.postMessage(m, { transfer });

interface Subset {
  manifest: SubsetManifest;
  trainImages: Uint8Array;
  trainLabels: Uint8Array;
  testImages: Uint8Array;
  testLabels: Uint8Array;
}

async function fetchOk(url: URL): Promise<Response> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`cannot load ${url.href}: HTTP ${r.status} (run \`npm run demo:browser\`, which builds the data)`);
  return r;
}

async function loadSubset(): Promise<Subset> {
  const manifest = (await (await fetchOk(new URL('./data/fashion-mnist-subset.json', self.location.href))).json()) as SubsetManifest;
  const bytes = new Uint8Array(await (await fetchOk(new URL('./data/fashion-mnist-subset.bin', self.location.href))).arrayBuffer());
  const px = manifest.height * manifest.width;
  let at = 0;
  const take = (n: number) => bytes.subarray(at, (at += n));
  return { manifest, trainImages: take(manifest.train * px), trainLabels: take(manifest.train), testImages: take(manifest.test * px), testLabels: take(manifest.test) };
}

/** Images `indices` of `images` as an NHWC float32 batch in [0, 1]. */
function batchOf(images: Uint8Array, indices: ArrayLike<number>, h: number, w: number): tf.Tensor4D {
  const px = h * w;
  const out = new Float32Array(indices.length * px);
  for (let b = 0; b < indices.length; b++) {
    const src = indices[b]! * px;
    for (let i = 0; i < px; i++) out[b * px + i] = images[src + i]! / 255;
  }
  return tf.tensor4d(out, [indices.length, h, w, 1]);
}

async function train(msg: StartMessage): Promise<void> {
  setWasmPaths(msg.wasm);
  await setBackend(msg.backend);
  const data = await loadSubset();
  const { height: h, width: w, train: nTrain, test: nTest } = data.manifest;
  post({ type: 'ready', backend: msg.backend, train: nTrain, test: nTest });

  // The memory bank: the first BANK_PER_CLASS training images of each class.
  const bank: number[] = [];
  const seen = new Array<number>(10).fill(0);
  data.trainLabels.forEach((label, i) => {
    if (seen[label]! < BANK_PER_CLASS) (seen[label]!++, bank.push(i));
  });
  const bankLabels = Int32Array.from(bank, (i) => data.trainLabels[i]!);
  const testLabels = Int32Array.from(data.testLabels);
  const testIndices = Int32Array.from({ length: nTest }, (_, i) => i);

  const opt = optim.sgd({ learningRate: 0.05, momentum: 0.9, weightDecay: 1e-4 });
  const method = METHODS[msg.method]();
  const step = jit(ssl.trainStep(method, opt));
  const embedOf = jit((p: unknown, st: unknown, x: NdArray) => method.embed(p, st, x));
  let { params, state: modelState } = method.init(random.key(0));
  let optState = opt.init(params);
  let key: np.NdArray = random.key(1);
  const order = permutation(nTrain, 7);

  const embed = async (images: Uint8Array, indices: Int32Array): Promise<tf.Tensor2D> => {
    const parts: tf.Tensor[] = [];
    for (let s = 0; s < indices.length; s += EMBED_CHUNK) {
      const x = batchOf(images, indices.subarray(s, s + EMBED_CHUNK), h, w);
      parts.push(embedOf(params, modelState, x) as tf.Tensor);
      x.dispose();
    }
    const all = tf.concat(parts) as tf.Tensor2D;
    tf.dispose(parts);
    return all;
  };

  for (let t = 1; ; t++) {
    const started = performance.now();
    const at = ((t - 1) * BATCH) % (nTrain - BATCH);
    const images = batchOf(data.trainImages, order.subarray(at, at + BATCH), h, w);
    const [augKey, stepKey, next] = random.split(key, 3) as [np.NdArray, np.NdArray, np.NdArray];
    const [view1, view2] = twoViews(augKey, images, VIEWS);
    const r = step(params, modelState, optState, { view1, view2 }, stepKey);
    tf.dispose(tensorsIn([params, modelState, optState, key, augKey, stepKey, images, view1, view2]));
    ({ params, state: modelState, optState } = r);
    key = next;
    const loss = (await (r.metrics.loss as tf.Tensor).data())[0]!;
    tf.dispose(tensorsIn(r.metrics));
    post({ type: 'loss', step: t, loss, msPerStep: performance.now() - started });

    if (t % msg.evalEvery === 0) {
      const trainFeatures = await embed(data.trainImages, Int32Array.from(bank));
      const testFeatures = await embed(data.testImages, testIndices);
      const knn = await knnAccuracy({ trainFeatures, trainLabels: bankLabels, testFeatures, testLabels, k: 20, numClasses: 10 });
      const points = Float32Array.from(pca2(await testFeatures.data(), nTest, testFeatures.shape[1]).points);
      tf.dispose([trainFeatures, testFeatures]);
      const labels = Uint8Array.from(data.testLabels);
      post({ type: 'eval', step: t, knn, points, labels }, [points.buffer, labels.buffer]);
    }
  }
}

self.onmessage = (e: MessageEvent<StartMessage>) => {
  train(e.data).catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
};
