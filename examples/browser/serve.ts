/**
 * `npm run demo:browser [-- --port N]`: builds the demo (build.ts) and serves it on
 * 127.0.0.1 (default port 8080); open the printed URL. Everything is local: it works offline.
 */
import { buildDemo } from './build.js';
import { startStaticServer } from './server.js';

const at = process.argv.indexOf('--port');
const port = at >= 0 ? Number(process.argv[at + 1]) : 8080;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`demo:browser: --port needs a port number, got ${process.argv[at + 1]}\n`);
  process.exit(2);
}
const dir = await buildDemo();
const server = await startStaticServer({ mounts: { '/': dir }, port });
process.stdout.write(`tfjax browser demo: ${server.url} (serving ${dir}; Ctrl-C stops)\n`);
