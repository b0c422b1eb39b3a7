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

/**
 * An error meant for the user: a clear message, a machine-readable code, optional details
 * (for example `{ file, row, field }`). Services throw it; transports carry it intact.
 */
export class AppError extends Error {
  readonly code: ApiErrorCode
  readonly details?: unknown
  constructor(code: ApiErrorCode, message: string, details?: unknown) {
    super(message)
    this.name = 'AppError'
    this.code = code
    this.details = details
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
