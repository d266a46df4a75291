/**
 * Self-supervised pretraining as a program, for any method of `ssl.methods`: a run
 * directory in, a trained encoder, its metrics, checkpoints, evaluation and plots out. The
 * loop talks to a {@link Method} through `ssl.trainStep` (stepper.ts) and `method.embed`
 * (evaluation.ts), never to one method's types.
 *
 * What is pure: the parameters from the seed, the batch of a step (seed, epoch), the key of a
 * step (`foldIn(baseKey, step)`), the jitted step itself. So a run resumed from its
 * checkpoint at step k continues the exact stream of an uninterrupted run and ends with the
 * same losses and parameters (resume.ts).
 *
 * The run directory:
 * - `config.json`: the resolved configuration;
 * - `metrics.jsonl` (metrics-log.ts): `{type:'start', ...}`, `{type:'step', step, loss, lr, <method metrics>,
 *   rankMe?, embeddingStd?, lidar?, stepsPerSec, time}`, `{type:'eval', step, knn20, knn200, linearProbe?, rankMe, embeddingStd, lidar?}`,
 *   `{type:'baseline', ...}`, `{type:'warning', ...}`, `{type:'end', ...}`;
 * - `checkpoints/ckpt-<step>.safetensors`: `{params, modelState, optState, step, key, elapsed, config}`, and
 *   `workerStates` (workers 1..N-1's queues) for a method with a queue per data-parallel worker (resume.ts; atomic, rotated);
 * - `loss.svg`, `lr.svg`, `knn.svg`, `rankme.svg`: plots; `eval.json`: the evaluation summary;
 *   (baseline records carry their sets, `trainImages`/`testImages`: one per evaluation protocol)
 * - `embeddings-{before,after}.npy`, `embeddings-labels.npy`, `embeddings.json`: a test sample's
 *   embeddings for `report.html` (`report/`, which `tfjax report` and the CLI run write);
 * - `.tfjax-run`: marks a run directory; `run.lock`: held while a run uses it (`run-dir.ts`).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from '../backend/node.js';
import * as checkpoint from '../checkpoint/index.js';
import { writeTextAtomic } from '../io/atomic.js';
import { tensorsIn } from '../util/tensors.js';
import { type TrainConfig, ConfigError, totalSteps, viewFormOf } from './config.js';
import { type RunData, loadRunData } from './data.js';
import { baselines } from './eval/index.js';
import { saveEmbeddingSample } from './report/index.js';
import { TrainError } from './errors.js';
import { type CollapseSignals, type EvalSummary, collapseSignals, collapseWarning, embedder, evalSetsOf, evaluateVariables } from './evaluation.js';
import { knnFields, openMetricsLog } from './metrics-log.js';
import { plotRun } from './plots/index.js';
import { Progress, type Stream, StepRate, pct, summaryText } from './progress.js';
import { augmentOf, maskPatchesOf, methodOf, optimizerOf, runKeys, scheduleOf } from './recipe.js';
import { type Snapshot, WORKERS_META, resumeFrom, workersNote } from './resume.js';
import { claimRunDir } from './run-dir.js';
import { StepBatches, disposeStepBatch, stepInput } from './step-batches.js';
import { type StepOutcome, localStepper, parallelStepper } from './stepper.js';

export { TrainError, type EvalSummary };

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

/** Images per replica below which the batch statistics (BatchNorm, Sinkhorn, negatives) get a warning. */
const SMALL_BATCH = 8;

export interface TrainOptions {
  /** Continue from the latest checkpoint of the run directory. */
  readonly resume?: boolean;
  /** Use `outDir` even when it is a non-empty directory that is not a run's (see `claimRunDir`). */
  readonly force?: boolean;
  /** Where the progress bar and messages go (default process.stderr). */
  readonly stderr?: Stream;
  /** Where the summary goes (default process.stdout). */
  readonly stdout?: NodeJS.WritableStream;
}

export interface TrainResult {
  readonly outDir: string;
  readonly method: string;
  /** Steps completed (the last checkpoint's step when the run stopped early). */
  readonly step: number;
  readonly totalSteps: number;
  /** The loss of the last step run. */
  readonly finalLoss: number;
  readonly before?: EvalSummary;
  readonly after?: EvalSummary & { readonly rankMe?: number; readonly embeddingStd?: number; readonly lidar?: number };
  readonly baselines?: { rawPixels: Record<number, number>; randomEncoder?: Record<number, number> };
  /**
   * Why the run stopped early ('nan': a non-finite loss; 'debug': debug.stopAfterStep;
   * 'complete': a resumed run that had already finished, so nothing was run), else undefined.
   */
  readonly stopped?: 'nan' | 'debug' | 'complete';
  readonly seconds: { readonly train: number; readonly eval: number; readonly total: number };
}

