import type { ProviderSettings } from '../../config.ts'
import type { Operation } from '../types.ts'

export const ANTHROPIC_VERSION = '2023-06-01'

export function anthropicPath(provider: ProviderSettings, op: Operation): string {
  if (op === 'embeddings') throw new Error('the Anthropic protocol has no embeddings endpoint')
  return provider.paths.messages ?? '/v1/messages'
}

export function anthropicHeaders(provider: ProviderSettings, apiKey: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'anthropic-version': ANTHROPIC_VERSION,
    ...provider.headers,
  }
  if (!apiKey) return headers
  const style = provider.authHeader ?? 'x-api-key'
  if (style === 'bearer') headers.authorization = `Bearer ${apiKey}`
  else headers[style] = apiKey
  return headers
}

export function prepareAnthropic(body: Record<string, unknown>, model: string): Record<string, unknown> {
  return { ...body, model }
}
