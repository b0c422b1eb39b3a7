import { guardFormula } from '../../shared/csv/formula'

export { guardFormula }

/** Python csv's QUOTE_MINIMAL (what pandas' to_csv writes): quote only for comma, quote, line break. */
function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value
}

/**
 * The benchmark's output layout, as IMHI.py's save_output writes it with pandas
 * (DataFrame({'goldens': ..., 'generated_text': ...}).to_csv(path, index=False)): the header
 * `goldens,generated_text`, LF line ends, minimal quoting with doubled quotes, one row per item.
 */
export function imhiOutputCsv(rows: { goldens: string; generatedText: string }[], opts: { guard: boolean }): string {
  const g = opts.guard ? guardFormula : (v: string) => v
  let out = 'goldens,generated_text\n'
  for (const r of rows) out += `${csvField(g(r.goldens))},${csvField(g(r.generatedText))}\n`
  return out
}
