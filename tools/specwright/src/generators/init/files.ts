/**
 * The text of the files `init` writes. Pure functions of a few inputs, so the generator stays a list of steps and
 * the tests can compare exact content.
 */

export const GITIGNORE_ENTRIES = ['*.specwright-backup-*', '.specwright-tmp-*', '.specwright-run.lock*', '.specwright-journal.json'];

export function policyYaml(pluginDir: string, generatedGlobs: string[]): string {
  return `# yaml-language-server: $schema=../${pluginDir}/policy.schema.json
#
# Where Specwright may generate code, where it must not, and who reviews it. Enforced by the generator, by
# \`specwright review\`, by the pre-commit hook (.husky/pre-commit) and by \`specwright ci-check\` in CI.
# Globs are picomatch globs over workspace-relative paths.

# Generated code is allowed only here (the source folders of your projects; add more as you need them).
generated:
${generatedGlobs.map((glob) => `  - "${glob}"`).join('\n')}

# Never generated, even inside \`generated\`: code whose mistakes are security incidents, and the hand-written
# contract types that specs refer to.
humanOnly:
  - "**/auth/**"
  - "**/payment/**"
  - "**/payments/**"
  - "**/*.types.ts"

# Glob → who may approve a matching generated file (e-mail addresses, or domains written @example.com).
# Example:
#   "libs/money/**": ["@example.com"]
reviewers: {}
`;
}

export const HOOK_COMMENT = [
  '# Specwright: refuse a commit whose staged generated code is unreviewed, edited by hand, stale, or outside',
  '# specs/policy.yaml. Skip once with `git commit --no-verify` (CI runs the same checks).',
];

export interface WorkflowSettings {
  /** `npm`, `pnpm` or `yarn`. */
  packageManager: string;
  installCommand: string;
  execCommand: string;
  defaultBranch: string;
}

/**
 * The CI workflow: one `nx affected` call over every Specwright target and the tests, on Node 20 and 22, with Nx's
 * cache kept between runs and a job summary. `-c ci` selects the `ci` configuration Specwright's targets define
 * (`--check`: never a model call); targets without that configuration run their defaults.
 */
export function ciWorkflow(settings: WorkflowSettings): string {
  const pnpmSetup = settings.packageManager === 'pnpm' ? '\n      - uses: pnpm/action-setup@v4\n' : '\n';
  return `# CI: the backstop for everything the pre-commit hook checks (\`git commit --no-verify\` and HUSKY=0 skip the hook).
# Never calls a model: the \`ci\` configuration of generate-from-spec and review-spec is their --check mode.
name: CI

on:
  push:
    branches: [${settings.defaultBranch}]
  pull_request:

permissions:
  contents: read
  # nrwl/nx-set-shas reads the last successful workflow run of the base branch.
  actions: read

concurrency:
  group: ci-\${{ github.ref }}
  cancel-in-progress: true

env:
  NX_DAEMON: 'false'
  NX_NO_CLOUD: 'true'
  NX_TUI: 'false'
  # Offline by construction: no API key here, and replay is the provider if anything ever asked for a model.
  SPECWRIGHT_PROVIDER: replay
  # verify-spec runs generated code: refuse to do it without the network namespace and Node's permission model.
  SPECWRIGHT_REQUIRE_STRONG_ISOLATION: '1'

jobs:
  main:
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        node: [20, 22]
    name: main (Node \${{ matrix.node }})
    steps:
      - uses: actions/checkout@v4
        with:
          # nx affected compares against the last successful build of the base branch: it needs the history.
          fetch-depth: 0
${pnpmSetup}
      - uses: actions/setup-node@v4
        with:
          node-version: \${{ matrix.node }}
          cache: ${settings.packageManager}

      - run: ${settings.installCommand}

      # Nx's local cache between runs: unchanged projects replay their results instead of running again.
      - uses: actions/cache@v4
        with:
          path: .nx/cache
          key: nx-\${{ runner.os }}-node\${{ matrix.node }}-\${{ github.sha }}
          restore-keys: nx-\${{ runner.os }}-node\${{ matrix.node }}-

      # The sandbox's network namespace needs unprivileged user namespaces, which Ubuntu 24.04's AppArmor blocks.
      - run: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 || true

      # Sets NX_BASE / NX_HEAD for \`nx affected\`.
      - uses: nrwl/nx-set-shas@v4

      - name: Specs up to date, reviewed, allowed by the policy, passing their gates; tests
        run: |
          set -o pipefail
          ${settings.execCommand} nx affected -t generate-from-spec review-spec verify-spec test -c ci --output-style=static 2>&1 | tee nx-affected.log

      - name: Job summary
        if: always()
        run: |
          {
            echo "## Specwright on Node \${{ matrix.node }}"
            echo
            echo '\`\`\`'
            ${settings.execCommand} specwright check 2>&1 | tail -n 60 || true
            echo '\`\`\`'
            echo
            echo '<details><summary>nx affected output (last 200 lines)</summary>'
            echo
            echo '\`\`\`'
            tail -n 200 nx-affected.log 2>/dev/null || echo '(no output)'
            echo '\`\`\`'
            echo '</details>'
          } >> "$GITHUB_STEP_SUMMARY"
`;
}
