import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SpecwrightError } from './errors';
import { positionOfText } from './graph';
import type { OptionsOrigin } from './options';

export const PLUGIN_PACKAGE = '@specwright/nx';

/** The nearest folder upwards that holds nx.json. */
export function findWorkspaceRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    if (dirname(dir) === dir) {
      throw new SpecwrightError(`no nx.json in ${from} or any folder above it`, { expected: 'to run inside an Nx workspace', fix: 'cd into the workspace', code: 'NO_WORKSPACE' });
    }
  }
}

type NxJsonPlugins = { plugins?: (string | { plugin: string; options?: Record<string, unknown> })[] };

/** The Specwright plugin's options as nx.json holds them (unchecked), and where they stand for messages. */
export function readPluginOptionsEntry(workspaceRoot: string): { raw: Record<string, unknown>; origin: OptionsOrigin } {
  return pluginOptionsEntry(readFileSync(join(workspaceRoot, 'nx.json'), 'utf8'));
}

/** The same from nx.json's text (the working tree's or the git index's): the one nx.json reader. */
export function pluginOptionsEntry(text: string): { raw: Record<string, unknown>; origin: OptionsOrigin } {
  let nxJson: NxJsonPlugins;
  try {
    nxJson = JSON.parse(text) as NxJsonPlugins;
  } catch (error) {
    throw new SpecwrightError(`nx.json is not valid JSON: ${(error as Error).message}`, { file: 'nx.json', expected: 'a JSON object', fix: 'fix the syntax of nx.json', code: 'NX_JSON_INVALID' });
  }
  const entry = (nxJson.plugins ?? []).find((candidate) => typeof candidate === 'object' && candidate !== null && candidate.plugin === PLUGIN_PACKAGE);
  const raw = typeof entry === 'object' && entry.options && typeof entry.options === 'object' ? entry.options : {};
  const pluginAt = Math.max(0, text.indexOf(`"${PLUGIN_PACKAGE}"`));
  return {
    raw,
    origin: {
      where: `nx.json (plugins → ${PLUGIN_PACKAGE} → options)`,
      file: 'nx.json',
      positionOf: (name) => (text.indexOf(`"${name}"`, pluginAt) >= 0 ? positionOfText(text, `"${name}"`, pluginAt) : undefined),
      setting: (name, value) => `set "${name}": ${value} in nx.json (plugins → ${PLUGIN_PACKAGE} → options)`,
      rejectUnknown: true,
    },
  };
}

/** The Specwright plugin's options from nx.json, unchecked (entry.ts's `workspaceOptions` is the checked form). */
export function readPluginOptions(workspaceRoot: string): Record<string, unknown> {
  return readPluginOptionsEntry(workspaceRoot).raw;
}
