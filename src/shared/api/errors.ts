/** Error codes the API can answer with; the renderer shows `message`, which names the file/row/field. */
export type ApiErrorCode =
  | 'invalid_input'
  | 'unknown_method'
  | 'forbidden'
  | 'not_found'
  | 'bad_file'
  | 'conflict'
  | 'unsupported'
  | 'cancelled'
  | 'internal'

export interface ApiErrorBody {
  code: ApiErrorCode
  message: string
  details?: unknown
}

/** Longest error message carried anywhere (stderr, JSON reports, API answers). */
export const MAX_ERROR_CHARS = 2000
/** Largest `details` object carried, as JSON. */
export const MAX_ERROR_DETAILS_CHARS = 16_384

/** Keeps the start and the end of an over-long message, saying how much was cut. */
export function capMessage(message: string, max = MAX_ERROR_CHARS): string {
  if (message.length <= max) return message
  const tail = Math.floor(max * 0.2)
  const head = max - tail - 40
  return `${message.slice(0, head)} … [${message.length - head - tail} characters cut] … ${message.slice(message.length - tail)}`
}

function capDetails(details: unknown): unknown {
  if (details === undefined || details === null || typeof details !== 'object') {
    return typeof details === 'string' ? capMessage(details, 500) : details
  }
  let json: string
  try {
    json = JSON.stringify(details)
  } catch {
    return undefined
  }
  if (json.length <= MAX_ERROR_DETAILS_CHARS) return details
  // Too big: keep the short scalar fields (file, row, field, ...), drop the rest.
  const kept: Record<string, unknown> = { truncated: true }
  for (const [k, v] of Object.entries(details as Record<string, unknown>)) {
    if (typeof v === 'number' || typeof v === 'boolean' || v === null) kept[k] = v
    else if (typeof v === 'string') kept[k] = capMessage(v, 500)
  }
  return kept
}

/**
 * An error meant for the user: a clear message, a machine-readable code, optional details
 * (for example `{ file, row, field }`). Services throw it; transports carry it intact.
 */
export class AppError extends Error {
  readonly code: ApiErrorCode
  readonly details?: unknown
  constructor(code: ApiErrorCode, message: string, details?: unknown) {
    // Capped wherever it is made: a CSV header of a million columns must not become a 10 MB message.
    super(capMessage(message))
    this.name = 'AppError'
    this.code = code
    this.details = capDetails(details)
  }

  toBody(): ApiErrorBody {
    return { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) }
  }

  static from(err: unknown): AppError {
    if (err instanceof AppError) return err
    if (err && typeof err === 'object' && 'code' in err && 'message' in err && typeof (err as ApiErrorBody).message === 'string') {
      const body = err as ApiErrorBody
      if (isErrorCode(body.code)) return new AppError(body.code, body.message, body.details)
    }
    const message = err instanceof Error ? err.message : String(err)
    return new AppError('internal', message)
  }
}

const codes: ReadonlySet<string> = new Set<ApiErrorCode>([
  'invalid_input', 'unknown_method', 'forbidden', 'not_found', 'bad_file', 'conflict', 'unsupported', 'cancelled', 'internal'
])
function isErrorCode(code: unknown): code is ApiErrorCode {
  return typeof code === 'string' && codes.has(code)
}
