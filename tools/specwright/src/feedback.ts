import type { Finding, GateVerdict } from './types';

export interface FeedbackOptions {
  /** At most this many findings per gate (the rest are counted). Default 20. */
  maxFindingsPerGate?: number;
  /** At most this many characters overall. Default 12000. */
  maxChars?: number;
}

/**
 * Structured, deduplicated feedback for the model's repair turn: one section per failed gate, one finding per line
 * (compiler lines `file:line:col TSxxxx message`, ajv errors with instancePath/schemaPath, failing examples with
 * expected vs actual, counterexamples with their seed, failing tests with the assertion message, policy violations
 * with their line). Passed gates and notes are summarised in one line; skipped gates are listed.
 */
export function formatFeedback(verdicts: readonly GateVerdict[], options: FeedbackOptions = {}): string {
  const maxFindings = options.maxFindingsPerGate ?? 20;
  const maxChars = options.maxChars ?? 12000;
  const failed = verdicts.filter((v) => !v.ok && !v.skipped);
  if (failed.length === 0) return 'All gates passed.';
  const lines: string[] = [];
  const passed = verdicts.filter((v) => v.ok).map((v) => v.gate);
  const skipped = verdicts.filter((v) => v.skipped).map((v) => v.gate);
  lines.push(`Gates failed: ${failed.map((v) => v.gate).join(', ')}.${passed.length ? ` Passed: ${passed.join(', ')}.` : ''}${skipped.length ? ` Not run: ${skipped.join(', ')} (fix the failures above them first).` : ''}`);
  const seen = new Set<string>();
  for (const verdict of failed) {
    const unique: string[] = [];
    for (const finding of verdict.findings) {
      if (finding.message.startsWith('note:')) continue;
      const text = render(finding);
      if (seen.has(text)) continue;
      seen.add(text);
      unique.push(text);
    }
    lines.push('', `## ${verdict.gate} (${unique.length} problem${unique.length === 1 ? '' : 's'})`);
    for (const text of unique.slice(0, maxFindings)) lines.push(`- ${text}`);
    if (unique.length > maxFindings) lines.push(`- … and ${unique.length - maxFindings} more`);
  }
  let text = lines.join('\n');
  if (text.length > maxChars) text = `${text.slice(0, maxChars - 20)}\n… (feedback cut)`;
  return text;
}

/** The finding's message, prefixed with its location unless the message already starts with it. */
function render(finding: Finding): string {
  if (!finding.file || finding.message.startsWith(finding.file)) return finding.message;
  const where = `${finding.file}${finding.line ? `:${finding.line}${finding.column ? `:${finding.column}` : ''}` : ''}`;
  return finding.message.includes(where) ? finding.message : `${where} ${finding.message}`;
}
