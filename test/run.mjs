#!/usr/bin/env node
/**
 * tfjax test runner (`npm test` runs it after the type check).
 *
 * Finds every test/**\/*.test.ts and runs each in its own child process,
 * `node --import tsx <file>`, with TFJAX_BACKEND set (test files call
 * `await useTestBackend()` from test/helpers/backend.ts):
 *
 *   - every file on `cpu` and on `wasm`, except the files under test/browser/ and
 *     test/package/, which pick their backends themselves and run once (on the first
 *     of the selected backends other than webgpu);
 *   - the relaxed-SIMD suites (files under test/backend/ and test/nn/encoders.test.ts) once
 *     more on wasm as `wasm+relaxed`: node started with --experimental-wasm-relaxed-simd
 *     and TFJAX_RELAXED_SIMD=1, so our kernels run their fused multiply-adds (as in
 *     browsers and Node 22+; lib/backend/wasm-relaxed.ts);
 *   - then the WebGPU suites (files under test/core/ and test/backend/) on `webgpu`,
 *     when a WebGPU adapter is found (in Node via Dawn; without a GPU via the
 *     SwiftShader Vulkan ICD of Debian's chromium). When it is not found they are
 *     skipped with the reason, except under CI=true or `--backend webgpu`, where
 *     that is a failure.
 *
 * Usage:
 *   node test/run.mjs [--backend cpu|wasm|webgpu[,...]] [--jobs N] [--verbose] [filter...]
 *
 *   filter      run only files whose path contains one of these substrings
 *   --backend   run only on these backends (repeatable, or comma-separated)
 *   --jobs N    files run in parallel (default 2, or TFJAX_TEST_JOBS)
 *   --verbose   print every file's output, not only that of failing files
 *
 * Environment:
 *   TFJAX_TEST_TIMEOUT  per-file time limit: seconds, or with a unit (500ms, 90s, 15m);
 *                       default 15m. A file that runs longer is killed and fails.
 *   TFJAX_WEBGPU_ALL=1  run every file on webgpu, not only the WebGPU suites.
 *   CI=true             WebGPU must be available.
 *
 * Output: one line per file and backend with its counts (and the reasons a file printed as
 * `skip: <reason>` lines), failing files' output,
 * uvu-style totals, and a last line `N passed, N failed` (`, N skipped` if any).
 * Exits non-zero if any test failed or any file exited non-zero.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const TEST_DIR = join(ROOT, 'test');
const ALL_BACKENDS = ['cpu', 'wasm', 'webgpu'];
/** Files (relative paths, '/' separators) that also run on webgpu. */
const WEBGPU_SUITES = [/^test\/core\//, /^test\/backend\//];
/** Files that also run on wasm with relaxed SIMD (`wasm+relaxed`). */
const RELAXED_SUITES = [/^test\/backend\//, /^test\/nn\/encoders\.test\.ts$/];
/** Files that run once, not per backend: they pick their backends themselves (browser pages, packaging). */
const ONCE_SUITES = [/^test\/browser\//, /^test\/package\//];
/** After a file prints uvu's final "Duration:" line, it has this long to exit by itself. */
const LINGER_MS = 20_000;
const KILL_GRACE_MS = 5_000;

const isTTY = !!process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code) => (s) => (isTTY ? `\x1b[${code}m${s}\x1b[0m` : String(s));
const red = paint('31');
const green = paint('32');
const yellow = paint('33');
const dim = paint('2');
const bold = paint('1');

function usage(code) {
  const text = readUsage();
  (code ? process.stderr : process.stdout).write(text + '\n');
  process.exit(code);
}

function readUsage() {
  return [
    'usage: node test/run.mjs [--backend cpu|wasm|webgpu[,...]] [--jobs N] [--verbose] [filter...]',
    '  filter     run only test files whose path contains one of these substrings',
    '  --backend  only these backends (default: cpu and wasm for all files, webgpu for test/core/ and test/backend/)',
    '  --jobs N   files run in parallel (default 2)',
    '  --verbose  print the output of every file',
    'env: TFJAX_TEST_TIMEOUT (per file, default 15m), TFJAX_WEBGPU_ALL=1, CI=true (webgpu required)',
  ].join('\n');
}

function parseArgs(argv) {
  const opts = { backends: [], filters: [], jobs: Number(process.env.TFJAX_TEST_JOBS) || 2, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (flag) => {
      const eq = a.indexOf('=');
      if (eq >= 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) {
        console.error(`${flag} needs a value`);
        usage(2);
      }
      return argv[++i];
    };
    if (a === '--') {
      opts.filters.push(...argv.slice(i + 1));
      break;
    } else if (a === '-h' || a === '--help') usage(0);
    else if (a === '--backend' || a.startsWith('--backend=') || a === '-b') {
      for (const b of value('--backend').split(',').map((s) => s.trim()).filter(Boolean)) {
        if (!ALL_BACKENDS.includes(b)) {
          console.error(`unknown backend '${b}' (expected ${ALL_BACKENDS.join(', ')})`);
          usage(2);
        }
        if (!opts.backends.includes(b)) opts.backends.push(b);
      }
    } else if (a === '--jobs' || a.startsWith('--jobs=') || a === '-j') {
      opts.jobs = Number(value('--jobs'));
      if (!Number.isInteger(opts.jobs) || opts.jobs < 1) {
        console.error('--jobs needs a positive integer');
        usage(2);
      }
    } else if (a === '-v' || a === '--verbose') opts.verbose = true;
    else if (a.startsWith('-')) {
      console.error(`unknown option ${a}`);
      usage(2);
    } else opts.filters.push(a);
  }
  return opts;
}

/** Parses "900", "900s", "15m", "500ms", "1h" into milliseconds. */
function parseDuration(text, fallbackMs) {
  if (text == null || String(text).trim() === '') return fallbackMs;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(String(text));
  if (!m) {
    console.error(`cannot parse TFJAX_TEST_TIMEOUT='${text}' (use e.g. 900, 90s, 15m)`);
    process.exit(2);
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] || 's').toLowerCase()];
  return Math.round(Number(m[1]) * unit);
}

function findTestFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile() && entry.name.endsWith('.test.ts')) out.push(relative(ROOT, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

const stripAnsi = (s) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

function fmtSeconds(ms) {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}

/** Sums every uvu summary block in the output (a file may print more than one). */
function parseUvu(output) {
  const text = stripAnsi(output);
  let total = 0;
  let passed = 0;
  let skipped = 0;
  let blocks = 0;
  const re = /^\s*Total:\s+(\d+)\s*\n\s*Passed:\s+(\d+)\s*\n\s*Skipped:\s+(\d+)/gm;
  for (const m of text.matchAll(re)) {
    blocks++;
    total += Number(m[1]);
    passed += Number(m[2]);
    skipped += Number(m[3]);
  }
  return { blocks, total, passed, skipped, failed: Math.max(0, total - passed) };
}

const running = new Set();

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Runs one file on one backend in a child process. Resolves to its result; never rejects.
 */
function runFile(file, backend, timeoutMs) {
  return new Promise((resolvePromise) => {
    const started = performance.now();
    const relaxed = backend === 'wasm+relaxed';
    const child = spawn(process.execPath, [...(relaxed ? ['--experimental-wasm-relaxed-simd'] : []), '--import', 'tsx', file], {
      cwd: ROOT,
      env: { ...process.env, TFJAX_BACKEND: relaxed ? 'wasm' : backend, ...(relaxed ? { TFJAX_RELAXED_SIMD: '1' } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so a timeout kills everything it started
    });
    running.add(child);
    let output = '';
    let timedOut = false;
    let lingered = false;
    let lingerTimer;
    let killTimer;
    const terminate = () => {
      killGroup(child, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child, 'SIGKILL'), KILL_GRACE_MS);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      terminate();
    }, timeoutMs);
    const onData = (chunk) => {
      output += chunk.toString();
      clearTimeout(lingerTimer);
      // uvu prints "Duration: ..." last; a process that then does not exit is stuck
      // (e.g. on a live GPU handle): give it LINGER_MS, then stop it.
      if (/Duration:\s*\S+\s*$/.test(stripAnsi(output))) {
        lingerTimer = setTimeout(() => {
          lingered = true;
          terminate();
        }, LINGER_MS);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const finish = (code, signal, spawnError) => {
      clearTimeout(timer);
      clearTimeout(lingerTimer);
      clearTimeout(killTimer);
      running.delete(child);
      const ms = performance.now() - started;
      const counts = parseUvu(output);
      const problems = [];
      if (spawnError) problems.push(`could not start: ${spawnError.message}`);
      if (timedOut) problems.push(`timed out after ${fmtSeconds(timeoutMs)} (TFJAX_TEST_TIMEOUT) and was killed`);
      else if (lingered) {
        // Results are complete; the exit status is not: judge by the counts.
      } else if (signal) problems.push(`killed by ${signal}`);
      else if (code !== 0 && counts.failed === 0) problems.push(`exited with code ${code}`);
      if (!counts.blocks && !timedOut && !spawnError) problems.push('printed no uvu summary (did it call suite.run()?)');
      const notes = lingered ? [`did not exit within ${fmtSeconds(LINGER_MS)} after finishing; killed`] : [];
      // A file that skips tests says why on a line `skip: <reason>`; the summary line shows it.
      for (const m of stripAnsi(output).matchAll(/^skip: (.*)$/gm)) notes.push(`skipped: ${m[1]}`);
      const ok = problems.length === 0 && counts.failed === 0;
      resolvePromise({ file, backend, ms, output, counts, problems, notes, ok });
    };
    child.on('error', (err) => finish(null, null, err));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

/** Asks a child process whether WebGPU is available (Dawn stays out of this process). */
function probeWebgpu() {
  const code =
    "import { webgpuAvailable } from './lib/backend/node.ts';" +
    "const r = await webgpuAvailable(); console.log('@@WEBGPU ' + JSON.stringify(r));";
  return new Promise((resolvePromise) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    running.add(child);
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 60_000);
    const done = (err) => {
      clearTimeout(timer);
      running.delete(child);
      const ms = performance.now() - started;
      const m = /^@@WEBGPU (.*)$/m.exec(output);
      if (m) {
        try {
          return resolvePromise({ ...JSON.parse(m[1]), ms });
        } catch {
          // fall through
        }
      }
      const tail = stripAnsi(output).trim().split('\n').slice(-5).join(' | ');
      resolvePromise({ ok: false, reason: `the WebGPU probe failed${err ? `: ${err.message}` : ''}: ${tail || 'no output'}`, ms });
    };
    child.on('error', done);
    child.on('close', () => done());
  });
}

function indent(text, prefix = '    ') {
  return text
    .replace(/\s+$/, '')
    .split('\n')
    .map((l) => prefix + l)
    .join('\n');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const timeoutMs = parseDuration(process.env.TFJAX_TEST_TIMEOUT, 15 * 60_000);
  const ci = /^(1|true|yes)$/i.test(process.env.CI ?? '');
  const backends = opts.backends.length ? opts.backends : ALL_BACKENDS;
  const webgpuExplicit = opts.backends.includes('webgpu');

  const allFiles = findTestFiles(TEST_DIR);
  const files = opts.filters.length ? allFiles.filter((f) => opts.filters.some((s) => f.includes(s))) : allFiles;
  if (!files.length) {
    console.error(
      opts.filters.length ? `no test files match ${opts.filters.map((f) => `'${f}'`).join(', ')}` : 'no test files found under test/',
    );
    process.exit(1);
  }

  const jobs = [];
  const once = (f) => ONCE_SUITES.some((re) => re.test(f));
  for (const b of backends) {
    if (b === 'webgpu') continue;
    for (const f of files) if (!once(f) || b === backends.find((x) => x !== 'webgpu')) jobs.push({ file: f, backend: b });
    if (b === 'wasm') for (const f of files) if (RELAXED_SUITES.some((re) => re.test(f))) jobs.push({ file: f, backend: 'wasm+relaxed' });
  }
  const results = [];
  const messages = [];
  if (backends.includes('webgpu')) {
    const all = /^(1|true|yes)$/i.test(process.env.TFJAX_WEBGPU_ALL ?? '');
    const gpuFiles = files.filter((f) => !once(f) && (all || WEBGPU_SUITES.some((re) => re.test(f))));
    if (gpuFiles.length) {
      const probe = await probeWebgpu();
      if (probe.ok) {
        console.log(dim(`webgpu: ${probe.adapter ?? 'adapter found'} (probe ${fmtSeconds(probe.ms)})`));
        for (const f of gpuFiles) jobs.push({ file: f, backend: 'webgpu' });
      } else if (ci || webgpuExplicit) {
        const why = ci ? 'CI=true requires webgpu' : '--backend webgpu was requested';
        const line = `webgpu unavailable, ${why}: ${probe.reason}`;
        console.log(red(line));
        messages.push(red(line));
        for (const f of gpuFiles) {
          results.push({
            file: f,
            backend: 'webgpu',
            ms: 0,
            output: '',
            counts: { blocks: 0, total: 0, passed: 0, skipped: 0, failed: 0 },
            problems: ['webgpu unavailable'],
            notes: [],
            ok: false,
          });
        }
      } else {
        const line = `webgpu: skipping ${gpuFiles.length} file(s): ${probe.reason}`;
        console.log(yellow(line));
        messages.push(yellow(line));
      }
    } else if (webgpuExplicit) {
      console.log(yellow('webgpu: no selected file is a WebGPU suite (test/core/, test/backend/; TFJAX_WEBGPU_ALL=1 runs all)'));
    }
  }
  console.log(dim(`running ${jobs.length} file run(s), ${opts.jobs} at a time, timeout ${fmtSeconds(timeoutMs)} each\n`));

  const started = performance.now();
  const width = Math.max(...jobs.map((j) => j.file.length + j.backend.length), 0) + 3;
  const report = (r) => {
    const c = r.counts;
    const label = `${r.file} [${r.backend}]`.padEnd(width);
    const counts = `${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}`;
    const extra = [...r.problems, ...r.notes].join('; ');
    console.log(
      `${r.ok ? green('✔') : red('✘')} ${label} ${r.ok ? counts : red(counts)}  ${dim(fmtSeconds(r.ms))}` +
        (extra ? `  ${r.ok ? yellow(extra) : red(extra)}` : ''),
    );
    if ((!r.ok || opts.verbose) && r.output.trim()) console.log(indent(r.output) + '\n');
  };
  for (const r of results) report(r);

  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const r = await runFile(job.file, job.backend, timeoutMs);
      results.push(r);
      report(r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.jobs, jobs.length) }, worker));

  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const failedRuns = [];
  for (const r of results) {
    passed += r.counts.passed;
    skipped += r.counts.skipped;
    // A file that failed without a failing test (crash, timeout, bad exit) counts as one failure.
    failed += r.counts.failed || (r.ok ? 0 : 1);
    if (!r.ok) failedRuns.push(r);
  }
  const total = passed + failed;
  if (failedRuns.length) {
    console.log('\n' + bold(red(`failed (${failedRuns.length}):`)));
    for (const r of failedRuns) {
      const why = r.problems.length ? ` (${r.problems.join('; ')})` : ` (${r.counts.failed} failed)`;
      console.log(red(`  ${r.file} [${r.backend}]${why}`));
    }
  }
  for (const m of messages) console.log('\n' + m);
  console.log(`\n  Total:     ${total}`);
  console.log((failed ? red : green)(`  Passed:    ${passed}`));
  console.log(`  Skipped:   ${skipped ? yellow(skipped) : skipped}`);
  console.log(`  Duration:  ${(performance.now() - started).toFixed(2)}ms\n`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exitCode = failed || failedRuns.length ? 1 : 0;
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const child of running) killGroup(child, 'SIGKILL');
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

main().catch((err) => {
  console.error(err);
  for (const child of running) killGroup(child, 'SIGKILL');
  process.exit(1);
});
