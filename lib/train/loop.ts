/**
 * SwAV pretraining as a program: a run directory in, a trained encoder, its metrics,
 * checkpoints, evaluation and plots out.
 *
 * What is pure: the parameters from the seed, the batch of a step (seed, epoch), the key of a
 * step (`foldIn(baseKey, step)`), the jitted step itself. So a run resumed from its
 * checkpoint at step k continues the exact stream of an uninterrupted run and ends with the
 * same losses and parameters.
 *
 * The run directory:
 * - `config.json`: the resolved configuration;
 * - `metrics.jsonl`: `{type:'start', ...}`, `{type:'step', step, loss, lr, codeEntropy, stepsPerSec, time}`,
 *   `{type:'eval', step, knn20, knn200, linearProbe?, trainImages, testImages}`,
 *   `{type:'baseline', name, knn20, knn200, trainImages, testImages}` (per evaluation protocol), `{type:'end', ...}`;
 * - `checkpoints/ckpt-<step>.safetensors`: `{params, modelState, optState, step, key, elapsed, config}` (atomic, rotated);
 * - `loss.svg`, `lr.svg`, `knn.svg`: plots; `eval.json`: the evaluation summary;
 * - `embeddings-{before,after}.npy`, `embeddings-labels.npy`, `embeddings.json`: a test sample's
 *   embeddings for `report.html` (`report/`, which `tfjax report` and the CLI run write);
 * - `.tfjax-run`: marks a run directory; `run.lock`: held while a run uses it (`run-dir.ts`).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from '../backend/index.js';
import * as checkpoint from '../checkpoint/index.js';
import { type NdArray, jit } from '../core/index.js';
import { multiCrop } from '../data/augment/index.js';
import { gatherImages } from '../data/index.js';
import type { ImageDataset } from '../data/types.js';
import { writeFileAtomic } from '../io/safetensors.js';
import * as random from '../random/index.js';
import * as swav from '../ssl/swav/index.js';
import { CollapseMonitor, collapseWarning } from './collapse.js';
import { type TrainConfig, ConfigError, firstDifference, totalSteps, trainingIdentity } from './config.js';
import { type RunData, loadRunData, sample, stepIndices } from './data.js';
import { baselines, evaluateEncoder } from './eval/index.js';
import { plotRun } from './plots/index.js';
import { pixelComparison, saveEmbeddingSample } from './report/index.js';
import { augmentOf, optimizerOf, runKeys, scheduleOf, swavConfigOf } from './recipe.js';
import { TrainError } from './errors.js';
import { claimRunDir } from './run-dir.js';
import { type StepOutcome, localStepper, parallelStepper } from './stepper.js';
import { tensorsIn } from '../util/tensors.js';

export { TrainError };

// ---------------------------------------------------------------------------------------------
// Small helpers

/** Whether every value of every tensor of a tree is finite. */
async function allFinite(tree: unknown): Promise<boolean> {
  for (const t of tensorsIn(tree)) {
    if (t.dtype !== 'float32') continue;
    const s = tf.tidy(() => tf.sum(t));
    const v = (await s.data())[0]!;
    s.dispose();
    if (!Number.isFinite(v)) return false;
  }
  return true;
}

