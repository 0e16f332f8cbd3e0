import { realpathSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';

export const PLUGIN_PACKAGE = '@specwright/nx';

/**
 * Where the plugin's files are, workspace-relative with `/`, for paths written into the user's files (the hook line,
 * `$schema` references). Installed from a registry: `node_modules/@specwright/nx`, the stable path package managers
 * keep (pnpm's real folder carries a version). A source checkout (this monorepo): the package's own folder.
 */
export function pluginDirIn(workspaceRoot: string): string {
  const packageRoot = join(__dirname, '..', '..');
  let real = packageRoot;
  let realRoot = workspaceRoot;
  try {
    real = realpathSync(packageRoot);
    realRoot = realpathSync(workspaceRoot);
  } catch {
    // A virtual tree in tests: keep the paths as they are.
  }
  const fromRoot = relative(realRoot, real).split(sep).join('/');
  if (fromRoot === '' || fromRoot.startsWith('..') || fromRoot.split('/').includes('node_modules') || posix.isAbsolute(fromRoot)) {
    return `node_modules/${PLUGIN_PACKAGE}`;
  }
  return fromRoot;
}

/** The command line the pre-commit hook runs; the marker below finds an existing one in any form. */
export function hookCommand(pluginDir: string): string {
  return `node ${pluginDir}/src/review/hook-entry.cjs pre-commit`;
}

/** A line that already runs Specwright's pre-commit check, whichever way it was written. */
export function isSpecwrightHookLine(line: string): boolean {
  return /hook-entry\.cjs\s+pre-commit|specwright\s+hook\s+pre-commit/.test(line) && !line.trimStart().startsWith('#');
}
