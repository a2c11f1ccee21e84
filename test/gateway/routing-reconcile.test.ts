import { describe, expect, it } from 'vitest'
import { routeSchema, type RouteSettings } from '../../gateway/config.ts'
import { configProblems, reconcile } from '../../gateway/routing/reconcile.ts'

const route = (raw: unknown): RouteSettings => routeSchema.parse(raw)
const t = (model: string, weight = 1, extra: Record<string, unknown> = {}) => ({
  provider: 'p',
  model,
  weight,
  ...extra,
})
const add = (c: RouteSettings) => c

describe('reconcile: configuration decides, stored table lends weights', () => {
  it('keeps weights by target id, rule weights by rule condition, and reports each decision', () => {
    const config = [
      route({
        name: 'r',
        targets: [t('a'), t('b'), t('x', 1, { id: 'named' })],
        rules: [{ when: { tags: ['vip'] }, targets: [t('a'), t('b')] }],
      }),
    ]
    const stored = [
      {
        name: 'r',
        targets: [t('a', 7), t('gone', 3), t('other-model', 2, { id: 'named' })],
        rules: [{ when: { tags: ['vip'] }, targets: [t('a', 0), t('b', 9)] }],
      },
    ]
    const r = reconcile(config, stored, add)
    expect(r.routes[0]!.targets.map((x) => x.weight)).toEqual([7, 1, 2]) // a kept, b new, "named" kept by its id
    expect(r.routes[0]!.rules[0]!.targets.map((x) => x.weight)).toEqual([0, 9])
    expect(r.kept).toEqual(['r/p/a', 'r/named', 'r#0/p/a', 'r#0/p/b'])
    expect(r.dropped).toEqual(['r/p/gone'])
    expect(r.added).toEqual(['r/p/b'])
    expect(r.updated).toEqual(['r']) // target "named" now points at another model
  })

  it('falls back to the configured weights when every kept weight is zero', () => {
    const config = [route({ name: 'r', targets: [t('a', 2), t('b', 1)] })]
    const r = reconcile(
      config,
      [
        { name: 'r', targets: [t('a', 0), t('b', 0), t('c', 5)] },
        { name: 'old', targets: [t('a')] },
      ],
      add,
    )
    expect(r.routes[0]!.targets.map((x) => x.weight)).toEqual([2, 1])
    expect(r.reset).toEqual(['r'])
    expect(r.dropped).toEqual(['r/p/c', 'old'])
  })

  it('ignores what is not a route or a weight in a damaged stored table', () => {
    const config = [route({ name: 'r', targets: [t('a', 2)] })]
    const r = reconcile(
      config,
      [null, 'x', { name: 'r', targets: [{ provider: 'p', model: 'a', weight: -1 }, 42] }],
      add,
    )
    expect(r.routes[0]!.targets[0]!.weight).toBe(2)
    expect(r.added).toEqual(['r/p/a'])
  })

  it("leaves out a missing route when told to, and takes a serving route's weights for targets the table lacks", () => {
    const config = [route({ name: 'r', targets: [t('a'), t('b')] }), route({ name: 's', targets: [t('a')] })]
    const serving = new Map([['r', route({ name: 'r', targets: [t('a', 1), t('b', 6)] })]])
    const r = reconcile(
      config,
      [{ name: 'r', targets: [t('a', 3)] }],
      () => undefined,
      (name) => serving.get(name),
    )
    expect(r.routes.map((x) => x.name)).toEqual(['r'])
    expect(r.routes[0]!.targets.map((x) => x.weight)).toEqual([3, 6])
    expect(r.leftOut).toEqual(['s'])
  })
})

describe('configProblems: what PUT /admin/routing refuses', () => {
  const config = [
    route({ name: 'r', targets: [t('a'), t('b')], policy: { maxAttempts: 2 } }),
    route({ name: 's', targets: [t('a')] }),
  ]

  it('accepts new weights for every configured target of every current route', () => {
    expect(
      configProblems(
        [
          route({ name: 'r', targets: [t('b', 5), t('a', 0)], policy: { maxAttempts: 2 } }),
          route({ name: 's', targets: [t('a')] }),
        ],
        config,
        ['r', 's'],
        [],
      ),
    ).toEqual([])
  })

  it('names each problem', () => {
    const problems = configProblems(
      [route({ name: 'r', targets: [t('a'), t('zzz')] }), route({ name: 'new', targets: [t('a')] })],
      config,
      ['r', 's'],
      [],
    )
    expect(problems.join('\n')).toMatch(/target "p\/zzz" is not configured/)
    expect(problems.join('\n')).toMatch(/configured target "p\/b" is missing/)
    expect(problems.join('\n')).toMatch(/\(r\)\.policy: differs from the configuration/)
    expect(problems.join('\n')).toMatch(/route "new" is not in the configuration/)
    expect(problems.join('\n')).toMatch(/leaves out "s".*"dropRoutes": \["s"\]/)
  })

  it('lets dropRoutes take routes out, but not a route it also lists', () => {
    expect(configProblems([], config, ['r', 's'], ['r', 's'])).toEqual([])
    expect(configProblems([route({ name: 's', targets: [t('a')] })], config, ['r', 's'], ['r', 's']).join()).toMatch(
      /"s" is also in routes/,
    )
    expect(configProblems([], config, [], [])).toEqual([]) // nothing current to leave out
  })
})
