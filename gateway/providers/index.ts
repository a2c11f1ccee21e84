import { anthropicAdapter } from './anthropic/index.ts'
import { openAiAdapter } from './openai/index.ts'
import { responsesAdapter } from './responses/index.ts'
import type { ProviderAdapter, Protocol } from './types.ts'

export const adapters: Record<Protocol, ProviderAdapter> = {
  openai: openAiAdapter,
  anthropic: anthropicAdapter,
  responses: responsesAdapter,
}
