import type { ProviderSettings } from '../config.ts'
import { adapters } from './index.ts'
import type { Operation, Protocol, ProviderAdapter } from './types.ts'

/** A provider ready for calls: its adapter, origin, base path and key (kept here, never logged). */
export interface Provider {
  name: string
  settings: ProviderSettings
  adapter: ProviderAdapter
  origin: string
  basePath: string
  /** Upstream headers for chat/messages and embeddings calls, key included. */
  headers: Record<string, string>
}

export function buildProviders(
  settings: Record<string, ProviderSettings>,
  env: NodeJS.ProcessEnv,
): Map<string, Provider> {
  const out = new Map<string, Provider>()
  for (const [name, s] of Object.entries(settings)) {
    const url = new URL(s.baseUrl)
    const adapter = adapters[s.protocol]
    const apiKey = s.apiKeyEnv ? env[s.apiKeyEnv] : undefined
    if (s.apiKeyEnv && !apiKey)
      throw new Error(
        `gateway.providers.${name}.apiKeyEnv: environment variable ${s.apiKeyEnv} is not set; export it or remove apiKeyEnv`,
      )
    out.set(name, {
      name,
      settings: s,
      adapter,
      origin: url.origin,
      basePath: url.pathname.replace(/\/+$/, ''),
      headers: adapter.headers(s, apiKey),
    })
  }
  return out
}

/**
 * The adapter that speaks to `p` for a client of `client`'s protocol: a Responses client is passed
 * through to a provider that declares `responses: true`; every other pairing uses the provider's own.
 */
export function adapterFor(p: Provider, client: Protocol): ProviderAdapter {
  return client === 'responses' && p.settings.responses ? adapters.responses : p.adapter
}

export function upstreamPath(p: Provider, op: Operation, adapter: ProviderAdapter = p.adapter): string {
  const path = `${p.basePath}${adapter.path(p.settings, op)}`
  return p.settings.query ? `${path}?${p.settings.query}` : path
}
