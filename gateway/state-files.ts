import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface StateFilesOptions<S> {
  /** File names inside the data directory: the last state (JSON) and its audit trail (JSON lines). */
  stateFile: string
  auditFile: string
  /** Turns the file's JSON into the state (validating or upgrading it). */
  parse: (json: unknown) => S
  /** What the operator should do with a state file that cannot be read. */
  fixHint: string
  /** File mode of the state file (e.g. 0o600 when it holds key hashes). */
  mode?: number
}

/** A versioned state and its audit trail on disk, so a restart keeps the last version. */
export class StateFiles<S, A> {
  private readonly statePath: string
  private readonly auditPath: string
  private saving: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly dir: string,
    private readonly options: StateFilesOptions<S>,
  ) {
    this.statePath = join(dir, options.stateFile)
    this.auditPath = join(dir, options.auditFile)
  }

  async load(): Promise<S | undefined> {
    try {
      return this.options.parse(JSON.parse(await readFile(this.statePath, 'utf8')))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new Error(`cannot read ${this.statePath}: ${(err as Error).message}; ${this.options.fixHint}`, {
        cause: err,
      })
    }
  }

  /**
   * Written to a temporary file and renamed: a crash never leaves half a state. Saves run one at a
   * time in call order (an admin push and a fan-out can save at once): two writers of the one
   * temporary file failed the second rename, and a late older state could land last.
   */
  save(state: S): Promise<void> {
    const saved = this.saving.then(() => this.write(state))
    this.saving = saved.catch(() => undefined)
    return saved
  }

  private async write(state: S): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    const tmp = `${this.statePath}.${process.pid}.tmp`
    await writeFile(
      tmp,
      JSON.stringify(state),
      this.options.mode === undefined ? undefined : { mode: this.options.mode },
    )
    await rename(tmp, this.statePath)
  }

  async appendAudit(entry: A): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    await appendFile(this.auditPath, `${JSON.stringify(entry)}\n`)
  }

  /** Newest first. */
  async readAudit(limit: number): Promise<A[]> {
    let text: string
    try {
      text = await readFile(this.auditPath, 'utf8')
    } catch {
      return []
    }
    return text
      .split('\n')
      .filter(Boolean)
      .slice(-limit)
      .reverse()
      .map((l) => JSON.parse(l) as A)
  }
}
