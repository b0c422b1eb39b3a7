import type { z } from 'zod'

/** "field.path: message; other.field: message" — names the field, as every error should. */
export function formatZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(payload)'}: ${i.message}`)
    .join('; ')
}
