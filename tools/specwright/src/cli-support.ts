import { parseArgs, type ParseArgsConfig } from 'node:util';
import { problemsOf, SpecwrightError } from './errors';
import type { SpecFailure } from './load';

/**
 * What every command shares: strict option parsing (an unknown option or a bad value is a usage error, exit 2, with
 * the command's help named), number options that must be numbers, and the JSON shape of problems.
 */
export class UsageError extends SpecwrightError {
  constructor(message: string, command: string) {
    super(message, { fix: `see \`specwright ${command} --help\``, code: 'USAGE' });
  }
}

type CommandOptions = NonNullable<ParseArgsConfig['options']>;
/** Named through `parseArgs` itself: @types/node does not export the types of its result. */
type CommandArgs<T extends CommandOptions> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: boolean; strict: true }>>;

export function parseCommandArgs<T extends CommandOptions>(command: string, args: string[], options: T, allowPositionals = false): CommandArgs<T> {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''), command);
  }
}

/** `--concurrency 4` → 4; `--concurrency abc`, `0`, `2.5` → a usage error. */
export function positiveInteger(command: string, option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new UsageError(`--${option} must be a positive integer, got "${value}"`, command);
  return Number(value);
}

export interface JsonProblem {
  file?: string;
  line?: number;
  column?: number;
  message: string;
  expected?: string;
  fix?: string;
  code: string;
}

export function jsonProblems(failures: readonly SpecFailure[]): JsonProblem[] {
  return failures.flatMap((failure) =>
    problemsOf(failure.error).map((problem) => ({
      file: problem.file ?? failure.file,
      ...(problem.line === undefined ? {} : { line: problem.line, column: problem.column ?? 1 }),
      message: problem.message,
      ...(problem.expected ? { expected: problem.expected } : {}),
      ...(problem.fix ? { fix: problem.fix } : {}),
      code: problem.code,
    })),
  );
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