/**
 * Runs the configured method's pretraining in `c.outDir`, holding the directory's lock
 * (`claimRunDir`) for the whole run. Throws `ConfigError` for a wrong setup (e.g. a run
 * directory with checkpoints and no `resume`, or one in use by another run) and `TrainError`
 * for a failed run (a corrupt or mismatched checkpoint). A non-finite loss stops the run
 * (result `stopped: 'nan'`) without writing a checkpoint.
 */
export async function train(c: TrainConfig, opts: TrainOptions = {}): Promise<TrainResult> {
  const err = opts.stderr ?? process.stderr;
  const claim = await claimRunDir(c.outDir, { force: opts.force, say: (s) => err.write(`${s}\n`) });
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
  const method = methodOf(c, channels);
  const steps = totalSteps(c, data.train.n);
  if (c.optimizer.warmupSteps >= steps && steps > 1)
    throw new ConfigError(`config: at .optimizer.warmupSteps expected fewer than the ${steps} steps, got ${c.optimizer.warmupSteps}`);
  const schedule = scheduleOf(c, steps);
  const opt = optimizerOf(c, schedule);
  const keys = runKeys(c.seed);
  const init = method.init(keys.init);
  keys.init.dispose();
  let snap: Snapshot = { params: init.params, modelState: init.state, optState: opt.init(init.params), step: 0, key: keys.base, elapsed: 0, config: JSON.stringify(c) };

  if (opts.resume && existing.length) {
    const point = await resumeFrom(existing, c, steps, snap).catch((e: unknown) => {
      tf.dispose(tensorsIn(snap));
      throw e;
    });
    if (point.kind === 'complete') {
      say(
        `run ${dir} is already complete (checkpoint ${point.path} is step ${steps} of ${steps} and metrics.jsonl records the end); ` +
          'nothing was run or changed. To train longer, start a run with more --steps in another --out-dir.',
      );
      tf.dispose(tensorsIn(snap));
      return { outDir: dir, method: c.method, step: steps, totalSteps: steps, finalLoss: point.loss, stopped: 'complete', seconds: { train: 0, eval: 0, total: (performance.now() - t0) / 1000 } };
    }
    tf.dispose(tensorsIn(snap));
    snap = point.snap;
    say(`resuming ${dir} from ${point.path} (step ${snap.step} of ${steps})`);
    const note = snap.step < steps ? workersNote(point.path, point.workers, c.workers, snap.modelState) : null;
    if (note) say(`note: ${note}`);
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
  await writeTextAtomic(join(dir, 'config.json'), `${JSON.stringify(c, null, 2)}\n`);
  const log = await openMetricsLog(metricsPath, snap.step);
  const record = log.record;
  const numPrototypes = (method.config as { numPrototypes?: number }).numPrototypes;
  record({ type: 'start', step: snap.step, totalSteps: steps, method: c.method, ...(numPrototypes ? { numPrototypes } : {}), trainImages: data.train.n, backend: c.backend, resumed: snap.step > 0, time: snap.elapsed });

  // Synchronised workers' batch statistics are the whole batch's.
  const perReplica = c.sync ? c.batchSize : c.batchSize / c.workers;
  if (perReplica < SMALL_BATCH) {
    const w =
      `${perReplica < c.batchSize ? `each of the ${c.workers} workers trains on ${perReplica} images (batch ${c.batchSize}, sync false)` : `the batch has ${perReplica} images`}: ` +
      `batch statistics (BatchNorm, Sinkhorn, negatives) over fewer than ${SMALL_BATCH} images are noisy; use ${perReplica < c.batchSize ? '--sync true, fewer workers' : ''}${perReplica < c.batchSize ? ' or ' : ''}a larger --batch-size`;
    say(`warning: ${w}`);
    record({ type: 'warning', step: snap.step, kind: 'smallBatch', message: w });
  }

  const ks = c.eval.ks;
  const sets = evalSetsOf(c, data);
  const embed = embedder(method);
  let evalSeconds = 0;
  const timed = async <T>(f: () => Promise<T>): Promise<T> => {
    const s = performance.now();
    try {
      return await f();
    } finally {
      evalSeconds += (performance.now() - s) / 1000;
    }
  };
  const signalFields = (s: CollapseSignals) => ({
    rankMe: +s.rankMe.toFixed(4),
    embeddingStd: +s.embeddingStd.toPrecision(5),
    ...(s.lidar !== undefined ? { lidar: +s.lidar.toFixed(4) } : {}),
  });

  // ---------------------------------------------------------------- before training
  let before: EvalSummary | undefined;
  let base: TrainResult['baselines'];
  if (sets.final && c.eval.before && snap.step === 0) {
    const evalSets = sets.final;
    say(`evaluating the encoder before training (kNN on ${evalSets.train.n} train / ${evalSets.test.n} test images)...`);
    before = await timed(() => evaluateVariables(embed, snap.params, snap.modelState, evalSets, { ks, linearProbe: false }));
    const signals = await timed(() => collapseSignals(embed, snap.params, snap.modelState, sets.monitor));
    record({ type: 'eval', step: 0, ...knnFields(before.knn), ...signalFields(signals), trainImages: before.trainImages, testImages: before.testImages, when: 'before' });
    say(`  before training: ${ks.map((k) => `kNN k=${k} ${pct(before!.knn[k])}`).join(', ')}, RankMe ${signals.rankMe.toFixed(1)}`);
    await timed(() => saveEmbeddingSample(dir, 'before', embed(snap.params, snap.modelState), evalSets.test)); // for report.html
    if (c.eval.baselines) {
      say('baseline: kNN on raw pixels...');
      const b = await timed(() => baselines({ train: evalSets.train, test: evalSets.test, ks }));
      // The random encoder is the encoder before training: the same initialisation.
      base = { rawPixels: b.rawPixelsKnn, randomEncoder: before.knn };
      record({ type: 'baseline', step: 0, name: 'rawPixels', ...knnFields(b.rawPixelsKnn), trainImages: evalSets.train.n, testImages: evalSets.test.n });
      say(`  raw pixels: ${ks.map((k) => `kNN k=${k} ${pct(b.rawPixelsKnn[k])}`).join(', ')}`);
      // The kNN during training runs on other sets: its curve gets its own raw-pixel level.
      const duringSets = sets.during;
      if (duringSets && c.eval.every > 0 && (duringSets.train.n !== evalSets.train.n || duringSets.test.n !== evalSets.test.n)) {
        const d = await timed(() => baselines({ train: duringSets.train, test: duringSets.test, ks }));
        record({ type: 'baseline', step: 0, name: 'rawPixels', ...knnFields(d.rawPixelsKnn), trainImages: duringSets.train.n, testImages: duringSets.test.n });
      }
    }
    await writeTextAtomic(evalPath, `${JSON.stringify({ before, baselines: base }, null, 2)}\n`);
  } else {
    before = prior.before;
    base = prior.baselines;
  }

  // ---------------------------------------------------------------- training
  // From here the variables live with the stepper (this thread or the workers); `snap` keeps
  // the rest of the checkpoint and {@link snapshot} joins them when one is written.
  const start = { params: snap.params, modelState: snap.modelState, optState: snap.optState, workerStates: snap.workerStates };
  if (c.workers > 1 && snap.step < steps) say(`starting ${c.workers} data-parallel workers...`);
  const stepper =
    c.workers > 1 && snap.step < steps
      ? await parallelStepper(c, channels, steps, start).catch((e: Error) => {
          throw new TrainError(e.message, { cause: e });
        })
      : localStepper(c, method, steps, start);
  const snapshot = async (): Promise<Snapshot> => {
    const { params, modelState, optState, workerStates } = await stepper.variables();
    const { step, key, elapsed, config } = snap;
    return { params, modelState, optState, ...(workerStates ? { workerStates } : {}), step, key, elapsed, config };
  };
  const progress = new Progress(err, steps);
  const batches = new StepBatches({ train: data.train, batchSize: c.batchSize, seed: c.seed, augment: augmentOf(c, channels), globalViews: c.augment.nmbCrops[0]!, key: snap.key, nanAtStep: c.debug.nanAtStep, maskPatches: maskPatchesOf(c), form: viewFormOf(c.method) });
  try {
    let warned = false;
    const B = c.batchSize;
    let lastLoss = NaN;
    let stopped: TrainResult['stopped'];
    let timeLimited = false;
    const trainStart = performance.now();
    const startStep = snap.step;
    const startElapsed = snap.elapsed;
    let lastCkptStep = startStep;
    let lastCkptPath = existing.length && opts.resume ? existing[existing.length - 1]!.path : null;
    const rate = new StepRate(startStep);

    const saveCheckpoint = async () => {
      const full = await snapshot();
      if (!(await allFinite(full.params))) return false;
      const meta = { config: snap.config, [WORKERS_META]: String(stepper.workers) };
      const { path } = await checkpoint.saveRotating(ckptDir, snap.step, full, { keep: c.checkpoint.keep, meta });
      // saveRotating skips a step at or below the newest file's (orbax's rule): never silently here.
      if (path === null) throw new TrainError(`${ckptDir} already holds a checkpoint newer than step ${snap.step}; not saved (remove the newer files or use another run directory)`);
      lastCkptStep = snap.step;
      lastCkptPath = path;
      return true;
    };

    if (startStep < steps) say(`training ${c.method} for ${steps - startStep} step(s) (batch ${B}, ${c.augment.nmbCrops.join('+')} crops, ${c.optimizer.name} lr ${c.optimizer.lr}) in ${dir}`);
    while (snap.step < steps) {
      const s = snap.step;
      const batch = batches.take(s);
      let outcome: StepOutcome;
      try {
        const pending = stepper.step(stepInput(batch), batch.key);
        // Workers copy their inputs when the step starts: the next views are made meanwhile.
        if (stepper.workers > 1 && s + 1 < steps) batches.prefetch(s + 1);
        outcome = await pending;
      } catch (e) {
        // A worker failed or hung (data-parallel): the run cannot go on; say where it can resume.
        disposeStepBatch(batch);
        progress.end();
        throw new TrainError(
          `${(e as Error).message}. Step ${s + 1} failed; ` +
            (lastCkptPath ? `the last good checkpoint is ${lastCkptPath} (step ${lastCkptStep}): --resume continues from it.` : 'no checkpoint was written: run again to start afresh.'),
          { cause: e },
        );
      }
      disposeStepBatch(batch);
      const { loss, metrics } = outcome;
      const logged = (s + 1) % c.log.every === 0 || s + 1 === steps;
      let paramsFinite = outcome.paramsFinite;
      // The workers' step has no per-step parameter check: it is done here, on each logged step.
      if (Number.isFinite(loss) && paramsFinite && logged && stepper.workers > 1) paramsFinite = await allFinite((await stepper.variables()).params);
      if (!Number.isFinite(loss) || !paramsFinite) {
        record({ type: 'step', step: s + 1, loss, lr: schedule.at(s), ...metrics, time: snap.elapsed, nonFinite: Number.isFinite(loss) ? 'parameters' : 'loss' });
        progress.say(
          `error: ${Number.isFinite(loss) ? 'the parameters became NaN or Inf' : `the loss is ${Number.isNaN(loss) ? 'NaN' : loss > 0 ? 'Inf' : '-Inf'}`} at step ${s + 1}; stopping the run. ` +
            (lastCkptPath ? `The last good checkpoint, ${lastCkptPath} (step ${lastCkptStep}), is kept;` : 'No checkpoint was written;') +
            ' lower the learning rate (--optimizer.lr) or lengthen the warmup (--optimizer.warmup-steps), then run again' +
            (lastCkptPath ? ' (--resume continues from it with the same configuration).' : '.'),
        );
        stopped = 'nan';
        lastLoss = loss;
        break;
      }
      snap = { ...snap, step: s + 1, elapsed: startElapsed + (performance.now() - trainStart) / 1000 };
      lastLoss = loss;
      const sps = rate.update(snap.step);
      let signals: CollapseSignals | null = null;
      if (logged) {
        const v = await stepper.variables();
        signals = await timed(() => collapseSignals(embed, v.params, v.modelState, sets.monitor));
      }
      record({
        type: 'step',
        step: snap.step,
        loss,
        lr: schedule.at(s),
        ...metrics,
        ...(signals ? signalFields(signals) : {}),
        stepsPerSec: Number.isFinite(sps) ? +sps.toFixed(4) : null,
        time: +snap.elapsed.toFixed(3),
      });
      progress.step(snap.step, { loss, metrics: signals ? { ...metrics, rankMe: signals.rankMe } : metrics, lr: schedule.at(s), stepsPerSec: sps }, logged || snap.step === startStep + 1);
      if (signals) {
        const w = collapseWarning(signals, c.method);
        if (w && !warned) {
          progress.say(`warning at step ${snap.step}: ${w}`);
          record({ type: 'warning', step: snap.step, kind: 'collapse', message: w });
        }
        warned = !!w;
      }
      if (c.checkpoint.every > 0 && snap.step % c.checkpoint.every === 0 && snap.step < steps) await saveCheckpoint();
      if (sets.during && c.eval.every > 0 && snap.step % c.eval.every === 0 && snap.step < steps) {
        const duringSets = sets.during;
        const v = await stepper.variables();
        const e = await timed(() => evaluateVariables(embed, v.params, v.modelState, duringSets, { ks, linearProbe: false }));
        record({ type: 'eval', step: snap.step, ...knnFields(e.knn), trainImages: e.trainImages, testImages: e.testImages, when: 'during' });
        progress.say(`  step ${snap.step}: ${ks.map((k) => `kNN k=${k} ${pct(e.knn[k])}`).join(', ')} (${e.trainImages}/${e.testImages} images)`);
      }
      if (c.timeLimitMinutes !== null && snap.elapsed >= 60 * c.timeLimitMinutes && snap.step < steps) {
        progress.say(`time limit: ${c.timeLimitMinutes} minutes of training reached at step ${snap.step} of ${steps}; stopping training early and evaluating`);
        record({ type: 'warning', step: snap.step, kind: 'timeLimit', message: `stopped at step ${snap.step} of ${steps} (timeLimitMinutes ${c.timeLimitMinutes})` });
        timeLimited = true;
        break;
      }
      if (c.debug.stopAfterStep === snap.step && snap.step < steps) {
        if (snap.step !== lastCkptStep) await saveCheckpoint();
        progress.say(`stopping after step ${snap.step} (debug.stopAfterStep); --resume continues from ${lastCkptPath}`);
        stopped = 'debug';
        break;
      }
    }
    progress.end();
    const trainSeconds = (performance.now() - trainStart) / 1000;

    // ---------------------------------------------------------------- the end
    let after: TrainResult['after'];
    if (!stopped) {
      if (snap.step !== lastCkptStep || !lastCkptPath) {
        if (!(await saveCheckpoint())) throw new TrainError(`the parameters at step ${snap.step} are not finite; no checkpoint written (the last good one is ${lastCkptPath ?? 'none'})`);
      }
      if (sets.final) {
        const evalSets = sets.final;
        say(`evaluating the trained encoder (kNN on ${evalSets.train.n} train / ${evalSets.test.n} test images${c.eval.linearProbe ? ', linear probe' : ''})...`);
        const v = await stepper.variables();
        const e = await timed(() => evaluateVariables(embed, v.params, v.modelState, evalSets, { ks, linearProbe: c.eval.linearProbe }));
        const signals = await timed(() => collapseSignals(embed, v.params, v.modelState, sets.monitor));
        after = { ...e, rankMe: signals.rankMe, embeddingStd: signals.embeddingStd, ...(signals.lidar !== undefined ? { lidar: signals.lidar } : {}) };
        record({
          type: 'eval',
          step: snap.step,
          ...knnFields(e.knn),
          ...(e.linearProbe !== undefined ? { linearProbe: e.linearProbe } : {}),
          ...signalFields(signals),
          trainImages: e.trainImages,
          testImages: e.testImages,
          when: 'after',
        });
        await timed(() => saveEmbeddingSample(dir, 'after', embed(v.params, v.modelState), evalSets.test)); // for report.html
      }
      record({ type: 'end', step: snap.step, totalSteps: steps, loss: lastLoss, time: +snap.elapsed.toFixed(3), trainSeconds: +trainSeconds.toFixed(3), ...(timeLimited ? { stoppedEarly: 'timeLimit' } : {}) });
    }
    const result: TrainResult = {
      outDir: dir,
      method: c.method,
      step: stopped === 'nan' ? lastCkptStep : snap.step,
      totalSteps: steps,
      finalLoss: lastLoss,
      before,
      after,
      baselines: base,
      stopped,
      seconds: { train: trainSeconds, eval: evalSeconds, total: (performance.now() - t0) / 1000 },
    };
    if (!stopped) {
      const done = { steps: snap.step, totalSteps: steps, ...(timeLimited ? { stoppedEarly: 'timeLimit' } : {}) };
      await writeTextAtomic(evalPath, `${JSON.stringify({ method: c.method, before, after, baselines: base, ...done, finalLoss: lastLoss, seconds: result.seconds }, null, 2)}\n`);
    }
    try {
      const plots = await plotRun(metricsPath, dir);
      say(`plots: ${plots.join(', ')}`);
    } catch (e) {
      say(`warning: could not write the plots: ${(e as Error).message}`);
    }
    if (!stopped) out.write(summaryText(result, ks));
    return result;
  } finally {
    batches.dispose();
    await stepper.close();
    snap.key.dispose();
  }
}
