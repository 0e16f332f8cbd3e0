import type { SpecwrightPluginOptions } from '../options';

/** What every Specwright executor accepts besides its own flags (resolved by entry.ts's resolveExecutorInvocation). */
export interface CommonExecutorOptions extends SpecwrightPluginOptions {
  spec?: string | string[];
  concurrency?: number;
}
