import { afterEach, describe, expect, it } from 'vitest'
import type { JobQueue, QueueJob, QueueOptions } from '../../evaluator/queue/types.ts'
import { gate, sleep, waitFor } from './wait.ts'

export type QueueFactory = (options: QueueOptions) => Promise<JobQueue<{ n: number }>>

const base: QueueOptions = { attempts: 3, backoffMs: 50, keepCompleted: 1000, shutdownTimeoutMs: 5_000 }

/** The queue contract, run against every implementation. */
export function queueContract(name: string, factory: QueueFactory): void {
  describe(`queue contract: ${name}`, () => {
    const open: JobQueue<{ n: number }>[] = []
    const make = async (o: Partial<QueueOptions> = {}) => {
      const q = await factory({ ...base, ...o })
      open.push(q)
      return q
    }
    afterEach(async () => {
      await Promise.all(open.splice(0).map((q) => q.close()))
    })

    it('delivers every job at least once, in any order, with concurrency', async () => {
      const q = await make()
      const seen = new Set<string>()
      q.consume(
        async (job) => {
          await sleep(5)
          seen.add(job.id)
        },
        { concurrency: 4 },
      )
      await q.add(Array.from({ length: 30 }, (_, i) => ({ id: `job-${i}`, data: { n: i } })))
      await waitFor(() => seen.size === 30, 'all 30 jobs')
      await waitFor(async () => (await q.counts()).completed === 30, 'completed count')
      expect((await q.counts()).dead).toBe(0)
    })

    it('adds nothing for an id it already holds, before or after completion', async () => {
      const q = await make()
      await q.add([
        { id: 'same', data: { n: 1 } },
        { id: 'same', data: { n: 2 } },
      ])
      await q.add([{ id: 'same', data: { n: 3 } }])
      const runs: number[] = []
      q.consume(async (job) => void runs.push(job.data.n))
      await waitFor(() => runs.length === 1, 'first delivery')
      await waitFor(async () => (await q.counts()).completed === 1, 'completion')
      await q.add([
        { id: 'same', data: { n: 4 } },
        { id: 'other', data: { n: 5 } },
      ])
      await waitFor(() => runs.length === 2, 'the other job')
      expect(runs.sort()).toEqual([1, 5])
    })

    it('retries a failing job with growing (exponential) delays, then succeeds', async () => {
      const q = await make({ attempts: 4, backoffMs: 100 })
      const at: number[] = []
      const attempts: number[] = []
      q.consume(async (job) => {
        at.push(Date.now())
        attempts.push(job.attempt)
        if (job.attempt < 3) throw new Error(`boom ${job.attempt}`)
      })
      await q.add([{ id: 'flaky', data: { n: 1 } }])
      await waitFor(async () => (await q.counts()).completed === 1, 'eventual success')
      expect(attempts).toEqual([1, 2, 3])
      expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(90)
      expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(190)
      expect((await q.counts()).dead).toBe(0)
    })

    it('dead-letters a job that fails every attempt; replay runs it again', async () => {
      const q = await make({ attempts: 2, backoffMs: 20 })
      let healthy = false
      const last: boolean[] = []
      let done = 0
      q.consume(async (job) => {
        last.push(job.lastAttempt)
        if (!healthy) throw new Error('scorer exploded')
        done++
      })
      await q.add([{ id: 'doomed', data: { n: 7 } }])
      await waitFor(async () => (await q.deadLetters()).length === 1, 'dead letter')
      const [dead] = await q.deadLetters()
      expect(dead).toMatchObject({ id: 'doomed', data: { n: 7 }, error: 'scorer exploded', attempts: 2 })
      expect(last).toEqual([false, true])
      expect((await q.counts()).dead).toBe(1)

      healthy = true
      expect(await q.replay()).toBe(1)
      await waitFor(() => done === 1, 'replayed job')
      await waitFor(async () => (await q.counts()).dead === 0, 'dead list emptied')
      expect(await q.replay(['doomed'])).toBe(0)
    })

    it('does not deliver a delayed job before its delay', async () => {
      const q = await make()
      const added = Date.now()
      let deliveredAt = 0
      q.consume(async () => void (deliveredAt = Date.now()))
      await q.add([{ id: 'later', data: { n: 1 }, delayMs: 400 }])
      await waitFor(() => deliveredAt > 0, 'delayed delivery')
      expect(deliveredAt - added).toBeGreaterThanOrEqual(390)
    })

    it('graceful shutdown lets an in-flight job finish', async () => {
      const q = await make()
      const started = gate()
      const release = gate()
      let finished = 0
      const consumer = q.consume(async () => {
        started.open()
        await release.promise
        finished++
      })
      await q.add([{ id: 'inflight', data: { n: 1 } }])
      await started.promise
      const closing = consumer.close()
      await sleep(100)
      release.open()
      await closing
      expect(finished).toBe(1)
      await waitFor(async () => (await q.counts()).completed === 1, 'completion recorded')
    })

    it('returns an in-flight job that outlives the shutdown timeout to another consumer', async () => {
      const q = await make({ shutdownTimeoutMs: 200 })
      const started = gate()
      const seen: QueueJob<{ n: number }>[] = []
      const first = q.consume(async (job) => {
        seen.push(job)
        started.open()
        await new Promise<void>((resolve) => job.signal.addEventListener('abort', () => resolve()))
        throw new Error('aborted by shutdown')
      })
      await q.add([{ id: 'slow', data: { n: 1 } }])
      await started.promise
      await first.close()
      expect(seen[0]!.signal.aborted).toBe(true)
      let redone = 0
      q.consume(async () => void redone++)
      await waitFor(() => redone === 1, 'the returned job on a new consumer', 30_000)
      await waitFor(async () => (await q.counts()).completed === 1, 'completion')
      expect((await q.counts()).dead).toBe(0)
    }, 40_000)
  })
}
