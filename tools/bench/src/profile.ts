/**
 * Summarises V8 CPU profiles (`node --cpu-prof`, or NODE_OPTIONS=--cpu-prof for a whole Nx run and its task and
 * plugin-worker processes): for each profile, its duration and where the self time went, grouped by package (or
 * by workspace folder), plus the hottest functions.
 *
 *   NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof" node node_modules/nx/dist/bin/nx.js run p000:generate-from-spec --check
 *   node -r @swc-node/register tools/bench/src/profile.ts /tmp/prof [--top 15]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  ms: number;
  /** What the process was (its main script, guessed from the profile's URLs). */
  main: string;
  byGroup: { group: string; ms: number }[];
  topFunctions: { name: string; ms: number }[];
  /** Self time attributed to the nearest caller in the workspace's own code (tools/, libs/, apps/): who caused it. */
  byCaller: { caller: string; ms: number }[];
}

/** `nx`, `typescript`, `@swc/core`, `(node internals)`, `(gc)`, `tools/specwright/src`, … */
export function groupOf(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return '(gc)';
  if (functionName === '(program)' || functionName === '(idle)') return `(${functionName.replace(/[()]/g, '')})`;
  if (!url) return '(native)';
  if (url.startsWith('node:')) return '(node internals)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const match = /\/(tools\/[^/]+\/src|libs\/[^/]+|apps\/[^/]+)\//.exec(url);
  return match ? (match[1] as string) : url.replace(/^file:\/\//, '');
}

export function summarize(file: string, top = 12): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, index) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  const urls = new Map<string, number>();
  for (const [id, micros] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const group = groupOf(url, functionName);
    groups.set(group, (groups.get(group) ?? 0) + micros);
    const name = `${functionName || '(anonymous)'} ${group}${url && !url.startsWith('node:') ? `:${lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + micros);
    if (url) urls.set(url, (urls.get(url) ?? 0) + micros);
  }
  // Who caused it: the nearest frame on the stack that is the workspace's own code.
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const callers = new Map<string, number>();
  const own = (url: string) => !url.includes('/node_modules/') && /\/(tools|libs|apps)\//.test(url);
  for (const [id, micros] of self) {
    let current: number | undefined = id;
    let caller = '(no workspace frame)';
    while (current !== undefined) {
      const frame = byId.get(current)?.callFrame;
      if (frame && own(frame.url)) {
        caller = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*\/(tools|libs|apps)\//, '$1/')}:${frame.lineNumber + 1}`;
        break;
      }
      current = parent.get(current);
    }
    const { functionName } = byId.get(id)?.callFrame ?? { functionName: '' };
    if (functionName === '(idle)' || functionName === '(program)') caller = `(${functionName.replace(/[()]/g, '')})`;
    callers.set(caller, (callers.get(caller) ?? 0) + micros);
  }
  const main = [...urls.keys()].find((url) => /nx\/dist\/bin\/nx\.js|run-executor|plugin-worker|specwright\.js|hook-entry|vitest/.test(url)) ?? [...urls.keys()][0] ?? '';
  const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]);
  return {
    file,
    ms: (profile.endTime - profile.startTime) / 1000,
    main: main.replace(/^.*\/node_modules\//, '…/'),
    byGroup: sorted(groups).slice(0, top).map(([group, micros]) => ({ group, ms: micros / 1000 })),
    topFunctions: sorted(functions).slice(0, top).map(([name, micros]) => ({ name, ms: micros / 1000 })),
    byCaller: sorted(callers).slice(0, top).map(([caller, micros]) => ({ caller, ms: micros / 1000 })),
  };
}

export function formatSummary(summary: ProfileSummary): string {
  return [
    `${summary.file.split('/').pop()}  ${summary.ms.toFixed(0)} ms  (${summary.main})`,
    '  self time by package:',
    ...summary.byGroup.map((entry) => `    ${entry.ms.toFixed(0).padStart(6)} ms  ${entry.group}`),
    '  hottest functions:',
    ...summary.topFunctions.map((entry) => `    ${entry.ms.toFixed(0).padStart(6)} ms  ${entry.name}`),
    '  self time by the nearest workspace caller:',
    ...summary.byCaller.map((entry) => `    ${entry.ms.toFixed(0).padStart(6)} ms  ${entry.caller}`),
  ].join('\n');
}

if (require.main === module) {
  const [dir, ...rest] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: profile.ts <dir with .cpuprofile files> [--top n]');
    process.exitCode = 2;
  } else {
    const topIndex = rest.indexOf('--top');
    const top = topIndex >= 0 ? Number(rest[topIndex + 1]) : 12;
    const files = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile')).map((name) => join(dir, name));
    for (const summary of files.map((file) => summarize(file, top)).sort((a, b) => b.ms - a.ms)) console.log(`${formatSummary(summary)}\n`);
  }
}
