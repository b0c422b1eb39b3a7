import type { z } from 'zod'

/**
 * One API method: a zod schema that validates what a caller sends, and the TypeScript type of
 * what it returns. Inputs come from outside (renderer, browser, LAN) and are always validated;
 * outputs come from our own main process and are typed only.
 */
export interface MethodDef<I extends z.ZodType = z.ZodType, O = unknown> {
  input: I
  /** Phantom: carries the output type, never read at run time. */
  output: O
  /** True when an annotator's token (serve mode on a LAN) may call it. */
  annotator: boolean
}

export function method<O>(opts: { annotator?: boolean } = {}) {
  return <I extends z.ZodType>(input: I): MethodDef<I, O> => ({
    input,
    output: undefined as O,
    annotator: opts.annotator ?? false
  })
}
