/**
 * A tiny static file server on 127.0.0.1 for the browser demo and the browser tests:
 * folders mounted at URL prefixes, the right MIME types (`application/wasm` lets the browser
 * compile while it downloads), optional extra headers (COOP/COEP for wasm threads), no
 * directory listings, nothing outside the mounted folders.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.map': 'application/json',
};

export interface StaticServerOptions {
  /** URL prefix (starting and ending with '/') -> folder; the longest matching prefix wins. */
  readonly mounts: Readonly<Record<string, string>>;
  /** Headers sent with every response, e.g. COOP/COEP. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Port on 127.0.0.1 (default 0: any free port). */
  readonly port?: number;
}

export interface StaticServer {
  /** e.g. `http://127.0.0.1:41234/` */
  readonly url: string;
  close(): Promise<void>;
}

/** The file a URL path maps to, or undefined when it is outside every mount. */
function resolvePath(mounts: readonly [string, string][], urlPath: string): string | undefined {
  const mount = mounts.find(([prefix]) => urlPath.startsWith(prefix));
  if (!mount) return undefined;
  const [prefix, dir] = mount;
  const rel = normalize(decodeURIComponent(urlPath.slice(prefix.length)) || 'index.html');
  if (rel.startsWith('..') || rel.includes(`${sep}..`)) return undefined;
  const file = join(dir, rel);
  return file.startsWith(normalize(dir)) ? file : undefined;
}

/**
 * Serves `mounts` on 127.0.0.1.
 * @example const server = await startStaticServer({ mounts: { '/': 'examples/browser/dist' } });
 */
export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const mounts = Object.entries(options.mounts).sort(([a], [b]) => b.length - a.length);
  const server: Server = createServer((req, res) => {
    const urlPath = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    let file = resolvePath(mounts, urlPath);
    let size = -1;
    try {
      if (file && statSync(file).isDirectory()) file = join(file, 'index.html');
      if (file) size = statSync(file).size;
    } catch {
      file = undefined;
    }
    const headers = { ...options.headers, 'cache-control': 'no-store' };
    if (!file || size < 0 || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end(`not found: ${urlPath}\n`);
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': size });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
