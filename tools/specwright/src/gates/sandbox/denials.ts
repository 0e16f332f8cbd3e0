/**
 * What the sandbox denied, as findings the model can act on, and the scrubbing of everything candidate code can put
 * into feedback. Feedback goes to the model server: a candidate that managed to read something must not be able to
 * mail it out through an error message, a stack or its stdout — so candidate-controlled text is cut short and
 * anything shaped like a secret is redacted.
 */
import { SECRET_PATTERNS } from '../safety/secrets';

/** A denial recorded by the lockdown (`lockdown.cjs`). */
export interface Denial {
  capability: string;
  api: string;
  /** Absolute `file:line:col` of the calling frame, when known. */
  at?: string;
}

/** Node's permission model names (`err.permission`) → the spec capability that would grant them. */
const PERMISSION_CAPABILITY: Record<string, string> = {
  FileSystemRead: 'fs',
  FileSystemWrite: 'fs',
  FileSystem: 'fs',
  ChildProcess: 'child_process',
  WorkerThreads: 'child_process',
  Worker: 'child_process',
  Addon: 'never',
  WASI: 'never',
  Inspector: 'never',
};

/** Network errors that, inside the network namespace, can only mean the candidate tried to connect. */
const NETWORK_CODES = new Set(['ENETUNREACH', 'ECONNREFUSED', 'EAI_AGAIN', 'ENOTFOUND', 'EHOSTUNREACH']);

/** The capability an error thrown in the sandbox stands for, if it is a denial. */
export function deniedCapability(error: { code?: string; capability?: string; permission?: string }): string | undefined {
  if (error.code === 'ERR_SANDBOX_DENIED' && error.capability) return error.capability;
  if (error.code === 'ERR_ACCESS_DENIED') return (error.permission && PERMISSION_CAPABILITY[error.permission]) ?? 'fs';
  if (error.code && NETWORK_CODES.has(error.code)) return 'net';
  return undefined;
}

export function capabilityAdvice(capability: string): string {
  return capability === 'never'
    ? 'no capability grants it; remove it'
    : `remove it, or grant '${capability}' in constraints.capabilities if the spec really needs it`;
}

export function describeDenial(denial: Denial, mapPath: (text: string) => string): string {
  const at = denial.at ? ` at ${mapPath(denial.at)}` : '';
  return `the sandbox denied ${denial.api}${at} (capability '${denial.capability}'): ${capabilityAdvice(denial.capability)}`;
}

/** Longest candidate-controlled text that reaches feedback. */
export const MAX_CANDIDATE_TEXT = 400;

const GENERIC_TOKEN = /[A-Za-z0-9+_=-]{40,}/g;

/** Cuts candidate-controlled text short and redacts anything shaped like a secret or a long opaque token. */
export function scrubCandidateText(text: string, max = MAX_CANDIDATE_TEXT): string {
  let out = text;
  for (const [pattern] of SECRET_PATTERNS) out = out.replace(new RegExp(pattern.source, 'g'), '[redacted]');
  out = out.replace(GENERIC_TOKEN, (token) => (/[0-9]/.test(token) && /[A-Za-z]/.test(token) ? '[redacted]' : token));
  return out.length > max ? `${out.slice(0, max - 1)}…` : out;
}
