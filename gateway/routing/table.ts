import type { RouteSettings, RuleSettings, TargetSettings } from '../config.ts'
import type { Quote } from '../../lib/pricing.ts'
import { targetQuote, type PriceSource } from '../pricing.ts'
import type { Provider } from '../providers/registry.ts'
import { targetId } from '../../lib/ids.ts'

export interface Target {
  id: string
  provider: Provider
  model: string
  weight: number
  price: Quote | undefined
  priceSource: PriceSource
}

export interface CompiledRoute {
  name: string
  settings: RouteSettings
  targets: Target[]
  rules: { when: RuleSettings['when']; targets: Target[] }[]
}

/** One immutable version of the routing table; replaced whole, never edited in place. */
export interface RoutingSnapshot {
  version: number
  updatedAt: string
  routes: RouteSettings[]
  byName: Map<string, CompiledRoute>
}

function compileTarget(t: TargetSettings, providers: Map<string, Provider>): Target {
  const provider = providers.get(t.provider)
  if (!provider) throw new Error(`unknown provider "${t.provider}"`)
  const price = targetQuote(t.price, provider.settings.priceProviderId ?? provider.settings.protocol, t.model)
  return {
    id: targetId(t),
    provider,
    model: t.model,
    weight: t.weight,
    price,
    priceSource: price?.source ?? 'unknown',
  }
}

/** Routes must already be validated against the same providers. */
export function compileSnapshot(
  version: number,
  updatedAt: string,
  routes: RouteSettings[],
  providers: Map<string, Provider>,
): RoutingSnapshot {
  const byName = new Map<string, CompiledRoute>()
  for (const r of routes) {
    byName.set(r.name, {
      name: r.name,
      settings: r,
      targets: r.targets.map((t) => compileTarget(t, providers)),
      rules: r.rules.map((rule) => ({
        when: rule.when,
        targets: rule.targets.map((t) => compileTarget(t, providers)),
      })),
    })
  }
  return { version, updatedAt, routes, byName }
}
