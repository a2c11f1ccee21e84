/** A parsed CSV record with the 1-based line it starts on (for error messages). */
export interface CsvRecord {
  line: number
  cells: string[]
}

export class ReplayDataError extends Error {}

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines; CRLF or LF. */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = []
  let cells: string[] = []
  let cell = ''
  let quoted = false
  let line = 1
  let recordLine = 1
  let i = 0
  const endRecord = () => {
    cells.push(cell)
    if (!(cells.length === 1 && cells[0] === '')) records.push({ line: recordLine, cells })
    cells = []
    cell = ''
  }
  while (i < text.length) {
    const c = text[i]!
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"'
          i += 2
          continue
        }
        quoted = false
      } else {
        if (c === '\n') line += 1
        cell += c
      }
      i += 1
      continue
    }
    if (c === '"' && cell === '') quoted = true
    else if (c === ',') {
      cells.push(cell)
      cell = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1
      endRecord()
      line += 1
      recordLine = line
    } else cell += c
    i += 1
  }
  if (quoted) throw new ReplayDataError(`line ${recordLine}: a quoted field is never closed`)
  if (cell !== '' || cells.length) endRecord()
  return records
}
