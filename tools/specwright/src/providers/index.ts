import type { NormalizedOptions, ProviderName } from '../options';
import { OpenAIProvider } from './openai';
import type { Provider } from './provider';
import { RecordProvider, ReplayProvider } from './recording';

export function createProvider(name: ProviderName, workspaceRoot: string, options: NormalizedOptions, env: NodeJS.ProcessEnv = process.env): Provider {
  const openai = () =>
    new OpenAIProvider({
      ...(env.OPENAI_API_KEY ? { apiKey: env.OPENAI_API_KEY } : {}),
      ...(env.OPENAI_BASE_URL ? { baseURL: env.OPENAI_BASE_URL } : {}),
      maxRetries: options.maxRetries,
      timeoutMs: options.timeoutMs,
    });
  switch (name) {
    case 'openai':
      return openai();
    case 'record':
      return new RecordProvider(openai(), workspaceRoot, options.recordingsDir);
    case 'replay':
      return new ReplayProvider(workspaceRoot, options.recordingsDir);
  }
}

export type { Provider, ModelAnswer, ModelRequest } from './provider';
