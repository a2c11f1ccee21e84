import type { ProviderAdapter } from '../types.ts'
import { anthropicHeaders, anthropicPath, prepareAnthropic } from './request.ts'
import { readAnthropicResponse } from './response.ts'
import { AnthropicPassthroughRelay } from './stream.ts'

/** The Anthropic Messages API. */
export const anthropicAdapter: ProviderAdapter = {
  protocol: 'anthropic',
  path: anthropicPath,
  headers: anthropicHeaders,
  prepare: (body, model) => prepareAnthropic(body, model),
  readResponse: readAnthropicResponse,
  relay: (options) => new AnthropicPassthroughRelay(options),
}
