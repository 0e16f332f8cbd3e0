'use strict';
/*
 * A vitest main process kept for several runs of the tests gate (see vitest-hosts.ts), started inside the OS layer
 * like the one-run process it replaces. Loading vitest's Node API is most of what a one-run `vitest run` costs
 * (~0.3 of ~0.75 CPU-seconds); here it is paid once per host. Every run still gets its own Vitest instance (a new
 * Vite server, config and module graph for that run's staged copy, closed at the end) and its own fresh forks, which
 * carry that run's permission flags and lockdown: candidate code runs only in those forks, never in this process.
 *
 * Protocol, over fd 3 only (the forks get fds 0-2 and an IPC channel, never fd 3): the parent writes one JSON
 * request per line `{ id, nonce, root, filters, outputFile, execArgv, env }`; after the run this process
 * writes `<marker> <nonce>` on stdout and on stderr (so the parent knows where the run's output ends: the nonce is
 * known only to the parent and this process) and then answers `{ id, exitCode, error? }` on fd 3. One request at a
 * time. Closing fd 3 ends the host.
 *
 * Usage: node vitest-host.cjs <absolute path of vitest's Node API entry (vitest/node)>
 */
const net = require('node:net');
const { pathToFileURL } = require('node:url');

const MARKER = '[specwright-vitest-host] end';
const entry = process.argv[2];
const channel = new net.Socket({ fd: 3, readable: true, writable: true });
let vitestNode;
let buffer = '';
let queue = Promise.resolve();

/** Lets the forks' piped output reach our stdout/stderr before the run's end is marked. */
const drain = () => new Promise((resolve) => setTimeout(resolve, 20));

function replaceEnv(env) {
  for (const key of Object.keys(process.env)) delete process.env[key];
  Object.assign(process.env, env);
}

async function run(request) {
  let error;
  process.exitCode = undefined;
  try {
    replaceEnv(request.env);
    process.chdir(request.root);
    vitestNode ??= await import(pathToFileURL(entry).href);
    // the options `vitest run --root … --reporter=json --outputFile=… --pool=forks --isolate --execArgv=…` give
    await vitestNode.startVitest('test', request.filters, {
      run: true,
      watch: false,
      root: request.root,
      reporters: ['json'],
      outputFile: request.outputFile,
      pool: 'forks',
      isolate: true,
      execArgv: request.execArgv,
    });
  } catch (thrown) {
    error = thrown && thrown.stack ? String(thrown.stack) : String(thrown);
  }
  const exitCode = typeof process.exitCode === 'number' ? process.exitCode : error ? 1 : 0;
  process.exitCode = undefined;
  await drain();
  const mark = `\n${MARKER} ${request.nonce}\n`;
  await Promise.all([new Promise((resolve) => process.stdout.write(mark, resolve)), new Promise((resolve) => process.stderr.write(mark, resolve))]);
  channel.write(`${JSON.stringify({ id: request.id, exitCode, ...(error ? { error: error.slice(0, 4000) } : {}) })}\n`);
}

channel.setEncoding('utf8');
channel.on('data', (chunk) => {
  buffer += chunk;
  let newline;
  while ((newline = buffer.indexOf('\n')) >= 0) {
    const line = buffer.slice(0, newline);
    buffer = buffer.slice(newline + 1);
    if (!line.trim()) continue;
    let request;
    try {
      request = JSON.parse(line);
    } catch {
      process.exit(1);
    }
    // a host that cannot answer exits: the parent then reports the run as crashed and starts a fresh host
    queue = queue.then(() => run(request)).catch(() => process.exit(1));
  }
});
channel.on('end', () => queue.then(() => process.exit(0)));
channel.on('error', () => process.exit(1));
