import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { SpecwrightError } from './errors';
import { pluginOptionsEntry } from './workspace';
import { normalizeOptions, type NormalizedOptions, type SpecwrightPluginOptions } from './options';
import { isSpecPath } from './review/paths';
import { gitBlobSha, indexEntries, readObjects, runGit, ZERO_SHA, type IndexEntry, type StagedChange } from './review/git';

/**
 * A source tree: the files one Specwright decision is made over. The pipeline and review read the working tree
 * (files on disk); the pre-commit hook reads the git index (what the commit will contain); unit tests read a tree
 * held in memory. Everything that decides about specs — discovery, loadSpecs, the owner project of a file, the
 * plugin options — asks the tree, so one rule gives the same answer over each of them.
 *
 * Paths are workspace-relative, `/`-separated. This module is light (no YAML, ajv or TypeScript): the hook
 * imports it on its fast path.
 */
export interface SourceTree {
  readonly kind: 'working-tree' | 'index' | 'memory';
  has(path: string): boolean;
  bytes(path: string): Buffer | undefined;
  text(path: string): string | undefined;
  /** Git's blob id of the file's content (`git hash-object`), the key of the hook's caches. */
  blobId(path: string): string | undefined;
  /** A hint that these files will be read: trees that pay per read (the index) read them in one batch. */
  prefetch(paths: Iterable<string>): void;
  /**
   * The spec files of one project (nested projects' folders left to them, as Nx assigns a file to the most deeply
   * nested project root), or of the whole workspace when `projectRoot` is undefined. Sorted.
   */
  specFiles(projectRoot?: string): string[];
  /** The project a path belongs to, Nx's way: the nearest folder holding project.json or package.json, else `.`. */
  ownerRoot(path: string): string;
  /** The Nx name of the project at `root`. */
  projectName(root: string): string;
  /** The Specwright plugin options of this tree's nx.json (defaults when it has none). */
  pluginOptions(): NormalizedOptions;
  /**
   * A folder on disk where `files` and every file of `projectRoots` (plus tsconfig.base.json) hold this tree's
   * content, for the tools that only read disks (the TypeScript program behind contracts). The working tree is its
   * own folder; the others may write a temporary copy, removed by `dispose()`.
   */
  onDisk(files: readonly string[], projectRoots: readonly string[]): string;
  /** Removes whatever `onDisk` created. */
  dispose(): void;
}

/**
 * A tree that stands for a commit being made (the git index, or a memory tree in unit tests): it lists every path
 * and reads blobs by id, including HEAD's blobs named by the staged changes.
 */
export interface StagedTree extends SourceTree {
  paths(): string[];
  blob(sha: string | undefined): Buffer | undefined;
  prefetchBlobs(shas: Iterable<string | undefined>): void;
}

export const PROJECT_MARKERS = ['project.json', 'package.json'] as const;
const PROJECT_MARKER_PATH = /(^|\/)(project|package)\.json$/;
const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', '.nx', 'dist', 'coverage', 'tmp']);

export const inRoot = (root: string, relative: string) => (root === '.' ? relative : `${root}/${relative}`);

/** The Nx name of a project from its markers: project.json's `name`, else package.json's `nx.name` or `name`, else the folder. */
export function projectNameFromMarkers(read: (path: string) => string | undefined, root: string): string {
  for (const marker of PROJECT_MARKERS) {
    try {
      const json = JSON.parse(read(inRoot(root, marker)) ?? '') as { name?: string; nx?: { name?: string } };
      const name = json.nx?.name ?? json.name;
      if (name) return name;
    } catch {
      // Missing or unreadable: try the next marker.
    }
  }
  return root === '.' ? 'workspace' : posix.basename(root);
}

/** The Specwright plugin options in an nx.json text. */
export function pluginOptionsFromNxJson(text: string | undefined): NormalizedOptions {
  try {
    return normalizeOptions(pluginOptionsEntry(text ?? '{}').raw as SpecwrightPluginOptions);
  } catch {
    // An unreadable nx.json fails Nx itself; the defaults are as good a guess as any here.
    return normalizeOptions({});
  }
}

