/**
 * The demo page: starts the training Worker with the picked method on the picked backend and
 * draws what it reports (loss curve, kNN accuracy, PCA scatter of the test embeddings coloured
 * by class). `?backend=webgpu` picks the backend, `?method=simclr` the method, `?evalEvery=N`
 * the steps between evaluations.
 */
import type { BackendName } from '../../lib/index.js';
import type { DemoMethod, StartMessage, WorkerMessage } from './protocol.js';

const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLSpanElement>('status');
const knnOut = $<HTMLOutputElement>('knn');
const picker = $<HTMLSelectElement>('backend');
const methodPicker = $<HTMLSelectElement>('method');
const params = new URLSearchParams(location.search);
methodPicker.value = params.get('method') === 'simclr' ? 'simclr' : 'swav';
const evalEvery = Math.max(1, Number(params.get('evalEvery')) || 25);
picker.value = params.get('backend') === 'webgpu' ? 'webgpu' : 'wasm';
$('legend').innerHTML = CLASSES.map((c, i) => `<span><i style="background:${COLORS[i]}"></i>${c}</span>`).join('');

let worker: Worker | undefined;
let losses: number[] = [];

function setStatus(text: string, error = false): void {
  status.textContent = text;
  status.classList.toggle('error', error);
}

function drawLoss(): void {
  const canvas = $<HTMLCanvasElement>('loss');
  const g = canvas.getContext('2d')!;
  g.clearRect(0, 0, canvas.width, canvas.height);
  if (losses.length < 2) return;
  const lo = Math.min(...losses);
  const hi = Math.max(...losses);
  const pad = 24;
  const x = (i: number) => pad + (i / (losses.length - 1)) * (canvas.width - 2 * pad);
  const y = (v: number) => canvas.height - pad - ((v - lo) / (hi - lo || 1)) * (canvas.height - 2 * pad);
  g.strokeStyle = '#1f77b4';
  g.lineWidth = 1.5;
  g.beginPath();
  losses.forEach((v, i) => (i ? g.lineTo(x(i), y(v)) : g.moveTo(x(i), y(v))));
  g.stroke();
  g.fillStyle = '#555';
  g.fillText(hi.toFixed(3), 2, pad - 6);
  g.fillText(lo.toFixed(3), 2, canvas.height - 6);
  g.fillText(`step ${losses.length}`, canvas.width - 70, canvas.height - 6);
}

function drawScatter(points: Float32Array, labels: Uint8Array): void {
  const canvas = $<HTMLCanvasElement>('scatter');
  const g = canvas.getContext('2d')!;
  g.clearRect(0, 0, canvas.width, canvas.height);
  const xs = points.filter((_, i) => i % 2 === 0);
  const ys = points.filter((_, i) => i % 2 === 1);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const pad = 10;
  for (let i = 0; i < labels.length; i++) {
    g.fillStyle = COLORS[labels[i]!]!;
    const px = pad + ((xs[i]! - x0) / (x1 - x0 || 1)) * (canvas.width - 2 * pad);
    const py = pad + ((ys[i]! - y0) / (y1 - y0 || 1)) * (canvas.height - 2 * pad);
    g.beginPath();
    g.arc(px, py, 3, 0, 2 * Math.PI);
    g.fill();
  }
}

function start(backend: BackendName): void {
  worker?.terminate();
  losses = [];
  drawLoss();
  knnOut.textContent = 'waiting for the first evaluation…';
  delete knnOut.dataset['step'];
  setStatus(`starting ${backend}…`);
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
    const m = e.data;
    if (m.type === 'ready') setStatus(`training on ${m.backend} (${m.train} training images, ${m.test} test images)`);
    else if (m.type === 'loss') {
      losses.push(m.loss);
      drawLoss();
      setStatus(`step ${m.step} on ${backend}: loss ${m.loss.toFixed(4)}, ${m.msPerStep.toFixed(0)} ms/step`);
    } else if (m.type === 'eval') {
      knnOut.textContent = `${(100 * m.knn).toFixed(1)}% at step ${m.step}`;
      knnOut.dataset['step'] = String(m.step);
      knnOut.dataset['accuracy'] = String(m.knn);
      drawScatter(m.points, m.labels);
    } else setStatus(`error: ${m.message}`, true);
  };
  worker.onerror = (e) => setStatus(`worker error: ${e.message}`, true);
  const msg: StartMessage = { backend, method: methodPicker.value as DemoMethod, wasm: new URL('./wasm/', location.href).href, evalEvery };
  worker.postMessage(msg);
}

picker.onchange = () => start(picker.value as BackendName);
methodPicker.onchange = () => start(picker.value as BackendName);
$('restart').onclick = () => start(picker.value as BackendName);
start(picker.value as BackendName);
