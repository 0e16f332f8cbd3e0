import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from './fixtures';

export interface LocalRegistry {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** The npm config a client needs: registry and a token (verdaccio takes anonymous publishes with `$all`). */
  npmrc: string;
  stop(): Promise<void>;
}

/** What a child process needs from our environment to reach the upstream registry: proxies and extra CA certificates. */
export function networkEnv(): NodeJS.ProcessEnv {
  const names = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR'];
  return Object.fromEntries(names.filter((name) => process.env[name] !== undefined).map((name) => [name, process.env[name]]));
}

/** A free TCP port on 127.0.0.1 (verdaccio takes a fixed port, not 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * verdaccio on 127.0.0.1, storage in `dir`, as Nx's own e2e does it: our packages are published to it, every other
 * package is proxied from the upstream registry (what `npm config get registry` says), so installs behave exactly
 * as for a user. Stopped with SIGTERM, SIGKILL after 5 s.
 */
export async function startLocalRegistry(dir: string): Promise<LocalRegistry> {
  // The free port can be taken between the probe and verdaccio's listen: try again with another one.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnFreePort(dir);
    } catch (error) {
      if (attempt >= 3 || !/EADDRINUSE|exited/.test(String(error))) throw error;
    }
  }
}

async function startOnFreePort(dir: string): Promise<LocalRegistry> {
  const port = await freePort();
  const upstream = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim() || 'https://registry.npmjs.org/';
  mkdirSync(join(dir, 'storage'), { recursive: true });
  const config = join(dir, 'verdaccio.yaml');
  writeFileSync(
    config,
    `storage: ${JSON.stringify(join(dir, 'storage'))}
uplinks:
  upstream:
    url: ${JSON.stringify(upstream)}
    timeout: 60s
    maxage: 30m
packages:
  '@specwright/*':
    access: $all
    publish: $all
    unpublish: $all
  '**':
    access: $all
    publish: $all
    proxy: upstream
log: { type: stdout, format: pretty, level: warn }
server:
  keepAliveTimeout: 60
`,
  );
  const child: ChildProcess = spawn(process.execPath, [join(REPO_ROOT, 'node_modules/verdaccio/bin/verdaccio'), '--config', config, '--listen', `127.0.0.1:${port}`], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', ...networkEnv() },
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output = (output + chunk).slice(-4000)));
  child.stderr?.on('data', (chunk) => (output = (output + chunk).slice(-4000)));
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${url}-/ping`);
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`verdaccio did not answer on ${url} within 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const host = url.replace(/^https?:/, '');
  return {
    url,
    npmrc: `registry=${url}\n${host}:_authToken=local-e2e-token\n`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
