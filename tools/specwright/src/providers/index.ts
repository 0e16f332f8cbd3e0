import OpenAI, { AzureOpenAI } from 'openai';
import { SpecwrightError } from '../errors';
import type { NormalizedOptions, ProviderName } from '../options';
import { OpenAIProvider } from './openai';
import type { Provider } from './provider';
import { RecordProvider, ReplayProvider } from './recording';

/**
 * The model client of a run. Azure OpenAI (AZURE_OPENAI_ENDPOINT or the `azureEndpoint` option) goes through the
 * SDK's AzureOpenAI client — deployment in the path, `api-version` in the query, `api-key` header; everything else
 * (OpenAI, vLLM, Ollama, LM Studio, llama.cpp) through the plain client at OPENAI_BASE_URL.
 */
export function createProvider(name: ProviderName, workspaceRoot: string, options: NormalizedOptions, env: NodeJS.ProcessEnv = process.env): Provider {
  const openai = () => new OpenAIProvider({ ...openAIClient(options, env), ...(options.seed !== null ? { seed: options.seed } : {}) });
  switch (name) {
    case 'openai':
      return openai();
    case 'record':
      return new RecordProvider(openai(), workspaceRoot, options.recordingsDir);
    case 'replay':
      return new ReplayProvider(workspaceRoot, options.recordingsDir);
  }
}

function openAIClient(options: NormalizedOptions, env: NodeJS.ProcessEnv): { client: (fetch: typeof globalThis.fetch) => OpenAI; where: string } {
  const azureEndpoint = env.AZURE_OPENAI_ENDPOINT || options.azureEndpoint;
  if (azureEndpoint) {
    const apiVersion = env.OPENAI_API_VERSION || options.azureApiVersion;
    const deployment = env.AZURE_OPENAI_DEPLOYMENT || options.azureDeployment || undefined;
    const apiKey = env.AZURE_OPENAI_API_KEY || env.OPENAI_API_KEY;
    if (!apiKey) {
      throw new SpecwrightError(`Azure OpenAI endpoint ${azureEndpoint} is set but no key`, {
        fix: 'export AZURE_OPENAI_API_KEY=… (the key of the Azure OpenAI resource)',
        code: 'MODEL_AUTH',
      });
    }
    const endpoint = azureEndpoint.replace(/\/+$/, '');
    return {
      // baseURL rather than endpoint: the SDK would otherwise also read OPENAI_BASE_URL from the process.
      client: (fetch) => new AzureOpenAI({ baseURL: `${endpoint}/openai`, apiKey, apiVersion, ...(deployment ? { deployment } : {}), maxRetries: options.maxRetries, fetch }),
      where: `Azure OpenAI ${endpoint} (deployment ${deployment ?? 'named like the model'}, api-version ${apiVersion})`,
    };
  }
  const baseURL = env.OPENAI_BASE_URL || undefined;
  return {
    client: (fetch) =>
      new OpenAI({
        // Local servers (Ollama, vLLM, LM Studio, llama.cpp) take any key; the SDK insists on one.
        apiKey: env.OPENAI_API_KEY || 'specwright-no-key',
        baseURL: baseURL ?? 'https://api.openai.com/v1',
        maxRetries: options.maxRetries,
        fetch,
      }),
    where: baseURL ?? 'https://api.openai.com/v1',
  };
}

export type { Provider, ModelAnswer, ModelRequest } from './provider';
