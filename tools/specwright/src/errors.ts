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

export function isSpecwrightError(error: unknown): error is SpecwrightError {
  return error instanceof SpecwrightError;
}

/** Any thrown value as one readable line, for places that must not lose the run over one failure. */
export function describeError(error: unknown): string {
  if (isSpecwrightError(error)) return error.format();
  if (error instanceof Error) return error.message;
  return String(error);
}
