/**
 * Spreadsheet formula injection (OWASP "CSV injection"): a cell that starts with = + - @ tab or
 * CR is prefixed with an apostrophe so a spreadsheet never runs it. The rule is reversible: a
 * cell that already starts with apostrophes followed by one of those gets one more, and
 * `unguardFormula` removes exactly one. Every CSV the app writes goes through `guardFormula`.
 */
const RISKY = /^'*[=+\-@\t\r]/
const GUARDED = /^'+[=+\-@\t\r]/

export function guardFormula(value: string): string {
  return RISKY.test(value) ? `'${value}` : value
}

export function unguardFormula(value: string): string {
  return GUARDED.test(value) ? value.slice(1) : value
}