const fmtTime = (s: number) => {
  if (!Number.isFinite(s)) return '?';
  const total = Math.round(s);
  const m = Math.floor(total / 60);
  const sec = total % 60;
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}:${String(sec).padStart(2, '0')}`;
};

/** Images per replica below which the batch statistics (BatchNorm, Sinkhorn) get a warning. */
const SMALL_BATCH = 8;

const pct = (x: number | undefined) => (x === undefined ? '-' : `${(100 * x).toFixed(2)}%`);

/** Writes `text` to `path` atomically (the project's one atomic writer). */
const writeAtomic = (path: string, text: string) => writeFileAtomic(path, (fh) => fh.writeFile(text));

// ---------------------------------------------------------------------------------------------
// The run

export interface TrainOptions {
  /** Continue from the latest checkpoint of the run directory. */
  readonly resume?: boolean;
  /** Use `outDir` even when it is a non-empty directory that is not a run's (see `claimRunDir`). */
  readonly force?: boolean;
  /** Where the progress bar and messages go (default process.stderr). */
  readonly stderr?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Where the summary goes (default process.stdout). */
  readonly stdout?: NodeJS.WritableStream;
}

export interface EvalSummary {
  readonly knn: Record<number, number>;
  readonly linearProbe?: number;
  readonly trainImages: number;
  readonly testImages: number;
}

export interface TrainResult {
  readonly outDir: string;
  /** Steps completed (the last checkpoint's step when the run stopped early). */
  readonly step: number;
  readonly totalSteps: number;
  /** The loss of the last step run. */
  readonly finalLoss: number;
  readonly before?: EvalSummary;
  readonly after?: EvalSummary;
  readonly baselines?: { rawPixels: Record<number, number>; randomEncoder?: Record<number, number> };
  /**
   * Why the run stopped early ('nan': a non-finite loss; 'debug': debug.stopAfterStep;
   * 'complete': a resumed run that had already finished, so nothing was run), else undefined.
   */
  readonly stopped?: 'nan' | 'debug' | 'complete';
  readonly seconds: { readonly train: number; readonly eval: number; readonly total: number };
}

/** The state a checkpoint holds. */
interface Snapshot {
  params: swav.SwavParams;
  modelState: swav.SwavState;
  optState: unknown;
  step: number;
  key: tf.Tensor;
  elapsed: number;
  config: string;
}

/** An embedding function (eval mode, backbone features) for the given variables. */
export function embedder(sc: swav.SwavConfig) {
  const f = jit((params: swav.SwavParams, state: swav.SwavState, x: NdArray) => swav.apply(params, state, { images: x }, { config: sc })[0].embedding);
  return (params: swav.SwavParams, state: swav.SwavState) => (x: tf.Tensor4D) => f(params, state, x) as tf.Tensor2D;
}

/** kNN (and optionally the linear probe) of the encoder with the given variables. */
export async function evaluateVariables(
  sc: swav.SwavConfig,
  params: swav.SwavParams,
  state: swav.SwavState,
  sets: { train: ImageDataset; test: ImageDataset },
  opts: { ks: readonly number[]; linearProbe: boolean },
): Promise<EvalSummary> {
  const apply = embedder(sc)(params, state);
  const r = await evaluateEncoder({ apply, train: sets.train, test: sets.test, ks: opts.ks, linearProbe: opts.linearProbe, batchSize: 500 });
  return { knn: r.knn, linearProbe: r.linearProbe, trainImages: sets.train.n, testImages: sets.test.n };
}

/**
 * Runs SwAV pretraining as configured, in `c.outDir`, holding the directory's lock
 * (`claimRunDir`) for the whole run. Throws `ConfigError` for a wrong setup (e.g. a run
 * directory with checkpoints and no `resume`, or one in use by another run) and `TrainError`
 * for a failed run (a corrupt or mismatched checkpoint). A non-finite loss stops the run
 * (result `stopped: 'nan'`) without writing a checkpoint.
 */
export async function train(c: TrainConfig, opts: TrainOptions = {}): Promise<TrainResult> {
  const err = opts.stderr ?? process.stderr;
  const claim = claimRunDir(c.outDir, { force: opts.force, say: (s) => err.write(`${s}\n`) });
  try {
    return await trainInClaimedDir(c, opts);
  } finally {
    claim.release();
  }
}

async function trainInClaimedDir(c: TrainConfig, opts: TrainOptions): Promise<TrainResult> {
  const err = opts.stderr ?? process.stderr;
  const out = opts.stdout ?? process.stdout;
  const say = (s: string) => err.write(`${s}\n`);
  const t0 = performance.now();
  await setBackend(c.backend);

  const dir = c.outDir;
  const ckptDir = join(dir, 'checkpoints');
  const metricsPath = join(dir, 'metrics.jsonl');
  const existing = await checkpoint.listCheckpoints(ckptDir);
  if (!opts.resume && existing.length)
    throw new ConfigError(
      `run directory ${dir} already holds checkpoints (newest: ${existing[existing.length - 1]!.path}); pass --resume to continue it, or choose another --out-dir`,
    );

  const data: RunData = await loadRunData(c);
  const channels = data.train.channels;
  const sc = swavConfigOf(c, channels);
  const steps = totalSteps(c, data.train.n);
  if (c.optimizer.warmupSteps >= steps && steps > 1)
    throw new ConfigError(`config: at .optimizer.warmupSteps expected fewer than the ${steps} steps, got ${c.optimizer.warmupSteps}`);
  const schedule = scheduleOf(c, steps);
  const opt = optimizerOf(c, schedule);
  const keys = runKeys(c.seed);
  const init = swav.init(keys.init, sc);
  keys.init.dispose();
  const configText = JSON.stringify(c);
  let snap: Snapshot = { params: init.params, modelState: init.state, optState: opt.init(init.params), step: 0, key: keys.base, elapsed: 0, config: configText };

  // ---------------------------------------------------------------- resume
  if (opts.resume && existing.length) {
    const newest = existing[existing.length - 1]!;
    const older = existing.length > 1 ? existing[existing.length - 2]!.path : null;
    const corrupt = (e: unknown) =>
      new TrainError(
        `${(e as Error).message}; --resume stopped; nothing was written or overwritten. ` +
          (older ? `Move ${newest.path} away to resume from ${older}.` : `Move ${newest.path} away to start the run afresh.`),
      );
    // The configuration first (from the header alone), then the tensors against this run's shapes.
    let stored: unknown = null;
    try {
      stored = JSON.parse((await checkpoint.readCheckpointMeta(newest.path))['config'] ?? 'null');
    } catch (e) {
      throw corrupt(e instanceof SyntaxError ? new Error(`checkpoint ${newest.path}: its config metadata is not valid JSON`) : e);
    }
    const diff = stored === null ? 'no configuration stored' : firstDifference(trainingIdentity(stored as TrainConfig), trainingIdentity(c));
    if (diff)
      throw new TrainError(
        `checkpoint ${newest.path}: it was written by a run with a different configuration (${diff}, checkpoint vs now); ` +
          `resume with the configuration in ${join(dir, 'config.json')}, or choose another --out-dir. Nothing was written or overwritten.`,
      );
    const end = newest.step === steps ? endRecord(metricsPath, steps) : null;
    if (end) {
      say(
        `run ${dir} is already complete (checkpoint ${newest.path} is step ${steps} of ${steps} and metrics.jsonl records the end); ` +
          'nothing was run or changed. To train longer, start a run with more --steps in another --out-dir.',
      );
      tf.dispose(tensorsIn(snap));
      return { outDir: dir, step: steps, totalSteps: steps, finalLoss: end.loss ?? NaN, stopped: 'complete', seconds: { train: 0, eval: 0, total: (performance.now() - t0) / 1000 } };
    }
    let loaded: Snapshot;
    try {
      loaded = await checkpoint.load<Snapshot>(newest.path, { like: snap });
    } catch (e) {
      throw corrupt(e);
    }
    if (loaded.step !== newest.step || loaded.step > steps) {
      tf.dispose(tensorsIn(loaded));
      throw new TrainError(`checkpoint ${newest.path}: it holds step ${loaded.step} (its name says ${newest.step}, the run has ${steps} steps). Nothing was written or overwritten.`);
    }
    tf.dispose(tensorsIn(snap));
    snap = loaded;
    say(`resuming ${dir} from ${newest.path} (step ${snap.step} of ${steps})`);
  } else if (opts.resume) {
    say(`--resume: ${dir} has no checkpoint yet; starting from step 0`);
  }

  // The evaluation before training, from the run so far (read before anything is written).
  const evalPath = join(dir, 'eval.json');
  let prior: Partial<TrainResult> = {};
  if (snap.step > 0 && existsSync(evalPath)) {
    try {
      prior = JSON.parse(readFileSync(evalPath, 'utf8')) as Partial<TrainResult>;
    } catch (e) {
      tf.dispose(tensorsIn(snap));
      throw new TrainError(
        `${evalPath}: not valid JSON (${(e as Error).message}); --resume stopped; nothing was written. ` +
          'Move it away to resume without the evaluation before training (the file is rewritten at the end).',
      );
    }
  }

  mkdirSync(dir, { recursive: true });
  await writeAtomic(join(dir, 'config.json'), `${JSON.stringify(c, null, 2)}\n`);
  // Metrics: keep the records up to the resumed step (a killed run may have logged past its checkpoint).
  if (snap.step > 0 && existsSync(metricsPath)) {
    const kept = readFileSync(metricsPath, 'utf8')
      .split('\n')
      .filter((line) => {
        if (!line.trim()) return false;
        try {
          const r = JSON.parse(line) as { type?: string; step?: number };
          return !(typeof r.step === 'number' && r.step > snap.step && r.type !== 'baseline');
        } catch {
          return false; // a line cut short by a kill
        }
      });
    await writeAtomic(metricsPath, kept.map((l) => `${l}\n`).join(''));
  } else if (snap.step === 0) {
    await writeAtomic(metricsPath, '');
  }
  const record = (r: Record<string, unknown>) => appendFileSync(metricsPath, `${JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`);
  record({
    type: 'start',
    step: snap.step,
    totalSteps: steps,
    numPrototypes: c.swav.numPrototypes,
    trainImages: data.train.n,
    backend: c.backend,
    resumed: snap.step > 0,
    time: snap.elapsed,
  });

  const perReplica = c.batchSize / c.workers;
  if (perReplica < SMALL_BATCH) {
    const w =
      `${c.workers > 1 ? `each of the ${c.workers} workers trains on ${perReplica} images (batch ${c.batchSize})` : `the batch has ${perReplica} images`}: ` +
      `BatchNorm and Sinkhorn statistics over fewer than ${SMALL_BATCH} images are noisy; use fewer workers or a larger --batch-size`;
    say(`warning: ${w}`);
    record({ type: 'warning', step: snap.step, kind: 'smallBatch', message: w });
  }

  const ks = c.eval.ks;
  const evalSets = data.evalTrain && data.evalTest ? { train: sample(data.evalTrain, c.eval.trainSubset, 1), test: sample(data.evalTest, c.eval.testSubset, 2) } : null;
  const duringSets =
    data.evalTrain && data.evalTest
      ? {
          train: sample(data.evalTrain, Math.min(c.eval.duringTrainSubset, c.eval.trainSubset ?? Infinity), 1),
          test: sample(data.evalTest, Math.min(c.eval.duringTestSubset, c.eval.testSubset ?? Infinity), 2),
        }
      : null;
  let evalSeconds = 0;
  const timed = async <T>(f: () => Promise<T>): Promise<T> => {
    const s = performance.now();
    try {
      return await f();
    } finally {
      evalSeconds += (performance.now() - s) / 1000;
    }
  };

  // ---------------------------------------------------------------- before training
  let before: EvalSummary | undefined;
  let base: TrainResult['baselines'];
  if (evalSets && c.eval.before && snap.step === 0) {
    say(`evaluating the encoder before training (kNN on ${evalSets.train.n} train / ${evalSets.test.n} test images)...`);
    before = await timed(() => evaluateVariables(sc, snap.params, snap.modelState, evalSets, { ks, linearProbe: false }));
    record({ type: 'eval', step: 0, ...knnFields(before.knn), trainImages: before.trainImages, testImages: before.testImages, when: 'before' });
    say(`  before training: ${ks.map((k) => `kNN k=${k} ${pct(before!.knn[k])}`).join(', ')}`);
    await timed(() => saveEmbeddingSample(dir, 'before', embedder(sc)(snap.params, snap.modelState), evalSets.test)); // for report.html
    if (c.eval.baselines) {
      say('baseline: kNN on raw pixels...');
      const b = await timed(() => baselines({ train: evalSets.train, test: evalSets.test, ks }));
      // The random encoder is the encoder before training: the same initialisation.
      base = { rawPixels: b.rawPixelsKnn, randomEncoder: before.knn };
      record({ type: 'baseline', step: 0, name: 'rawPixels', ...knnFields(b.rawPixelsKnn), trainImages: evalSets.train.n, testImages: evalSets.test.n });
      say(`  raw pixels: ${ks.map((k) => `kNN k=${k} ${pct(b.rawPixelsKnn[k])}`).join(', ')}`);
      // The kNN during training runs on other sets: its curve gets its own raw-pixel level.
      if (duringSets && c.eval.every > 0 && (duringSets.train.n !== evalSets.train.n || duringSets.test.n !== evalSets.test.n)) {
        const d = await timed(() => baselines({ train: duringSets.train, test: duringSets.test, ks }));
        record({ type: 'baseline', step: 0, name: 'rawPixels', ...knnFields(d.rawPixelsKnn), trainImages: duringSets.train.n, testImages: duringSets.test.n });
      }
    }
    await writeAtomic(evalPath, `${JSON.stringify({ before, baselines: base }, null, 2)}\n`);
  } else {
    before = prior.before;
    base = prior.baselines;
  }

  // ---------------------------------------------------------------- training
  // From here the variables live with the stepper (this thread or the workers); `snap` keeps
  // the rest of the checkpoint and {@link snapshot} joins them when one is written.
  const start = { params: snap.params, modelState: snap.modelState, optState: snap.optState };
  if (c.workers > 1 && snap.step < steps) say(`starting ${c.workers} data-parallel workers...`);
  const stepper =
    c.workers > 1 && snap.step < steps
      ? await parallelStepper(c, channels, steps, start).catch((e: Error) => {
          throw new TrainError(e.message, { cause: e });
        })
      : localStepper(c, channels, steps, start);
  const snapshot = async (): Promise<Snapshot> => ({ ...snap, ...(await stepper.variables()) });
  try {
    const mc = augmentOf(c, channels);
    const augment = jit((key: NdArray, x: NdArray) => multiCrop(key, x, mc));
    const nGlobal = c.augment.nmbCrops[0]!;
    const monitor = new CollapseMonitor({ numPrototypes: c.swav.numPrototypes, window: 20 });
    const parts = swav.parts(sc);
    const scoresOf = jit((params: swav.SwavParams, state: swav.SwavState, x: NdArray) => {
      // Batch statistics, as training sees them (the new BatchNorm state is dropped).
      const [h] = parts.encoder.apply(params.encoder, state.encoder, x, { train: true });
      const [z] = parts.projector.apply(params.projector, state.projector, h, { train: true });
      return swav.prototypeScores(params.prototypes.weight, z);
    });
    let warned = false;
    const tty = !!err.isTTY;
    const { height: H, width: W } = data.train;
    const B = c.batchSize;
    const permCache = { epoch: -1, perm: new Int32Array(0) };
    const pixels = new Float32Array(B * H * W * channels);
    let lastLoss = NaN;
    let stopped: TrainResult['stopped'];
    let timeLimited = false;
    const trainStart = performance.now();
    const startStep = snap.step;
    const startElapsed = snap.elapsed;
    let lastCkptStep = startStep;
    let lastCkptPath = existing.length && opts.resume ? existing[existing.length - 1]!.path : null;
    const rate = { t: performance.now(), s: startStep, value: NaN };

    const saveCheckpoint = async () => {
      const full = await snapshot();
      if (!(await allFinite(full.params))) return false;
      const { path } = await checkpoint.saveRotating(ckptDir, snap.step, full, { keep: c.checkpoint.keep, meta: { config: snap.config } });
      lastCkptStep = snap.step;
      lastCkptPath = path;
      return true;
    };

    if (startStep < steps) say(`training ${steps - startStep} step(s) (batch ${B}, ${c.augment.nmbCrops.join('+')} crops, ${c.optimizer.name} lr ${c.optimizer.lr}) in ${dir}`);
    while (snap.step < steps) {
      const s = snap.step;
      const idx = stepIndices(data.train.n, B, c.seed, s, permCache);
      gatherImages(data.train, idx, pixels);
      const stepKey = random.foldIn(snap.key, s) as tf.Tensor;
      const [augKey, trainKey] = random.split(stepKey) as tf.Tensor[];
      const x = tf.tensor4d(pixels, [B, H, W, channels]);
      let views = augment(augKey!, x) as tf.Tensor[];
      if (c.debug.nanAtStep === s + 1) {
        const bad = views.map((v) => tf.mul(v, NaN));
        tf.dispose(views);
        views = bad;
      }
      const batch = { globalViews: views.slice(0, nGlobal), localViews: views.slice(nGlobal) };
      let outcome: StepOutcome;
      try {
        outcome = await stepper.step(batch, trainKey!);
      } catch (e) {
        // A worker failed or hung (data-parallel): the run cannot go on; say where it can resume.
        tf.dispose([x, stepKey, augKey!, trainKey!, ...views]);
        if (tty) err.write('\n');
        throw new TrainError(
          `${(e as Error).message}. Step ${s + 1} failed; ` +
            (lastCkptPath ? `the last good checkpoint is ${lastCkptPath} (step ${lastCkptStep}): --resume continues from it.` : 'no checkpoint was written: run again to start afresh.'),
          { cause: e },
        );
      }
      const { loss, codeEntropy: entropy } = outcome;
      let paramsFinite = outcome.paramsFinite;
      let scores: tf.Tensor | null = null;
      if (Number.isFinite(loss) && paramsFinite && ((s + 1) % c.log.every === 0 || s + 1 === steps)) {
        const v = await stepper.variables();
        // The workers' step has no per-step parameter check: it is done here, on each read.
        if (stepper.workers > 1 && !(await allFinite(v.params))) paramsFinite = false;
        else scores = scoresOf(v.params, v.modelState, views[0]!) as tf.Tensor;
      }
      tf.dispose([x, stepKey, augKey!, trainKey!, ...views]);
      if (!Number.isFinite(loss) || !paramsFinite) {
        record({ type: 'step', step: s + 1, loss, lr: schedule.at(s), codeEntropy: entropy, time: snap.elapsed, nonFinite: Number.isFinite(loss) ? 'parameters' : 'loss' });
        if (tty) err.write('\n');
        say(
          `error: ${Number.isFinite(loss) ? 'the parameters became NaN or Inf' : `the loss is ${Number.isNaN(loss) ? 'NaN' : loss > 0 ? 'Inf' : '-Inf'}`} at step ${s + 1}; stopping the run. ` +
            (lastCkptPath
              ? `The last good checkpoint, ${lastCkptPath} (step ${lastCkptStep}), is kept;`
              : 'No checkpoint was written;') +
            ' lower the learning rate (--optimizer.lr) or lengthen the warmup (--optimizer.warmup-steps), then run again' +
            (lastCkptPath ? ' (--resume continues from it with the same configuration).' : '.'),
        );
        stopped = 'nan';
        lastLoss = loss;
        break;
      }
      const now = performance.now();
      snap = { ...snap, step: s + 1, elapsed: startElapsed + (now - trainStart) / 1000 };
      lastLoss = loss;
      monitor.observeLoss(loss);
      if (scores) {
        monitor.observe({ counts: argmaxCounts(await scores.data(), c.swav.numPrototypes) });
        scores.dispose();
      }

      // steps/s over the recent steps
      if (now - rate.t > 2000 || snap.step - rate.s >= 20 || Number.isNaN(rate.value)) {
        if (snap.step > rate.s) rate.value = ((snap.step - rate.s) * 1000) / (now - rate.t);
        rate.t = now;
        rate.s = snap.step;
      }
      const sps = rate.value;
      record({ type: 'step', step: snap.step, loss, lr: schedule.at(s), codeEntropy: entropy, stepsPerSec: Number.isFinite(sps) ? +sps.toFixed(4) : null, time: +snap.elapsed.toFixed(3) });
      const eta = (steps - snap.step) / sps;
      const line = `step ${snap.step}/${steps}  loss ${loss.toFixed(4)}  entropy ${entropy.toFixed(3)}  lr ${schedule.at(s).toPrecision(3)}  ${Number.isFinite(sps) ? sps.toFixed(2) : '?'} steps/s  ETA ${fmtTime(eta)}`;
      if (tty) {
        const width = Math.max(10, (err.columns ?? 100) - 34 - line.length);
        const done = Math.round((width * snap.step) / steps);
        err.write(`\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${line}\x1b[K`);
      } else if (snap.step % c.log.every === 0 || snap.step === steps || snap.step === startStep + 1) say(line);

      if (snap.step % c.log.every === 0 || snap.step === steps) {
        const report = monitor.report();
        const w = report.steps >= 3 ? collapseWarning(report, c.swav.numPrototypes) : null;
        if (w && !warned) {
          if (tty) err.write('\n');
          say(`warning at step ${snap.step}: ${w}`);
          record({ type: 'warning', step: snap.step, kind: 'collapse', message: w });
        }
        warned = !!w;
      }
      if (c.checkpoint.every > 0 && snap.step % c.checkpoint.every === 0 && snap.step < steps) await saveCheckpoint();
      if (duringSets && c.eval.every > 0 && snap.step % c.eval.every === 0 && snap.step < steps) {
        const v = await stepper.variables();
        const e = await timed(() => evaluateVariables(sc, v.params, v.modelState, duringSets, { ks, linearProbe: false }));
        record({ type: 'eval', step: snap.step, ...knnFields(e.knn), trainImages: e.trainImages, testImages: e.testImages, when: 'during' });
        if (tty) err.write('\n');
        say(`  step ${snap.step}: ${ks.map((k) => `kNN k=${k} ${pct(e.knn[k])}`).join(', ')} (${e.trainImages}/${e.testImages} images)`);
      }
      if (c.timeLimitMinutes !== null && snap.elapsed >= 60 * c.timeLimitMinutes && snap.step < steps) {
        if (tty) err.write('\n');
        say(`time limit: ${c.timeLimitMinutes} minutes of training reached at step ${snap.step} of ${steps}; stopping training early and evaluating`);
        record({ type: 'warning', step: snap.step, kind: 'timeLimit', message: `stopped at step ${snap.step} of ${steps} (timeLimitMinutes ${c.timeLimitMinutes})` });
        timeLimited = true;
        break;
      }
      if (c.debug.stopAfterStep === snap.step && snap.step < steps) {
        if (snap.step !== lastCkptStep) await saveCheckpoint();
        if (tty) err.write('\n');
        say(`stopping after step ${snap.step} (debug.stopAfterStep); --resume continues from ${lastCkptPath}`);
        stopped = 'debug';
        break;
      }
    }
    if (tty) err.write('\n');
    const trainSeconds = (performance.now() - trainStart) / 1000;

    // ---------------------------------------------------------------- the end
    let after: EvalSummary | undefined;
    if (!stopped) {
      if (snap.step !== lastCkptStep || !lastCkptPath) {
        if (!(await saveCheckpoint())) throw new TrainError(`the parameters at step ${snap.step} are not finite; no checkpoint written (the last good one is ${lastCkptPath ?? 'none'})`);
      }
      if (evalSets) {
        say(`evaluating the trained encoder (kNN on ${evalSets.train.n} train / ${evalSets.test.n} test images${c.eval.linearProbe ? ', linear probe' : ''})...`);
        const v = await stepper.variables();
        after = await timed(() => evaluateVariables(sc, v.params, v.modelState, evalSets, { ks, linearProbe: c.eval.linearProbe }));
        await timed(() => saveEmbeddingSample(dir, 'after', embedder(sc)(v.params, v.modelState), evalSets.test)); // for report.html
        record({ type: 'eval', step: snap.step, ...knnFields(after.knn), ...(after.linearProbe !== undefined ? { linearProbe: after.linearProbe } : {}), trainImages: after.trainImages, testImages: after.testImages, when: 'after' });
      }
      record({ type: 'end', step: snap.step, totalSteps: steps, loss: lastLoss, time: +snap.elapsed.toFixed(3), trainSeconds: +trainSeconds.toFixed(3), ...(timeLimited ? { stoppedEarly: 'timeLimit' } : {}) });
    }
    const result: TrainResult = {
      outDir: dir,
      step: stopped === 'nan' ? lastCkptStep : snap.step,
      totalSteps: steps,
      finalLoss: lastLoss,
      before,
      after,
      baselines: base,
      stopped,
      seconds: { train: trainSeconds, eval: evalSeconds, total: (performance.now() - t0) / 1000 },
    };
    if (!stopped) await writeAtomic(evalPath, `${JSON.stringify({ before, after, baselines: base, steps, finalLoss: lastLoss, seconds: result.seconds }, null, 2)}\n`);
    try {
      const plots = await plotRun(metricsPath, dir);
      say(`plots: ${plots.join(', ')}`);
    } catch (e) {
      say(`warning: could not write the plots: ${(e as Error).message}`);
    }
    if (!stopped) out.write(summaryText(result, ks));
    return result;
  } finally {
    await stepper.close();
    snap.key.dispose();
  }
}

/** The `end` record of a run of `steps` steps in its metrics file, or null when it has none. */
function endRecord(metricsPath: string, steps: number): { loss?: number | null } | null {
  if (!existsSync(metricsPath)) return null;
  let end: { loss?: number | null } | null = null;
  for (const line of readFileSync(metricsPath, 'utf8').split('\n')) {
    try {
      const r = JSON.parse(line) as { type?: string; step?: number; loss?: number | null };
      if (r.type === 'end' && r.step === steps) end = r;
    } catch {
      // a blank line, or one cut short by a kill
    }
  }
  return end;
}

function knnFields(knn: Record<number, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(knn).map(([k, v]) => [`knn${k}`, v]));
}

function argmaxCounts(scores: ArrayLike<number>, k: number): Float64Array {
  const counts = new Float64Array(k);
  for (let o = 0; o + k <= scores.length; o += k) {
    let best = 0;
    for (let j = 1; j < k; j++) if (scores[o + j]! > scores[o + best]!) best = j;
    counts[best]! += 1;
  }
  return counts;
}

/** The end-of-run summary (stdout). */
export function summaryText(r: TrainResult, ks: readonly number[]): string {
  const lines = [`run ${r.outDir}: ${r.step}/${r.totalSteps} steps, final loss ${r.finalLoss.toFixed(4)}, training ${fmtTime(r.seconds.train)}, evaluation ${fmtTime(r.seconds.eval)}`];
  const row = (name: string, knn?: Record<number, number>, extra = '') => knn && lines.push(`  ${name.padEnd(26)} ${ks.map((k) => `kNN k=${k} ${pct(knn[k]).padStart(7)}`).join('  ')}${extra}`);
  row('raw pixels (baseline)', r.baselines?.rawPixels);
  row('before training (random)', r.before?.knn ?? r.baselines?.randomEncoder);
  row('after training', r.after?.knn, r.after?.linearProbe !== undefined ? `  linear probe ${pct(r.after.linearProbe)}` : '');
  // All rows are measured on the same evaluation sets: say plainly whether training beat raw pixels.
  if (r.after && r.baselines) lines.push(pixelComparison(r.after.knn, r.baselines.rawPixels, ks, `${r.after.trainImages.toLocaleString('en-US')} train / ${r.after.testImages.toLocaleString('en-US')} test images`).sentence);
  return `${lines.join('\n')}\n`;
}
