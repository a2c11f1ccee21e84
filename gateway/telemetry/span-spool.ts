import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { open, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'

/** One spooled batch: `<sequence, 16 digits>-<spans>.otlp`, an encoded ExportTraceServiceRequest. */
export interface SpoolEntry {
  seq: number
  spans: number
  bytes: number
  file: string
}

export interface SpoolOptions {
  maxBytes: number
  /** fsync the file before its rename and the directory after, so a spooled batch survives a power loss. */
  fsync: boolean
}

const NAME = /^(\d{16})-(\d+)\.otlp$/
const LOCK = 'owner.pid'

/**
 * Span batches an endpoint did not acknowledge, one file each, oldest first. Bounded by bytes; a
 * batch is written to a temp file and renamed, so a file that exists is whole. Writes run one at a
 * time in the order they were asked for; one process owns the directory (a pid lock file).
 */
export class SpanSpool {
  private readonly entries: SpoolEntry[] = []
  /** Bytes on disk plus bytes being written. */
  private reserved = 0
  private nextSeq = 0
  private writes: Promise<unknown> = Promise.resolve()

  private constructor(
    readonly dir: string,
    private readonly options: SpoolOptions,
  ) {}

  /** Opens (or creates) the directory and indexes the batches a previous run left there. */
  static open(dir: string, options: SpoolOptions): SpanSpool {
    mkdirSync(dir, { recursive: true })
    takeLock(dir)
    const spool = new SpanSpool(dir, options)
    for (const name of readdirSync(dir)) {
      if (name.endsWith('.tmp')) {
        rmSync(join(dir, name), { force: true }) // a write the previous run did not finish: never acknowledged as spooled
        continue
      }
      const m = NAME.exec(name)
      if (!m) continue
      const file = join(dir, name)
      spool.entries.push({ seq: Number(m[1]), spans: Number(m[2]), bytes: statSync(file).size, file })
    }
    spool.entries.sort((a, b) => a.seq - b.seq)
    spool.reserved = spool.entries.reduce((n, e) => n + e.bytes, 0)
    spool.nextSeq = (spool.entries.at(-1)?.seq ?? -1) + 1
    return spool
  }

  get bytes(): number {
    return this.reserved
  }

  get batches(): number {
    return this.entries.length
  }

  get spans(): number {
    return this.entries.reduce((n, e) => n + e.spans, 0)
  }

  /** 'full' (nothing written) when the batch does not fit; rejects when the disk fails. */
  append(body: Uint8Array, spans: number): Promise<'spooled' | 'full'> {
    if (this.reserved + body.length > this.options.maxBytes) return Promise.resolve('full')
    this.reserved += body.length
    const seq = this.nextSeq++
    const file = join(this.dir, `${String(seq).padStart(16, '0')}-${spans}.otlp`)
    const written = this.writes
      .then(() => this.write(file, body))
      .then(
        () => {
          this.entries.push({ seq, spans, bytes: body.length, file })
          return 'spooled' as const
        },
        (err: unknown) => {
          this.reserved -= body.length
          throw err
        },
      )
    this.writes = written.catch(() => undefined)
    return written
  }

  private async write(file: string, body: Uint8Array): Promise<void> {
    const tmp = `${file}.tmp`
    try {
      const fh = await open(tmp, 'w')
      try {
        await fh.writeFile(body)
        if (this.options.fsync) await fh.sync()
      } finally {
        await fh.close()
      }
      await rename(tmp, file)
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined)
      throw err
    }
    if (this.options.fsync) await syncDir(this.dir)
  }

  oldest(): SpoolEntry | undefined {
    return this.entries[0]
  }

  /** The oldest batches that together stay within both bounds (at least one). */
  oldestGroup(maxBytes: number, maxSpans: number): SpoolEntry[] {
    const group: SpoolEntry[] = []
    let bytes = 0
    let spans = 0
    for (const e of this.entries) {
      if (group.length > 0 && (bytes + e.bytes > maxBytes || spans + e.spans > maxSpans)) break
      group.push(e)
      bytes += e.bytes
      spans += e.spans
    }
    return group
  }

  read(entry: SpoolEntry): Promise<Uint8Array> {
    return readFile(entry.file)
  }

  /**
   * Forgets the entry and deletes its file. Should the delete fail, the file is sent again after a
   * restart (the collector keeps one copy of a re-sent span).
   */
  async remove(entry: SpoolEntry): Promise<void> {
    const i = this.entries.indexOf(entry)
    if (i < 0) return
    this.entries.splice(i, 1)
    this.reserved -= entry.bytes
    await rm(entry.file, { force: true })
  }

  /** Waits for the writes asked for so far. */
  settled(): Promise<void> {
    return this.writes.then(() => undefined)
  }

  release(): void {
    const lock = join(this.dir, LOCK)
    try {
      if (Number(readFileSync(lock, 'utf8')) === process.pid) rmSync(lock, { force: true })
    } catch {
      // already gone
    }
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

/** Two live processes on one spool would send every batch twice: each replica needs its own data dir. */
function takeLock(dir: string): void {
  const lock = join(dir, LOCK)
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' })
    return
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  const owner = Number(readFileSync(lock, 'utf8'))
  if (owner !== process.pid && isAlive(owner)) {
    throw new Error(
      `the span spool ${dir} belongs to process ${owner}, which is running: give each gateway replica its own gateway.dataDir (LOOPGATE_DATA_DIR)`,
    )
  }
  writeFileSync(lock, String(process.pid))
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
