import { guardFormula } from '../../../../shared/csv/formula'

/**
 * CSV for exports, safe to open in a spreadsheet: a text cell that starts with =, +, -, @, a tab
 * or a carriage return is prefixed with an apostrophe so it is never run as a formula (OWASP CSV
 * injection). Numbers are written as numbers.
 */
export type Cell = string | number | null | undefined | boolean

export function csvCell(value: Cell): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : ''
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  const s = guardFormula(value)
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n'
}

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

export function downloadCsv(filename: string, header: readonly string[], rows: readonly (readonly Cell[])[]): void {
  // A BOM so spreadsheet programs read UTF-8.
  download(filename, new Blob(['\ufeff' + toCsv(header, rows)], { type: 'text/csv;charset=utf-8' }))
}

/** A file name from free text (a run name, a folder path). */
export function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 80) || 'export'
}
