import { openAiHeaders } from '../openai/request.ts'
import type { ProviderAdapter } from '../types.ts'
import { prepareResponses, responsesPath } from './request.ts'
import { readResponsesResponse } from './response.ts'
import { ResponsesPassthroughRelay } from './stream.ts'

/** OpenAI's Responses API, for OpenAI-protocol providers that declare `responses: true`. */
export const responsesAdapter: ProviderAdapter = {
  protocol: 'responses',
  path: responsesPath,
  headers: openAiHeaders,
  prepare: prepareResponses,
  readResponse: readResponsesResponse,
  relay: (options) => new ResponsesPassthroughRelay(options),
}
