import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync, statSync } from 'node:fs';
import { dirname, basename, join, relative, sep } from 'node:path';
import { SpecwrightError } from './errors';

/** Prefix of the temporary files atomic writes rename into place. */
export const TEMP_PREFIX = '.specwright-tmp-';

export function sha256(content: string | Buffer): string {
  return 'sha256:' + createHash('sha256').update(content).digest('hex');
}

export function toPosix(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}

/** Workspace-relative posix path of an absolute path. */
export function workspaceRelative(workspaceRoot: string, absolute: string): string {
  return toPosix(relative(workspaceRoot, absolute));
}

export function readTextIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The content hash of a file, `undefined` when there is none. Anything else at that path (a folder, an unreadable
 * file) is the tool's own error naming the path, never a bare errno.
 */
export function fileHashIfExists(path: string, displayPath = path): string | undefined {
  try {
    return sha256(readFileSync(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new SpecwrightError(`cannot read ${displayPath}: ${code === 'EISDIR' ? 'it is a folder, where a generated file should be' : (code ?? (error as Error).message)}`, {
      file: displayPath,
      expected: 'a generated file (or nothing) at this path',
      fix: code === 'EISDIR' ? `move the folder ${displayPath} away, or change the spec's outputs` : `make ${displayPath} readable`,
      code: 'OUTPUT_UNREADABLE',
      cause: error,
    });
  }
}

/**
 * Writes a file so that a crash at any moment leaves either the old or the new content: the bytes go to a
 * temporary file in the same directory (same file system, so the rename is atomic), are flushed, then renamed
 * over the target. The target's permissions are kept when it already exists.
 */
export function writeFileAtomic(path: string, content: string): void {
  const temp = join(dirname(path), `${TEMP_PREFIX}${basename(path)}-${randomBytes(6).toString('hex')}`);
  let mode: number | undefined;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    mode = undefined;
  }
  replaceThrough(temp, path, () => {
    const fd = openSync(temp, 'w', mode ?? 0o644);
    try {
      const buffer = Buffer.from(content, 'utf8');
      let offset = 0;
      while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  });
}

/**
 * Replaces a cache file in one rename, so a reader sees the old file or the new one, never half of one. No fsync:
 * losing a cache file to a crash costs only computing it again.
 */
export function replaceCacheFile(path: string, content: string | Uint8Array): void {
  const temp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  replaceThrough(temp, path, () => writeFileSync(temp, content));
}

/** Writes `temp` with `writeTemp`, then renames it over `path`; on any failure the temporary file is removed. */
function replaceThrough(temp: string, path: string, writeTemp: () => void): void {
  try {
    writeTemp();
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // The temp file may not exist; the original error is the one that matters.
    }
    throw error;
  }
}

/** A failed write as the tool's own error: which file, the errno, and that freeing space or access fixes it. */
export function writeFailure(file: string, error: unknown, then: string): SpecwrightError {
  const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new SpecwrightError(`cannot write ${file}: ${code}`, {
    file,
    expected: 'a writable file and enough disk space',
    fix: `free disk space or make ${file} writable, then ${then}`,
    code: 'WRITE_FAILED',
    cause: error,
  });
}

/** JSON with object keys sorted at every level: the same value always serializes to the same bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

export function stableStringify(value: unknown, indent = 2): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const entry = (value as Record<string, unknown>)[key];
      if (entry !== undefined) sorted[key] = sortKeys(entry);
    }
    return sorted;
  }
  return value;
}
