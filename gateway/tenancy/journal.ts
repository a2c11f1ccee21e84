import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { LimitSpec } from './limits.ts'
import type { SpendSink } from './memory-store.ts'

const JOURNAL_FILE = 'spend-journal.jsonl'

/** Settled spend per scope for the periods it was read for. */
export interface Recovered {
  scope: string
  day: string
  dayUnits: bigint
  month: string
  monthUnits: bigint
}

type Line = { s: string[]; d: string; m: string; u?: string; du?: string; mu?: string }

/**
 * Append-only journal of settled spend in the gateway's data dir, so a restart without Redis does not
 * forget what tenants spent. A settlement only appends a line to a buffer (no I/O on the request
 * path); every `flushMs` the buffer is written and fdatasync'ed. At start (and every `compactEvery`
 * lines) the file is rewritten as one total per scope for the current day and month (temp + rename).
 * A crash loses at most the last `flushMs` of settlements; a graceful stop loses none.
 */
export class SpendJournal implements SpendSink {
  private readonly path: string
  private buffer: string[] = []
  private file: FileHandle | undefined
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> | undefined
  private linesSinceCompaction = 0
  /** Per key's specs: the line up to the amount, for the current day and month (built once per day). */
  private readonly prefixes = new WeakMap<LimitSpec[], { day: string; month: string; text: string }>()

  constructor(
    dir: string,
    private readonly options: { flushMs: number; compactEvery: number; snapshot: () => Recovered[] },
    private readonly logger: Logger,
  ) {
    mkdirSync(dir, { recursive: true })
    this.path = join(dir, JOURNAL_FILE)
  }

  /** Reads the journal (skipping a torn last line), keeps the periods of `now`, and compacts the file. */
  load(day: string, month: string): Recovered[] {
    const totals = new Map<string, Recovered>()
    if (existsSync(this.path)) {
      let bad = 0
      for (const text of readFileSync(this.path, 'utf8').split('\n')) {
        if (!text) continue
        let line: Line
        try {
          line = JSON.parse(text) as Line
        } catch {
          bad++
          continue
        }
        for (const scope of line.s) {
          let t = totals.get(scope)
          if (!t) totals.set(scope, (t = { scope, day, dayUnits: 0n, month, monthUnits: 0n }))
          if (line.d === day) t.dayUnits += BigInt(line.du ?? line.u ?? '0')
          if (line.m === month) t.monthUnits += BigInt(line.mu ?? line.u ?? '0')
        }
      }
      if (bad)
        this.logger.warn(
          { file: this.path, lines: bad },
          'spend journal: unreadable lines skipped (a write cut by a crash)',
        )
    }
    const recovered = [...totals.values()].filter((t) => t.dayUnits > 0n || t.monthUnits > 0n)
    this.rewrite(recovered)
    return recovered
  }

  /** Starts appending (after load). */
  async open(): Promise<void> {
    this.file = await open(this.path, 'a')
    this.timer = setInterval(() => void this.flush(), this.options.flushMs)
    this.timer.unref()
  }

  record(specs: LimitSpec[], day: string, month: string, units: bigint): void {
    let p = this.prefixes.get(specs)
    if (!p || p.day !== day || p.month !== month) {
      p = { day, month, text: `{"s":${JSON.stringify(specs.map((s) => s.scope))},"d":"${day}","m":"${month}","u":"` }
      this.prefixes.set(specs, p)
    }
    this.buffer.push(p.text + units + '"}\n')
  }

  flush(): Promise<void> {
    if (this.flushing || !this.file || (!this.buffer.length && this.linesSinceCompaction < this.options.compactEvery))
      return this.flushing ?? Promise.resolve()
    this.flushing = this.write().finally(() => (this.flushing = undefined))
    return this.flushing
  }

  private async write(): Promise<void> {
    try {
      if (this.linesSinceCompaction >= this.options.compactEvery) {
        // The snapshot already holds every buffered settlement: both are taken in the same tick.
        const snapshot = this.options.snapshot()
        this.buffer = []
        await this.file!.close()
        this.file = undefined
        this.rewrite(snapshot)
        this.file = await open(this.path, 'a')
        return
      }
      const text = this.buffer.join('')
      const lines = this.buffer.length
      this.buffer = []
      await this.file!.appendFile(text)
      await this.file!.datasync()
      this.linesSinceCompaction += lines
    } catch (err) {
      this.logger.error(
        { err, file: this.path },
        'spend journal: write failed; spend since the last write is kept in memory only',
      )
    }
  }

  private rewrite(totals: Recovered[]): void {
    const tmp = `${this.path}.tmp`
    const fd = openSync(tmp, 'w')
    try {
      const text = totals
        .map(
          (t) =>
            `{"s":${JSON.stringify([t.scope])},"d":"${t.day}","m":"${t.month}","du":"${t.dayUnits}","mu":"${t.monthUnits}"}\n`,
        )
        .join('')
      if (text) writeSync(fd, text)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, this.path)
    this.linesSinceCompaction = 0
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    await this.flushing
    if (!this.file) return
    const fd = (this.file as FileHandle).fd
    if (this.buffer.length) {
      writeSync(fd, this.buffer.join(''))
      fdatasyncSync(fd)
      this.buffer = []
    }
    await this.file.close()
    this.file = undefined
  }
}
