import { useCallback, useEffect, useRef, useState } from 'react'
import type { Input, MethodName, Output } from '../../../shared/api/contract'
import { AppError } from '../../../shared/api/errors'
import { api } from './client'

export interface CallState<T> {
  data: T | undefined
  error: AppError | null
  loading: boolean
  reload: () => void
}

/** Calls an API method when `input` changes (compared as JSON); `null` input skips the call. */
export function useCall<M extends MethodName>(method: M, input: Input<M> | null): CallState<Output<M>> {
  const [data, setData] = useState<Output<M>>()
  const [error, setError] = useState<AppError | null>(null)
  const [loading, setLoading] = useState(input !== null)
  const [tick, setTick] = useState(0)
  const key = input === null ? null : JSON.stringify(input)
  const seq = useRef(0)
  useEffect(() => {
    if (key === null) return
    const mine = ++seq.current
    setLoading(true)
    api.call(method, JSON.parse(key) as Input<M>).then(
      (result) => {
        if (mine !== seq.current) return
        setData(result)
        setError(null)
        setLoading(false)
      },
      (err: unknown) => {
        if (mine !== seq.current) return
        setError(AppError.from(err))
        setLoading(false)
      }
    )
  }, [method, key, tick])
  const reload = useCallback(() => setTick((t) => t + 1), [])
  return { data, error, loading, reload }
}
