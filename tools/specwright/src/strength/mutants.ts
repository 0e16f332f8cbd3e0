/**
 * Mutants of an accepted implementation, from Stryker's instrumenter (its mutators as a library: the same
 * operators Stryker runs, maintained upstream). Each mutant is applied to its own copy of the file, so that it
 * runs through the unchanged gates like any other candidate.
 */
import { readFileSync } from 'node:fs';
import type { Instrumenter } from '@stryker-mutator/instrumenter';

export interface Mutant {
  /** Stable within one file and engine version: `<file>#<stryker id>`. */
  id: string;
  /** Workspace-relative output file. */
  file: string;
  mutator: string;
  /** 1-based, in the file as written (header included). */
  line: number;
  column: number;
  original: string;
  replacement: string;
  /** The whole file with this one mutant applied. */
  content: string;
  /** Why the mutant is not run (it changes nothing a spec pins), when it is not. */
  ignored?: string;
}

/**
 * The text of an error message: specs pin which error is thrown, not its wording, so emptying the message is no
 * behaviour change worth a survivor. Recognised by position: the argument after `…Error(` or after an `…Error` argument.
 */
function isErrorMessage(mutator: string, before: string): boolean {
  // `new RangeError(<here>` or a helper handed the error type first: `fail(line, SyntaxError, <here>`.
  return mutator === 'StringLiteral' && /\b\w*Error(\(|\s*,)\s*$/.test(before.slice(-200));
}

// Stryker logs through an injected logger; a run of ours prints its own report instead.
const silent = {
  isTraceEnabled: () => false,
  isDebugEnabled: () => false,
  isInfoEnabled: () => false,
  isWarnEnabled: () => false,
  isErrorEnabled: () => false,
  isFatalEnabled: () => false,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  fatal: () => undefined,
};

let instrumenter: Instrumenter | undefined;

export function engineVersion(): string {
  return (JSON.parse(readFileSync(require.resolve('@stryker-mutator/instrumenter/package.json'), 'utf8')) as { version: string }).version;
}

export async function mutantsOf(file: string, content: string): Promise<Mutant[]> {
  if (!instrumenter) {
    const { Instrumenter: Engine } = await import('@stryker-mutator/instrumenter');
    instrumenter = new Engine(silent as unknown as ConstructorParameters<typeof Engine>[0]);
  }
  const result = await instrumenter.instrument([{ name: file, content, mutate: true }], { plugins: null, excludedMutations: [], ignorers: [] });
  const lineStarts = [0];
  for (let index = 0; index < content.length; index++) if (content[index] === '\n') lineStarts.push(index + 1);
  const offset = (position: { line: number; column: number }) => (lineStarts[position.line] ?? content.length) + position.column;
  return result.mutants
    .filter((mutant) => mutant.status !== 'Ignored')
    .map((mutant) => {
      const start = offset(mutant.location.start);
      const end = offset(mutant.location.end);
      return {
        id: `${file}#${mutant.id}`,
        file,
        mutator: mutant.mutatorName,
        line: mutant.location.start.line + 1,
        column: mutant.location.start.column + 1,
        original: content.slice(start, end),
        replacement: mutant.replacement,
        content: `${content.slice(0, start)}${mutant.replacement}${content.slice(end)}`,
        ...(isErrorMessage(mutant.mutatorName, content.slice(0, start)) ? { ignored: 'error message text (specs pin the error type, not its wording)' } : {}),
      };
    });
}

/** `count` mutants spread evenly over the list (deterministic), for quick runs. */
export function sample<T>(items: readonly T[], count: number): T[] {
  if (count >= items.length) return [...items];
  if (count <= 0) return [];
  return Array.from({ length: count }, (_, index) => items[Math.floor((index * items.length) / count)] as T);
}
