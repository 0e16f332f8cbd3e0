/**
 * Small helpers shared by the gates: workspace-relative paths, module resolution over "candidate files first, then
 * the disk", value printing for findings, JSON-ish deep equality and stable hashing.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { isBuiltin } from 'node:module';
import * as path from 'node:path';
import type { ResolvedSpec } from '../types';

export const posix = path.posix;

/** Workspace-relative, `/`-separated. */
export function toWorkspaceRelative(workspaceRoot: string, absolute: string): string {
  return path.relative(workspaceRoot, absolute).split(path.sep).join('/');
}

export function toAbsolute(workspaceRoot: string, relative: string): string {
  return path.resolve(workspaceRoot, ...relative.split('/'));
}

export function isRelativeSpecifier(specifier: string): boolean {
  return specifier === '.' || specifier === '..' || specifier.startsWith('./') || specifier.startsWith('../');
}

export const CODE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs'];
const RESOLVE_EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json'];

export function isCodeFile(file: string): boolean {
  return CODE_EXTENSIONS.some((ext) => file.endsWith(ext)) && !file.endsWith('.d.ts');
}

export function isTypeScriptFile(file: string): boolean {
  return /\.(ts|tsx|mts|cts)$/.test(file) && !file.endsWith('.d.ts');
}

export function stripExtension(file: string): string {
  return file.replace(/\.(d\.ts|ts|tsx|mts|cts|js|jsx|mjs|cjs|json)$/, '');
}

/** The files a module specifier (already joined to a workspace-relative base) may name, most likely first. */
export function resolutionCandidates(base: string): string[] {
  const out: string[] = [];
  if (/\.jsx?$/.test(base)) out.push(base.replace(/\.jsx?$/, '.ts'), base.replace(/\.jsx?$/, '.tsx'));
  if (base.endsWith('.mjs')) out.push(base.replace(/\.mjs$/, '.mts'));
  if (base.endsWith('.cjs')) out.push(base.replace(/\.cjs$/, '.cts'));
  if (RESOLVE_EXTENSIONS.some((ext) => base.endsWith(ext)) || base.endsWith('.jsx')) out.push(base);
  for (const ext of RESOLVE_EXTENSIONS) out.push(base + ext);
  for (const index of ['index.ts', 'index.tsx', 'index.js']) out.push(base === '' ? index : `${base}/${index}`);
  return out;
}

/**
 * Resolves a relative specifier written in `fromFile` (both workspace-relative) to a workspace-relative file, or
 * undefined. `exists` decides what is there (candidate files first, then the disk).
 */
export function resolveRelative(fromFile: string, specifier: string, exists: (file: string) => boolean): string | undefined {
  const base = posix.normalize(posix.join(posix.dirname(fromFile), specifier)).replace(/\/$/, '');
  for (const candidate of resolutionCandidates(base)) if (exists(candidate)) return candidate;
  return undefined;
}

export function fileExistsOnDisk(workspaceRoot: string, relative: string): boolean {
  try {
    return fs.statSync(toAbsolute(workspaceRoot, relative)).isFile();
  } catch {
    return false;
  }
}

/** `node:fs/promises` → `fs/promises`; undefined when the specifier is not a Node built-in. */
export function builtinName(specifier: string): string | undefined {
  if (specifier.startsWith('node:')) return specifier.slice(5);
  return isBuiltin(specifier) ? specifier : undefined;
}

/** `@scope/pkg/sub/path` → [`@scope/pkg`, `sub/path`]. */
export function splitPackageSpecifier(specifier: string): [string, string] {
  const parts = specifier.split('/');
  const count = specifier.startsWith('@') ? 2 : 1;
  return [parts.slice(0, count).join('/'), parts.slice(count).join('/')];
}

export interface WorkspacePackage {
  name: string;
  /** Workspace-relative directory of the package (its real path). */
  dir: string;
  /** Workspace-relative file the specifier names, when it resolves. */
  entry?: string;
}

/**
 * A bare specifier that names a package of this workspace (`<root>/node_modules/<name>` is, after symlinks, a folder
 * inside the workspace and outside any node_modules). Its `main` (or `exports['.']`, `types`) usually points to a .ts
 * source file.
 */
export function resolveWorkspacePackage(
  workspaceRoot: string,
  specifier: string,
  exists: (file: string) => boolean,
): WorkspacePackage | undefined {
  const [name, subpath] = splitPackageSpecifier(specifier);
  const linked = path.join(workspaceRoot, 'node_modules', ...name.split('/'));
  let real: string;
  let realRoot: string;
  try {
    real = fs.realpathSync(linked);
    realRoot = fs.realpathSync(workspaceRoot);
  } catch {
    return undefined;
  }
  const dir = toWorkspaceRelative(realRoot, real);
  if (dir.startsWith('..') || path.isAbsolute(dir) || dir.split('/').includes('node_modules')) return undefined;
  let entrySpecifier = subpath;
  if (!entrySpecifier) {
    let manifest: Record<string, unknown> = {};
    try {
      manifest = JSON.parse(fs.readFileSync(path.join(real, 'package.json'), 'utf8')) as Record<string, unknown>;
    } catch {
      /* no manifest: index file */
    }
    entrySpecifier = pickPackageEntry(manifest) ?? 'index';
  }
  const entry = resolveRelative(`${dir}/package.json`, `./${entrySpecifier.replace(/^\.\//, '')}`, exists);
  return { name, dir, entry };
}

