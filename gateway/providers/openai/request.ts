import type { ProviderSettings } from '../../config.ts'
import type { Operation } from '../types.ts'

export function openAiPath(provider: ProviderSettings, op: Operation): string {
  return op === 'embeddings'
    ? (provider.paths.embeddings ?? '/embeddings')
    : (provider.paths.chat ?? '/chat/completions')
}

export function openAiHeaders(provider: ProviderSettings, apiKey: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...provider.headers }
  if (!apiKey) return headers
  const style = provider.authHeader ?? 'bearer'
  if (style === 'bearer') headers.authorization = `Bearer ${apiKey}`
  else headers[style] = apiKey
  return headers
}

/** The client's body with the target's model; streams always ask for usage so the gateway can bill. */
export function prepareOpenAi(body: Record<string, unknown>, model: string, stream: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body, model }
  if (stream) out.stream_options = { ...(body.stream_options as object | undefined), include_usage: true }
  return out
}
