import { describe, expect, it } from 'vitest'
import { AdmissionControl } from '../../collector/ingest/admission.ts'
import { IngestError } from '../../collector/ingest/errors.ts'
import { REFUSALS } from '../../collector/otlp/errors.ts'

const MiB = 1024 * 1024

function clocked(settings = { maxQueueSeconds: 2, maxInFlightBytes: 16 * MiB }) {
  let now = 0
  const admission = new AdmissionControl(settings, () => now)
  return { admission, tick: (ms: number) => void (now += ms) }
}

const refusal = (fn: () => unknown): IngestError => {
  try {
    fn()
  } catch (err) {
    if (err instanceof IngestError) return err
    throw err
  }
  throw new Error('expected a refusal')
}

describe('admission control', () => {
  it('always admits a lone request, and refuses past the in-flight limit with a Retry-After of 1–5 s', () => {
    const { admission } = clocked()
    const huge = admission.admit(64 * MiB) // alone: admitted, so ingest always progresses
    const err = refusal(() => admission.admit(MiB))
    expect(REFUSALS[err.reason]).toEqual({ status: 429, retryable: true })
    expect(err.reason).toBe('overloaded')
    expect(Number.isInteger(err.retryAfterSeconds) && err.retryAfterSeconds >= 1 && err.retryAfterSeconds <= 5).toBe(
      true,
    )
    huge.done(false)
    expect(() => admission.admit(MiB).done(false)).not.toThrow()
    expect(admission.inFlight).toMatchObject({ requests: 0, bytes: 0 })
  })

  it('shrinks the limit when answers come late and grows it back, never past maxInFlightBytes', () => {
    const { admission, tick } = clocked()
    const start = admission.inFlight.limitBytes
    for (let i = 0; i < 5; i++) {
      const t = admission.admit(MiB)
      t.resize(MiB)
      tick(3000) // answered 3 s after its body was read: later than maxQueueSeconds
      t.done(true)
    }
    const shrunk = admission.inFlight.limitBytes
    expect(shrunk).toBeLessThan(start * 0.8 ** 4)
    for (let round = 0; round < 400; round++) {
      const tickets = []
      for (let used = 0; used + MiB <= admission.inFlight.limitBytes; used += MiB) tickets.push(admission.admit(MiB))
      for (const t of tickets) t.resize(MiB)
      tick(100)
      for (const t of tickets) t.done(true)
    }
    expect(admission.inFlight.limitBytes).toBeGreaterThan(shrunk * 4)
    expect(admission.inFlight.limitBytes).toBeLessThanOrEqual(16 * MiB)
  })

  it('refuses while a read request has waited longer than maxQueueSeconds, but not for a slow upload', () => {
    const { admission, tick } = clocked()
    const uploading = admission.admit(MiB) // its body is still arriving
    tick(5000)
    const other = admission.admit(MiB) // a slow upload is not ingest's work
    other.resize(MiB)
    tick(2500) // `other` has been in processing 2.5 s
    expect(refusal(() => admission.admit(MiB)).message).toMatch(/waited 2\.5 s/)
    other.done(true)
    uploading.done(false)
    expect(() => admission.admit(MiB)).not.toThrow()
  })
})
