import type { ProviderSettings, RouteSettings, TargetSettings } from '../config.ts'
import { routingTableSchema } from '../config.ts'
import { targetId } from '../../lib/ids.ts'

export type Validation = { ok: true; routes: RouteSettings[] } | { ok: false; errors: string[] }

function checkTargets(
  where: string,
  targets: TargetSettings[],
  providers: Record<string, ProviderSettings>,
  errors: string[],
): void {
  if (!targets.some((t) => t.weight > 0)) errors.push(`${where}: at least one target needs a positive weight`)
  const ids = new Set<string>()
  targets.forEach((t, i) => {
    if (!providers[t.provider])
      errors.push(
        `${where}.targets[${i}].provider: unknown provider "${t.provider}" (known: ${Object.keys(providers).join(', ') || 'none'})`,
      )
    const id = targetId(t)
    if (ids.has(id)) errors.push(`${where}.targets[${i}]: target "${id}" is listed twice; give one an explicit id`)
    ids.add(id)
  })
}

/** Schema, known providers, non-negative weights with at least one positive, unique names. */
export function validateRoutingTable(input: unknown, providers: Record<string, ProviderSettings>): Validation {
  const parsed = routingTableSchema.safeParse(input)
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`) }
  }
  const errors: string[] = []
  const names = new Set<string>()
  parsed.data.routes.forEach((r, i) => {
    const where = `routes[${i}] (${r.name})`
    if (names.has(r.name)) errors.push(`${where}.name: route "${r.name}" is defined twice`)
    names.add(r.name)
    checkTargets(where, r.targets, providers, errors)
    r.rules.forEach((rule, j) => checkTargets(`${where}.rules[${j}]`, rule.targets, providers, errors))
  })
  return errors.length ? { ok: false, errors } : { ok: true, routes: parsed.data.routes }
}
