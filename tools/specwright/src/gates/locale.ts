/**
 * The purity gate's second run: a `pure` spec's result must not depend on where the code runs. The examples, the
 * edge inputs and some drawn inputs run again in a second sandbox child with another time zone (Pacific/Chatham:
 * +12:45, with daylight saving), another locale (tr_TR: `,` as the decimal mark, dotted/dotless i) and so another
 * Intl default locale; any difference is a finding. (Argument mutation, shared results and a second call that
 * answers differently are checked around every call by the sandbox child itself: gates/call-checks.ts.)
 */
import * as fs from 'node:fs';
import type { Finding, GateVerdict } from '../types';
import { callText, compareRuns, describeOutcome } from './compare-runs';
import type { GateContext } from './context';
import type { Gate, GateInput } from './gate';
import { comparisonInputs } from './properties';

export const SECOND_LOCALE_ENV: Readonly<Record<string, string>> = { TZ: 'Pacific/Chatham', LANG: 'tr_TR.UTF-8', LC_ALL: 'tr_TR.UTF-8' };

/** Whether a spec promises results independent of the environment: pure, and granted neither env nor timers. */
export function locationIndependent(input: GateInput): boolean {
  const constraints = input.spec.spec.constraints;
  if (!constraints?.pure) return false;
  return !constraints.capabilities.some((capability) => capability === 'env' || capability === 'timers');
}

/**
 * In JavaScript only Date and Intl (and the locale methods built on it) read the time zone or the locale; JSON
 * arguments bring no Date objects in. So when neither the candidate nor any module it loads mentions them, the
 * second run cannot differ and is skipped (it costs a second child process). Staged code is CommonJS, so imports
 * of packages outside the workspace show as `require("pkg")`.
 */
const LOCATION_SENSITIVE = /\b(?:Date|Intl|toLocale\w*|localeCompare)\b/;
/** A package from node_modules is not staged, so it cannot be scanned: its presence means "run the comparison". */
const UNSCANNED_PACKAGE = /\brequire\("(?!\.|node:)/;

export function mentionsLocationSensitiveApis(stagedFiles: Iterable<string>): boolean {
  for (const file of stagedFiles) {
    try {
      const code = fs.readFileSync(file, 'utf8');
      if (LOCATION_SENSITIVE.test(code) || UNSCANNED_PACKAGE.test(code)) return true;
    } catch {
      return true; // cannot tell: run the comparison
    }
  }
  return false;
}

/**
 * Starts the second-locale child ahead of the purity gate (runGates calls this once the blocking gates passed), when
 * the gate will need it: a location-independent spec whose staged code mentions location-sensitive APIs.
 */
export function preparePurity(context: GateContext, input: GateInput): void {
  if (!context.options.gates.purity || !locationIndependent(input)) return;
  context.sandbox.prewarmWithEnv(input, SECOND_LOCALE_ENV, (code) => mentionsLocationSensitiveApis(code.sources.keys()));
}

export function createPurityGate(context: GateContext): Gate {
  return {
    name: 'purity',
    blocking: false,
    async check(input: GateInput): Promise<GateVerdict> {
      if (!locationIndependent(input) || context.sandbox.hungOn(input)) return { gate: 'purity', ok: true, findings: [] };
      const calls = input.spec.spec.exports.flatMap((exported) => comparisonInputs(context, input, exported, 20, 60).map((args) => ({ export: exported.name, args })));
      const disagreements = await context.sandbox.useWithEnv(input, SECOND_LOCALE_ENV, async (first, second) =>
        mentionsLocationSensitiveApis(first.code.sources.keys()) ? compareRuns(first, second, calls, { max: 5, ...(input.signal ? { signal: input.signal } : {}) }) : [],
      );
      const findings: Finding[] = disagreements.map((d) => ({
        message: `${callText(d.export, d.args)} returns ${describeOutcome(d.first)} with TZ=UTC and the default locale, but ${describeOutcome(d.second)} with TZ=${SECOND_LOCALE_ENV['TZ']} and LANG=${SECOND_LOCALE_ENV['LANG']}; the spec is pure, so the result must not depend on the time zone or locale (pass an explicit locale and time zone, or avoid toLocale*/Intl/local-time Date methods)`,
      }));
      return { gate: 'purity', ok: findings.length === 0, findings };
    },
  };
}
