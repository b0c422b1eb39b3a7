import { writeCsv, type CsvCell } from '../../../../shared/csv/write'

export function download(filename: string, data: Blob): void {
  const url = URL.createObjectURL(data)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/**
 * A table downloaded as CSV, safe to open in a spreadsheet (the one writer, src/shared/csv/write.ts:
 * formula cells guarded, numbers as numbers), CRLF and a byte-order mark so spreadsheet programs
 * read it as UTF-8.
 */
export function downloadCsv(filename: string, header: readonly string[], rows: readonly (readonly CsvCell[])[]): void {
  download(filename, new Blob([writeCsv(header, rows, { newline: '\r\n', bom: true })], { type: 'text/csv;charset=utf-8' }))
}

/** A file name from free text (a run name, a folder path). */
export function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 80) || 'export'
}