/** The nearest ancestor folder of `path` for which `isProjectRoot` holds, else `.`. */
function nearestRoot(path: string, isProjectRoot: (dir: string) => boolean): string {
  for (let dir = posix.dirname(path); dir !== '.' && dir !== '/' && dir !== ''; dir = posix.dirname(dir)) {
    if (isProjectRoot(dir)) return dir;
  }
  return '.';
}

/**
 * Trees that know every path up front (index, memory): the spec files are a filter over the list, with the disk
 * walk's rule: under `projectRoot`, and no folder between it and the file is a project of its own.
 */
function specFilesOfList(paths: Iterable<string>, projectRoot: string | undefined, isProjectRoot: (dir: string) => boolean): string[] {
  const found: string[] = [];
  for (const path of paths) {
    if (!isSpecPath(path)) continue;
    if (projectRoot !== undefined) {
      if (projectRoot !== '.' && !path.startsWith(`${projectRoot}/`)) continue;
      let nested = false;
      for (let dir = posix.dirname(path); dir !== projectRoot && dir !== '.' && dir !== '/' && dir !== ''; dir = posix.dirname(dir)) {
        if (isProjectRoot(dir)) nested = true;
      }
      if (nested) continue;
    }
    found.push(path);
  }
  return found.sort();
}

/** The working tree: files on disk under the workspace root. */
export class WorkingTree implements SourceTree {
  readonly kind = 'working-tree';
  private readonly roots = new Map<string, boolean>();

  constructor(readonly root: string) {}

  has(path: string): boolean {
    return existsSync(join(this.root, path));
  }

  /** `undefined` when nothing is there; a file that is there but cannot be read is an error, not an absence. */
  bytes(path: string): Buffer | undefined {
    try {
      return readFileSync(join(this.root, path));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw new SpecwrightError(`cannot read ${path}: ${code === 'EISDIR' ? 'it is a folder, where a file should be' : (code ?? (error as Error).message)}`, {
        file: path,
        expected: 'a file (or nothing) at this path',
        fix: code === 'EISDIR' ? `move the folder ${path} away` : `make ${path} readable`,
        code: 'FILE_UNREADABLE',
        cause: error,
      });
    }
  }

  text(path: string): string | undefined {
    return this.bytes(path)?.toString('utf8');
  }

  blobId(path: string): string | undefined {
    const content = this.bytes(path);
    return content ? gitBlobSha(content) : undefined;
  }

  prefetch(): void {
    // Disk reads are cheap one by one.
  }

  specFiles(projectRoot?: string): string[] {
    const found: string[] = [];
    const stopAtNestedProjects = projectRoot !== undefined;
    const walk = (relativeDir: string, isStart: boolean): void => {
      let entries;
      try {
        entries = readdirSync(join(this.root, relativeDir), { withFileTypes: true });
      } catch {
        return;
      }
      if (stopAtNestedProjects && !isStart && entries.some((entry) => entry.isFile() && (PROJECT_MARKERS as readonly string[]).includes(entry.name))) return;
      for (const entry of entries) {
        const child = relativeDir === '.' ? entry.name : `${relativeDir}/${entry.name}`;
        if (entry.isDirectory() && !SKIPPED_DIRECTORIES.has(entry.name) && !entry.name.startsWith('.')) walk(child, false);
        else if (entry.isFile() && isSpecPath(child)) found.push(child);
      }
    };
    walk(projectRoot ?? '.', true);
    return found.sort();
  }

  ownerRoot(path: string): string {
    return nearestRoot(path, (dir) => {
      let known = this.roots.get(dir);
      if (known === undefined) {
        known = PROJECT_MARKERS.some((marker) => existsSync(join(this.root, dir, marker)));
        this.roots.set(dir, known);
      }
      return known;
    });
  }

  projectName(root: string): string {
    return projectNameFromMarkers((path) => this.text(path), root);
  }

  pluginOptions(): NormalizedOptions {
    return pluginOptionsFromNxJson(this.text('nx.json'));
  }

  onDisk(): string {
    return this.root;
  }

  dispose(): void {
    // Nothing temporary.
  }
}

/** Copies of a tree's files on disk, for `onDisk`: removed by `dispose()`, whatever happens. */
class TemporaryCopies {
  private readonly dirs: string[] = [];

  create(): string {
    const dir = mkdtempSync(join(tmpdir(), 'specwright-tree-'));
    this.dirs.push(dir);
    return dir;
  }

