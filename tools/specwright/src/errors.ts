/**
 * The tool's own error type. Every message a user sees names the file, the position where it applies, what was
 * expected, and the command that fixes it — the pipeline never prints a bare stack trace for bad input.
 */
export interface SpecwrightErrorDetails {
  /** Workspace-relative file the problem is in. */
  file?: string;
  line?: number;
  column?: number;
  /** What the tool expected to find. */
  expected?: string;
  /** The command or edit that fixes it. */
  fix?: string;
  /** A stable machine-readable code, e.g. `SPEC_SCHEMA`. */
  code?: string;
  cause?: unknown;
}

export class SpecwrightError extends Error {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly expected?: string;
  readonly fix?: string;
  readonly code: string;

  constructor(message: string, details: SpecwrightErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'SpecwrightError';
    this.file = details.file;
    this.line = details.line;
    this.column = details.column;
    this.expected = details.expected;
    this.fix = details.fix;
    this.code = details.code ?? 'SPECWRIGHT';
  }

  /** `file:line:column` (as much of it as is known), the form editors and terminals turn into links. */
  get location(): string | undefined {
    if (!this.file) return undefined;
    if (this.line === undefined) return this.file;
    return `${this.file}:${this.line}:${this.column ?? 1}`;
  }

  format(): string {
    const lines = [this.location ? `${this.location}: ${this.message}` : this.message];
    if (this.expected) lines.push(`  expected: ${this.expected}`);
    if (this.fix) lines.push(`  fix: ${this.fix}`);
    return lines.join('\n');
  }
}

/**
 * Several problems found in one pass (a spec with four mistakes reports four, not one per run). Its own location and
 * message are the first problem's, so code that reads one error still works; `format()` prints every problem.
 */
export class SpecwrightProblems extends SpecwrightError {
  readonly problems: SpecwrightError[];

  constructor(problems: SpecwrightError[]) {
    const first = problems[0] as SpecwrightError;
    super(`${first.message} (and ${problems.length - 1} more problem${problems.length === 2 ? '' : 's'})`, {
      file: first.file,
      line: first.line,
      column: first.column,
      expected: first.expected,
      fix: first.fix,
      code: first.code,
    });
    this.name = 'SpecwrightProblems';
    this.problems = problems;
  }

  override format(): string {
    // Each problem starts its own `file:line:column:` line, the form editors and terminals link.
    return this.problems.map((problem) => problem.format()).join('\n');
  }
}

/** One error for one problem, the aggregate for several. */
export function problemsError(problems: SpecwrightError[]): SpecwrightError {
  return problems.length === 1 ? (problems[0] as SpecwrightError) : new SpecwrightProblems(problems);
}

/** The single problems inside an error (itself when it is not an aggregate), for reports and `--json`. */
export function problemsOf(error: SpecwrightError): SpecwrightError[] {
  return error instanceof SpecwrightProblems ? error.problems : [error];
}

export function isSpecwrightError(error: unknown): error is SpecwrightError {
  return error instanceof SpecwrightError;
}

/** Any thrown value as one readable line, for places that must not lose the run over one failure. */
export function describeError(error: unknown): string {
  if (isSpecwrightError(error)) return error.format();
  if (error instanceof Error) return error.message;
  return String(error);
}
