import { describe, expect, it } from 'vitest'
import { bucketSeconds, clusterReasons } from '../../collector/api/failure-clusters.ts'
import { reasonTemplate } from '../../lib/reason-template.ts'

describe('reasonTemplate', () => {
  it.each([
    ['numeric: 61 vs expected 60', 'numeric: <n> vs expected <n>'],
    ['numeric: -3.5 vs expected 1e6', 'numeric: <n> vs expected <n>'],
    ['cost $0.0012 over 1,000 tokens', 'cost $<n> over <n> tokens'],
    ['expected "Paris", got "Lyon, France"', 'expected "<v>", got "<v>"'],
    ["label 'billing' not in the set", "label '<v>' not in the set"],
    ['trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7', 'trace <id> span <id>'],
    ['request 123e4567-e89b-12d3-a456-426614174000 timed out', 'request <id> timed out'],
    ['judge call req_9xK2mQ7pLw3 refused', 'judge call <id> refused'],
    ['at 2026-12-07T05:10:00Z via https://api.example.com/v1/x?a=1', 'at <time> via <url>'],
    ['1200 ms over the 1000 ms SLO', '<n> ms over the <n> ms SLO'],
    ['values 1, 2, 3 are wrong', 'values <n>, … are wrong'],
    ['  two\n lines  ', 'two lines'],
  ])('%s → %s', (reason, template) => {
    expect(reasonTemplate(reason)).toBe(template)
  })

  it('keeps digits that are part of names and words', () => {
    for (const kept of ['model gpt-4o is not allowed', 'utf-8 expected', 'v2 schema', "the answer doesn't match"])
      expect(reasonTemplate(kept)).toBe(kept)
  })

  it('gives the issue’s per-case reasons one template', () => {
    const reasons = ['numeric: 61 vs expected 60', 'numeric: 7 vs expected 9', 'numeric: 0.25 vs expected 0.5']
    expect(new Set(reasons.map(reasonTemplate)).size).toBe(1)
  })
})

describe('clusterReasons', () => {
  it('merges exact reasons by scorer and template: counts, trend and newest examples', () => {
    // As ClickHouse returns them: the negated creation time first, so sorting ascending puts the newest first.
    const example = (ns: string, trace: string) =>
      [`-${ns}`, trace, '', '', 'chat', 'a', 0] as [string, string, string, string, string, string, number]
    const clusters = clusterReasons(
      [
        {
          name: 'reference',
          reason: 'numeric: 61 vs expected 60',
          n: 3,
          n_failed: 0,
          last_ns: '300',
          trend: [
            [0, 60],
            [2, 1],
          ],
          examples: [example('300', 't1')],
        },
        {
          name: 'reference',
          reason: 'numeric: 7 vs expected 9',
          n: '2',
          n_failed: 0,
          last_ns: '500',
          trend: [[60], ['2']],
          examples: [example('500', 't2')],
        },
        {
          name: 'judge',
          reason: 'numeric: 1 vs expected 2',
          n: 1,
          n_failed: 0,
          last_ns: '100',
          trend: [[0], [1]],
          examples: [],
        },
        { name: 'judge', reason: '', n: 1, n_failed: 1, last_ns: '50', trend: [[0], [1]], examples: [] },
      ],
      0,
      60,
      3,
    )
    expect(clusters.map((c) => [c.name, c.template, c.count, c.reasons])).toEqual([
      ['reference', 'numeric: <n> vs expected <n>', 5, 2],
      ['judge', 'numeric: <n> vs expected <n>', 1, 1],
      ['judge', 'the scorer failed (no reason given)', 1, 1],
    ])
    expect(clusters[0]).toMatchObject({ trend: [2, 3, 0], last_ns: '500' })
    expect(clusters[0]!.examples.map((e) => [e.trace_id, e.reason])).toEqual([
      ['t2', 'numeric: 7 vs expected 9'],
      ['t1', 'numeric: 61 vs expected 60'],
    ])
  })

  it('picks a round bucket from the range', () => {
    expect(bucketSeconds(24n * 3_600_000_000_000n, 24)).toBe(3600)
    expect(bucketSeconds(7n * 86_400_000_000_000n, 24)).toBe(12 * 3600)
    expect(bucketSeconds(3_600_000_000_000n, 24)).toBe(300)
  })
})
