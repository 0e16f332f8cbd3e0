import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

/** The files Specwright reads as specs; the plugin's createNodes uses the same glob. */
export const SPEC_FILE_GLOB = '**/*.spec.yaml';
export const SPEC_FILE_SUFFIX = '.spec.yaml';
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', '.nx', 'dist', 'coverage', 'tmp']);
const PROJECT_MARKERS = ['project.json', 'package.json'];

/** The project a file belongs to, Nx's way: the nearest ancestor folder holding project.json or package.json. */
export function owningProjectRoot(workspaceRoot: string, file: string): string {
  let dir = posix.dirname(file);
  while (dir !== '.' && dir !== '/' && dir !== '') {
    if (PROJECT_MARKERS.some((marker) => existsSync(join(workspaceRoot, dir, marker)))) return dir;
    dir = posix.dirname(dir);
  }
  return '.';
}

/**
 * Workspace-relative paths of the spec files of one project, sorted. Folders of nested projects are left to
 * those projects, as Nx assigns files to the most deeply nested project root.
 */
export function discoverSpecFiles(workspaceRoot: string, projectRoot: string): string[] {
  return walkSpecFiles(workspaceRoot, projectRoot, true);
}

/** Every spec file of the workspace, for commands that run without the Nx project graph (the CLI, the hook). */
export function discoverAllSpecFiles(workspaceRoot: string): string[] {
  return walkSpecFiles(workspaceRoot, '.', false);
}

/** The projects holding specs, with their spec files, grouped the way Nx assigns files to projects. */
export function discoverSpecProjects(workspaceRoot: string): Map<string, string[]> {
  const byRoot = new Map<string, string[]>();
  for (const file of discoverAllSpecFiles(workspaceRoot)) {
    const root = owningProjectRoot(workspaceRoot, file);
    const files = byRoot.get(root);
    if (files) files.push(file);
    else byRoot.set(root, [file]);
  }
  return byRoot;
}

/** The Nx name of the project at `root`: project.json's or package.json's `nx.name`/`name`, else the folder. */
export function projectNameOf(workspaceRoot: string, root: string): string {
  for (const marker of ['project.json', 'package.json']) {
    try {
      const json = JSON.parse(readFileSync(join(workspaceRoot, root, marker), 'utf8')) as { name?: string; nx?: { name?: string } };
      const name = json.nx?.name ?? json.name;
      if (name) return name;
    } catch {
      // Try the next marker.
    }
  }
  return root === '.' ? 'workspace' : posix.basename(root);
}

function walkSpecFiles(workspaceRoot: string, startDir: string, stopAtNestedProjects: boolean): string[] {
  const found: string[] = [];
  const walk = (relativeDir: string, isRoot: boolean): void => {
    const absolute = join(workspaceRoot, relativeDir);
    let entries;
    try {
      entries = readdirSync(absolute, { withFileTypes: true });
    } catch {
      return;
    }
    if (stopAtNestedProjects && !isRoot && entries.some((entry) => entry.isFile() && PROJECT_MARKERS.includes(entry.name))) return;
    for (const entry of entries) {
      const child = relativeDir === '.' ? entry.name : `${relativeDir}/${entry.name}`;
      if (entry.isDirectory() && !SKIPPED_DIRECTORIES.has(entry.name) && !entry.name.startsWith('.')) walk(child, false);
      else if (entry.isFile() && entry.name.endsWith(SPEC_FILE_SUFFIX)) found.push(child);
    }
  };
  walk(startDir, true);
  return found.sort();
}