function pickPackageEntry(manifest: Record<string, unknown>): string | undefined {
  const exported = manifest['exports'];
  const dot =
    typeof exported === 'string'
      ? exported
      : exported && typeof exported === 'object'
        ? (exported as Record<string, unknown>)['.']
        : undefined;
  const fromExports = conditionTarget(dot);
  for (const candidate of [manifest['main'], fromExports, manifest['types'], manifest['module']]) {
    if (typeof candidate === 'string' && candidate.length > 0) return candidate;
  }
  return undefined;
}

function conditionTarget(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    for (const key of ['require', 'node', 'default', 'import', 'types']) {
      const target = conditionTarget(record[key]);
      if (target) return target;
    }
  }
  return undefined;
}

/** Specs whose outputs `spec` may import: itself and its `dependsOn`. */
export function allowedRelativeTargets(spec: ResolvedSpec, specsById: ReadonlyMap<string, ResolvedSpec>): Set<string> {
  const allowed = new Set<string>(spec.outputFiles);
  if (spec.typesFile) allowed.add(spec.typesFile);
  for (const id of spec.spec.dependsOn ?? []) {
    const dependency = specsById.get(id);
    if (!dependency) continue;
    for (const file of dependency.outputFiles) allowed.add(file);
    if (dependency.typesFile) allowed.add(dependency.typesFile);
  }
  return allowed;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with sorted keys, so equal schemas hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, val: unknown) => {
    if (val && typeof val === 'object' && !Array.isArray(val)) {
      const sorted: Record<string, unknown> = {};
      for (const key of Object.keys(val as Record<string, unknown>).sort()) sorted[key] = (val as Record<string, unknown>)[key];
      return sorted;
    }
    return val;
  });
}

/** A deterministic 32-bit seed from a string (the spec id), so property runs are reproducible by default. */
export function seedFrom(text: string): number {
  return createHash('sha256').update(text).digest().readInt32LE(0);
}

function isJsonExact(value: unknown, depth = 0): boolean {
  if (depth > 50) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!(i in value) || !isJsonExact(value[i], depth + 1)) return false;
    return true;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return false;
    return Object.values(value as Record<string, unknown>).every((v) => isJsonExact(v, depth + 1));
  }
  return false;
}

/** JSON when the value is plain JSON, a JS-like rendering otherwise (undefined, NaN, -0, Map…); cut at `max`. */
export function show(value: unknown, max = 300): string {
  let text: string;
  if (isJsonExact(value)) text = JSON.stringify(value);
  else text = jsLike(value, 0);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function jsLike(value: unknown, depth: number): string {
  if (depth > 6) return '…';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `[Function ${value.name || 'anonymous'}]`;
  if (typeof value === 'symbol') return value.toString();
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (let i = 0; i < value.length; i++) items.push(i in value ? jsLike(value[i], depth + 1) : '<hole>');
    return `[${items.join(',')}]`;
  }
  if (value instanceof Map) return `new Map(${jsLike([...value.entries()], depth + 1)})`;
  if (value instanceof Set) return `new Set(${jsLike([...value.values()], depth + 1)})`;
  if (value instanceof Date) return `new Date(${JSON.stringify(Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString())})`;
  const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}:${jsLike(v, depth + 1)}`);
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  const name = proto && proto !== Object.prototype ? (proto.constructor?.name ?? '') : '';
  return `${name ? `${name} ` : ''}{${entries.join(',')}}`;
}

/**
 * Equality as the spec's YAML/JSON means it: numbers by value (NaN equals NaN, -0 equals 0), arrays element-wise,
 * objects by own enumerable keys, with keys whose value is `undefined` treated as absent (JSON drops them).
 */
export function jsonEqual(a: unknown, b: unknown, depth = 0): boolean {
  if (depth > 100) return false;
  if (typeof a === 'number' && typeof b === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b));
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keysA = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const keysB = Object.keys(rb).filter((k) => rb[k] !== undefined);
  if (keysA.length !== keysB.length) return false;
  for (const key of keysA) if (!Object.prototype.hasOwnProperty.call(rb, key) || !jsonEqual(ra[key], rb[key], depth + 1)) return false;
  return true;
}

/** The environment of every child process the gates start: PATH only (never API keys or anything else). */
export function minimalEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin' };
}

/** `node --permission` (≥ 22.13 / 23.5), `--experimental-permission` (20, 21), or nothing. */
export function permissionFlag(): string | undefined {
  const flags = process.allowedNodeEnvironmentFlags;
  if (flags.has('--permission')) return '--permission';
  if (flags.has('--experimental-permission')) return '--experimental-permission';
  return undefined;
}

export function oneLine(text: string, max = 400): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
