import { GENERATED_MARKER } from '../header';
import { LOCK_FILE_NAME } from '../lock';

/** Path rules shared by the hook's cheap triage and its full check (no heavy imports here). */

const SKIPPED_SEGMENTS = new Set(['node_modules', 'dist', 'coverage', 'tmp']);

/** Spec files the way discover.ts finds them: `*.spec.yaml` outside node_modules, build output and dot-folders. */
export function isSpecPath(path: string): boolean {
  if (!path.endsWith('.spec.yaml')) return false;
  const segments = path.split('/').slice(0, -1);
  return !segments.some((segment) => SKIPPED_SEGMENTS.has(segment) || segment.startsWith('.'));
}

export function isLockPath(path: string): boolean {
  return path === LOCK_FILE_NAME || path.endsWith(`/${LOCK_FILE_NAME}`);
}

export const lockPathOf = (root: string) => (root === '.' ? LOCK_FILE_NAME : `${root}/${LOCK_FILE_NAME}`);

/** Files that can carry the `//` header: what the marker check looks at (other files are only found through locks). */
export const CODE_FILE = /\.[cm]?[jt]sx?$/;

/** Whether the first line carries the header marker (header.ts writes it on every generated file). */
export function firstLineHasMarker(text: string): boolean {
  const newline = text.indexOf('\n');
  return (newline < 0 ? text : text.slice(0, newline)).includes(GENERATED_MARKER);
}

export function hasGeneratedMarker(content: Buffer | undefined): boolean {
  return !!content && firstLineHasMarker(content.subarray(0, 512).toString('utf8'));
}
