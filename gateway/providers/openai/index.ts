import type { ProviderAdapter } from '../types.ts'
import { openAiHeaders, openAiPath, prepareOpenAi } from './request.ts'
import { readOpenAiResponse } from './response.ts'
import { OpenAiPassthroughRelay } from './stream.ts'

/** OpenAI and every OpenAI-compatible server (vLLM, Ollama, Groq, Together, Azure-style paths). */
export const openAiAdapter: ProviderAdapter = {
  protocol: 'openai',
  path: openAiPath,
  headers: openAiHeaders,
  prepare: prepareOpenAi,
  readResponse: readOpenAiResponse,
  relay: (options) => new OpenAiPassthroughRelay(options),
}
