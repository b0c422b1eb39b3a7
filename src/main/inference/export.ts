import { guardFormula } from '../../shared/csv/formula'
import { writeCsv } from '../../shared/csv/write'

export { guardFormula }

/**
 * The benchmark's output layout, as IMHI.py's save_output writes it with pandas
 * (DataFrame({'goldens': ..., 'generated_text': ...}).to_csv(path, index=False)): the header
 * `goldens,generated_text`, LF line ends, minimal quoting with doubled quotes (Python csv's
 * QUOTE_MINIMAL), one row per item.
 */
export function imhiOutputCsv(rows: { goldens: string; generatedText: string }[], opts: { guard: boolean }): string {
  return writeCsv(
    ['goldens', 'generated_text'],
    rows.map((r) => [r.goldens, r.generatedText]),
    { guard: opts.guard, quoting: 'minimal' }
  )
}