  /** Type references into packages resolve through the real workspace's node_modules. */
  linkModules(copyRoot: string, workspaceRoot: string | undefined): void {
    const modules = workspaceRoot ? join(workspaceRoot, 'node_modules') : undefined;
    if (modules && existsSync(modules) && !existsSync(join(copyRoot, 'node_modules'))) symlinkSync(modules, join(copyRoot, 'node_modules'), 'dir');
  }

  dispose(): void {
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

const isUnder = (roots: readonly string[]) => (path: string) => path === 'tsconfig.base.json' || roots.some((root) => root === '.' || path.startsWith(`${root}/`));

/**
 * The git index: what the commit being made will contain, so partially staged files are judged by their staged
 * version. Blobs are read in batches (one `git cat-file --batch` per `prefetch`); `prefix` is the workspace root
 * relative to the top of the git working tree (`''` or `path/`), and paths outside it are not part of the tree.
 */
export class IndexTree implements StagedTree {
  readonly kind = 'index';
  readonly entries = new Map<string, IndexEntry>();
  private readonly blobs = new Map<string, Buffer | undefined>();
  private readonly projectRoots = new Set<string>();
  private readonly copies = new TemporaryCopies();

  constructor(
    private readonly top: string,
    private readonly prefix: string,
    /** The working tree of the same workspace: `onDisk` uses it when the staged files are the disk's. */
    private readonly workspaceRoot?: string,
  ) {
    for (const [path, entry] of indexEntries(top, prefix ? [prefix] : [])) {
      if (prefix && !path.startsWith(prefix)) continue;
      const relative = path.slice(prefix.length);
      this.entries.set(relative, entry);
      const dir = posix.dirname(relative);
      if (dir !== '.' && PROJECT_MARKER_PATH.test(relative)) this.projectRoots.add(dir);
    }
  }

  has(path: string): boolean {
    return this.entries.has(path);
  }

  blobId(path: string): string | undefined {
    return this.entries.get(path)?.sha;
  }

  paths(): string[] {
    return [...this.entries.keys()];
  }

  prefetch(paths: Iterable<string>): void {
    this.prefetchBlobs([...paths].map((path) => this.blobId(path)));
  }

  /** Reads the given blobs (index entries or HEAD's, from `git diff --cached --raw`) in one batch. */
  prefetchBlobs(shas: Iterable<string | undefined>): void {
    const wanted = [...new Set(shas)].filter((sha): sha is string => !!sha && sha !== ZERO_SHA && !this.blobs.has(sha));
    if (wanted.length === 0) return;
    for (const [sha, content] of readObjects(this.top, wanted)) this.blobs.set(sha, content);
  }

  blob(sha: string | undefined): Buffer | undefined {
    if (!sha || sha === ZERO_SHA) return undefined;
    if (!this.blobs.has(sha)) this.prefetchBlobs([sha]);
    return this.blobs.get(sha);
  }

  bytes(path: string): Buffer | undefined {
    return this.blob(this.blobId(path));
  }

  text(path: string): string | undefined {
    return this.bytes(path)?.toString('utf8');
  }

  specFiles(projectRoot?: string): string[] {
    return specFilesOfList(this.entries.keys(), projectRoot, (dir) => this.projectRoots.has(dir));
  }

  ownerRoot(path: string): string {
    return nearestRoot(path, (dir) => this.projectRoots.has(dir));
  }

  projectName(root: string): string {
    return projectNameFromMarkers((path) => this.text(path), root);
  }

  pluginOptions(): NormalizedOptions {
    return pluginOptionsFromNxJson(this.text('nx.json'));
  }

  /**
   * When every file asked for is staged as it is on disk (the usual case), the workspace itself; otherwise the
   * projects involved are checked out of the index into a temporary folder, so the staged versions are used.
   */
  onDisk(files: readonly string[], projectRoots: readonly string[]): string {
    const { workspaceRoot } = this;
    const sameAsDisk =
      workspaceRoot !== undefined &&
      files.every((file) => {
        try {
          return gitBlobSha(readFileSync(join(workspaceRoot, file))) === this.blobId(file);
        } catch {
          return false;
        }
      });
    if (sameAsDisk) return workspaceRoot;
    const temp = this.copies.create();
    const wanted = this.paths().filter(isUnder(projectRoots));
    runGit(this.top, ['checkout-index', '-z', '--stdin', `--prefix=${temp}/`], wanted.map((path) => `${this.prefix}${path}`).join('\0'));
    const root = join(temp, this.prefix);
    mkdirSync(root, { recursive: true });
    this.copies.linkModules(root, workspaceRoot);
    return root;
  }

  dispose(): void {
    this.copies.dispose();
  }
}

/** A tree held in memory, for unit tests of the rules (no git, no disk until `onDisk` is asked for). */
export class MemoryTree implements StagedTree {
  readonly kind = 'memory';
  private readonly files = new Map<string, Buffer>();
  /** Every content ever written (and HEAD's, see stagedChangesFrom), by blob id. */
  private readonly store = new Map<string, Buffer>();
  private readonly copies = new TemporaryCopies();

  /** `nodeModulesFrom`: a workspace whose node_modules a copy on disk links to (for `types` files). */
  constructor(
    files: Record<string, string | Buffer> = {},
    private readonly nodeModulesFrom?: string,
  ) {
    for (const [path, content] of Object.entries(files)) this.write(path, content);
  }

  write(path: string, content: string | Buffer): this {
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    this.files.set(path, bytes);
    this.store.set(gitBlobSha(bytes), bytes);
    return this;
  }

  /** A copy, to stage changes on top of a HEAD tree. */
  clone(): MemoryTree {
    const copy = new MemoryTree({}, this.nodeModulesFrom);
    for (const [path, content] of this.files) copy.write(path, content);
    return copy;
  }

  blob(sha: string | undefined): Buffer | undefined {
    return sha ? this.store.get(sha) : undefined;
  }

  prefetchBlobs(): void {
    // Already in memory.
  }

  /** What `git diff --cached --raw` would list if this tree were the index and `head` the last commit (no renames). */
  stagedChangesFrom(head: MemoryTree): StagedChange[] {
    const changes: StagedChange[] = [];
    for (const path of [...new Set([...head.paths(), ...this.paths()])].sort()) {
      const oldSha = head.blobId(path) ?? ZERO_SHA;
      const newSha = this.blobId(path) ?? ZERO_SHA;
      if (oldSha === newSha) continue;
      const before = head.bytes(path);
      if (before) this.store.set(oldSha, before);
      changes.push({ status: oldSha === ZERO_SHA ? 'A' : newSha === ZERO_SHA ? 'D' : 'M', path, oldSha, newSha, newMode: '100644' });
    }
    return changes;
  }

  remove(path: string): this {
    this.files.delete(path);
    return this;
  }

  paths(): string[] {
    return [...this.files.keys()];
  }

  has(path: string): boolean {
    return this.files.has(path);
  }

  bytes(path: string): Buffer | undefined {
    return this.files.get(path);
  }

  text(path: string): string | undefined {
    return this.files.get(path)?.toString('utf8');
  }

  blobId(path: string): string | undefined {
    const content = this.files.get(path);
    return content ? gitBlobSha(content) : undefined;
  }

  prefetch(): void {
    // Already in memory.
  }

  specFiles(projectRoot?: string): string[] {
    return specFilesOfList(this.files.keys(), projectRoot, (dir) => this.isProjectRoot(dir));
  }

  private isProjectRoot(dir: string): boolean {
    return PROJECT_MARKERS.some((marker) => this.files.has(`${dir}/${marker}`));
  }

  ownerRoot(path: string): string {
    return nearestRoot(path, (dir) => this.isProjectRoot(dir));
  }

  projectName(root: string): string {
    return projectNameFromMarkers((path) => this.text(path), root);
  }

  pluginOptions(): NormalizedOptions {
    return pluginOptionsFromNxJson(this.text('nx.json'));
  }

  onDisk(files: readonly string[], projectRoots: readonly string[]): string {
    const root = this.copies.create();
    const wanted = new Set([...files, ...this.paths().filter(isUnder(projectRoots))]);
    for (const path of wanted) {
      const content = this.files.get(path);
      if (!content) continue;
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    this.copies.linkModules(root, this.nodeModulesFrom);
    return root;
  }

  dispose(): void {
    this.copies.dispose();
  }
}

/** The working tree of a workspace root, or the tree given. */
export function asTree(tree: SourceTree | string): SourceTree {
  return typeof tree === 'string' ? new WorkingTree(tree) : tree;
}
