import { contract, isMethodName, type ApiEvents, type EventName, type MethodName, type Output, type ParsedInput } from '../../shared/api/contract'
import { AppError } from '../../shared/api/errors'
import { formatZodError } from './validate'

export interface ClientInfo {
  /** Stable for one connection/window; lets a service address one client's events. */
  id: string
  transport: 'electron' | 'serve'
  role: 'owner' | 'annotator'
  annotatorId: number | null
}

export interface CallContext {
  client: ClientInfo
  /** Sends an event to the calling client only (e.g. the tokens of the generation it asked for). */
  emit: <E extends EventName>(event: E, payload: ApiEvents[E]) => void
}

export type Handler<M extends MethodName> = (input: ParsedInput<M>, ctx: CallContext) => Promise<Output<M>> | Output<M>
export type Handlers = { [M in MethodName]: Handler<M> }

/**
 * The single entry for every API call, whatever carried it: checks the method exists, that this
 * caller may use it, validates the payload against the contract's schema, then runs the handler.
 */
export async function dispatch(handlers: Handlers, method: string, params: unknown, ctx: CallContext): Promise<unknown> {
  if (!isMethodName(method)) throw new AppError('unknown_method', `Unknown API method "${method}".`)
  const def = contract[method]
  if (ctx.client.role !== 'owner' && !def.annotator) {
    throw new AppError('forbidden', `An annotator's token may not call "${method}".`)
  }
  const parsed = def.input.safeParse(params ?? {})
  if (!parsed.success) {
    throw new AppError('invalid_input', `Invalid input for ${method}: ${formatZodError(parsed.error)}`, {
      issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }))
    })
  }
  const handler = handlers[method] as (input: unknown, ctx: CallContext) => unknown
  return await handler(parsed.data, ctx)
}
