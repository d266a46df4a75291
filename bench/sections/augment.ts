/**
 * Section 6: augmentation and data loading against the step. Runs bench/augment.ts (the
 * Fashion-MNIST multi-crop pipeline, 2 x 28 + 4 x 14, at batch 256, eager vs jit) in a
 * child process and gives it the multi-crop step time measured in section 2, so that its
 * table reads as a share of that step.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext } from '../context.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function augmentSection(ctx: BenchContext): Promise<string> {
  const step = ctx.results.find((r) => r.step.startsWith('SwAV step, multi-crop') && r.contender.startsWith('tfjax') && r.backend === 'tfjs wasm');
  const args = ctx.quick ? ['--synthetic', '--batch', '8', '--reps', '1'] : ['--reps', String(Math.max(ctx.reps, 5))];
  if (step && !ctx.quick) args.push('--step-ms', step.medianMs.toFixed(0));
  const cmd = ['bench/augment.ts', ...args];
  ctx.progress(`augment: node --import tsx ${cmd.join(' ')}`);
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...cmd], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let so = '';
    let se = '';
    child.stdout.on('data', (d) => (so += String(d)));
    child.stderr.on('data', (d) => (se += String(d)));
    child.on('close', (c) => resolve({ code: c, stdout: so, stderr: se }));
  });
  const body = stdout.replace(/^# .*\n/, '').trim();
  const intro = step && !ctx.quick
    ? `Command: \`node --import tsx ${cmd.join(' ')}\` (its \`--step-ms\` is our multi-crop step at batch 256 from section 2, ${step.medianMs.toFixed(0)} ms).`
    : `Command: \`node --import tsx ${cmd.join(' ')}\`${ctx.quick ? '' : ' (no multi-crop step was measured in this run, so shares are of 500 / 1000 ms)'}.`;
  return [
    '## 6. Augmentation against the step\n',
    `${intro}\n`,
    code === 0 ? body : `bench/augment.ts failed (exit ${code}):\n\n\`\`\`\n${(stderr || stdout).trim().split('\n').slice(-15).join('\n')}\n\`\`\``,
    '',
  ].join('\n');
}
