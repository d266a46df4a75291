/**
 * PyTorch as a contender: bench/pytorch/steps.py in a child process (one thread unless asked), driven
 * over stdin/stdout one JSON line at a time, so that its steps interleave with ours in one
 * command. Each step's time is measured inside Python (wall and CPU time) and handed back.
 *
 * The interpreter: `$TFJAX_BENCH_PYTHON`, else Debian's `/usr/bin/python3` (where
 * `apt-get install python3-torch` puts torch), else `python3`; the first that imports torch.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Measured } from '../harness.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'pytorch', 'steps.py');

export interface TorchInfo {
  readonly python: string;
  readonly torch: string;
  readonly threads: number;
  readonly mkldnn: boolean;
  readonly blas: string;
  readonly cpu_capability: string;
}

/** The first Python that imports torch, or why none does. */
export function findTorchPython(): { python: string } | { reason: string } {
  const candidates = [process.env.TFJAX_BENCH_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p && (p === 'python3' || existsSync(p)));
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
    if (r.status === 0) return { python };
  }
  return { reason: `no Python with torch found (tried ${candidates.join(', ')}); on Debian: apt-get install python3-torch` };
}

export class TorchPeer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private nextId = 0;
  private stderr = '';

  private constructor(
    readonly python: string,
    threads: number,
  ) {
    const n = String(threads);
    this.child = spawn(python, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: n, MKL_NUM_THREADS: n, OPENBLAS_NUM_THREADS: n, TFJAX_TORCH_THREADS: n } });
    this.child.stderr.on('data', (d) => (this.stderr = (this.stderr + String(d)).slice(-4000)));
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  /** Starts the child (PyTorch with `threads` intra-op threads, default 1), or returns why it cannot. */
  static async start(threads = 1): Promise<TorchPeer | string> {
    const found = findTorchPython();
    if ('reason' in found) return found.reason;
    return new TorchPeer(found.python, threads);
  }

  private async call<T>(msg: object): Promise<T> {
    this.child.stdin.write(JSON.stringify(msg) + '\n');
    const r = await this.lines.next();
    if (r.done) throw new Error(`pytorch child exited: ${this.stderr.trim().split('\n').slice(-5).join(' | ')}`);
    return JSON.parse(r.value) as T;
  }

  async info(): Promise<TorchInfo> {
    return { python: this.python, ...(await this.call<Omit<TorchInfo, 'python'>>({ cmd: 'info' })) };
  }

  /** Builds a step in the child; returns a function running one step and reporting its time and value (the loss; for sinkhorn the fraction of finite codes). */
  async setup(spec: { kind: 'mlp' | 'swav' | 'swav_resnet18' | 'swav_vit_tiny' | 'simclr_resnet18' | 'sinkhorn' | 'rnn' | 'matmul' | 'conv'; batch: number; views?: readonly number[]; prototypes?: number; epsilon?: number; steps?: number; hidden?: number }): Promise<{ step: () => Promise<Measured & { value: number }>; drop: () => Promise<void> }> {
    const id = `s${this.nextId++}`;
    await this.call({ cmd: 'setup', id, ...spec });
    return {
      step: async () => {
        const r = await this.call<{ wall_ms: number; cpu_ms: number; loss: number }>({ cmd: 'step', id });
        return { wallMs: r.wall_ms, cpuMs: r.cpu_ms, value: r.loss };
      },
      drop: async () => {
        await this.call({ cmd: 'drop', id });
      },
    };
  }

  async close(): Promise<void> {
    this.child.stdin.write(JSON.stringify({ cmd: 'quit' }) + '\n');
    this.child.stdin.end();
    await new Promise<void>((resolve) => {
      if (this.child.exitCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
  }
}
