import type { Command, CommandEntry } from './commands';
import { parseCommandArgs, printJson, UsageError } from './cli-support';
import { specProjects, workspaceOptions } from './entry';

export const ACCEPT_USAGE = `Usage: specwright accept <spec>… [--json]

Accepts an edited spec without a model call: when the code generated for it is unchanged (no hand edit) and passes
every gate of the edited spec, records the spec's new fingerprint — the header's fingerprint line and the lock entry.
The code below the header does not change, so its review stays valid. Otherwise nothing is written and the reason is
printed with the fix (usually \`nx generate-from-spec <project> --spec <id>\`).

Arguments:
  <spec>              a spec id (money/allocate) or a spec file (libs/money/src/allocate.spec.yaml); repeatable

Options:
  --json              print {ok, specs: [{id, file, result: accepted|fresh|refused, reason, fix}]}
  -h, --help          this text

Exit codes: 0 every spec accepted or already fresh; 1 some spec not accepted; 2 usage error or internal error.`;

const acceptCommand: Command = async (args, workspaceRoot) => {
  const { values, positionals } = parseCommandArgs('accept', args, { json: { type: 'boolean' } }, true);
  if (positionals.length === 0) throw new UsageError('name at least one spec (id or file)', 'accept');
  const projects = specProjects(workspaceRoot);
  const options = workspaceOptions(workspaceRoot);
  const [{ acceptSpecs }, { createGateRunner }] = await Promise.all([import('./accept'), import('./gate-runner')]);
  const gates = await createGateRunner(workspaceRoot);
  try {
    const result = await acceptSpecs({
      workspaceRoot,
      cwd: process.cwd(),
      projects,
      targets: positionals,
      options,
      gates: gates.run,
      ...(values.json ? { log: () => undefined } : {}),
    });
    if (values.json) printJson({ ok: result.ok, specs: result.outcomes });
    return result.ok ? 0 : 1;
  } finally {
    await gates.dispose();
  }
};

export function registerAcceptCommands(commands: Map<string, CommandEntry>): void {
  commands.set('accept', { summary: 'record an edited spec\'s new fingerprint when the current code still passes its gates (no model call)', run: acceptCommand, usage: ACCEPT_USAGE });
}
