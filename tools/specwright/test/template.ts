import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './fixtures';

/** The template's own files: what a clean clone has (git's view), without node_modules or caches. */
export function templateFiles(): string[] {
  const tracked = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT, encoding: 'utf8' });
  return tracked.split('\0').filter((file) => file && !file.startsWith('.git/'));
}

/**
 * A copy of the template in a temp dir, as a user would have it after `npm ci`: its files copied, and a
 * node_modules whose third-party packages link to the repository's installed ones while the workspace's own
 * packages (@specwright/nx, @acme/*) link into the copy, so the copy runs its own code.
 */
export function copyTemplate(): { root: string; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), 'specwright-e2e-'));
  for (const file of templateFiles()) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(root, file), { verbatimSymlinks: true });
  }
  const modules = join(REPO_ROOT, 'node_modules');
  mkdirSync(join(root, 'node_modules'));
  for (const entry of readdirSync(modules, { withFileTypes: true })) {
    const source = join(modules, entry.name);
    if (entry.name.startsWith('@')) {
      mkdirSync(join(root, 'node_modules', entry.name));
      for (const scoped of readdirSync(source, { withFileTypes: true })) linkPackage(root, `${entry.name}/${scoped.name}`, join(source, scoped.name), scoped.isSymbolicLink());
    } else {
      linkPackage(root, entry.name, source, entry.isSymbolicLink());
    }
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

function linkPackage(root: string, name: string, source: string, isWorkspaceLink: boolean): void {
  if (isWorkspaceLink) {
    // npm workspaces link as ../../libs/x; the same relative link inside the copy points at the copy.
    const target = execFileSync('readlink', [source], { encoding: 'utf8' }).trim();
    symlinkSync(target, join(root, 'node_modules', name));
  } else {
    symlinkSync(source, join(root, 'node_modules', name));
  }
}

export interface NxRun {
  status: number;
  output: string;
}

/**
 * Runs the real nx CLI in `cwd` with the daemon off and a clean, offline environment. Asynchronous, so that a
 * fake model server in the test process can answer while nx runs.
 */
export function nx(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<NxRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'node_modules/nx/dist/bin/nx.js'), ...args], {
      cwd,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NX_DAEMON: 'false',
        NX_NO_CLOUD: 'true',
        NX_TUI: 'false',
        NX_SKIP_NX_CACHE: 'true',
        CI: 'true',
        FORCE_COLOR: '0',
        VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status: status ?? -1, output });
    });
  });
}
