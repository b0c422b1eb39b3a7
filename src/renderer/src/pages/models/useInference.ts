import { useEffect, useState } from 'react'
import { api } from '@renderer/api/client'
import { useCall } from '@renderer/api/hooks'
import type { DownloadProgress, InferenceStatus } from '../../../../shared/api/inference'

/** The inference service's state, kept live by its 'inference.status' events. */
export function useInferenceStatus(probe = false): { status: InferenceStatus | undefined; reload: () => void } {
  const call = useCall('inference.status', { probe })
  const [live, setLive] = useState<InferenceStatus>()
  useEffect(() => api.on('inference.status', (s) => setLive(s)), [])
  useEffect(() => {
    if (call.data) setLive(call.data)
  }, [call.data])
  return { status: live, reload: call.reload }
}

/** Downloads in progress or finished in this session, from 'inference.downloadProgress' events. */
export function useDownloads(initial: DownloadProgress[] | undefined, onCompleted: () => void): DownloadProgress[] {
  const [map, setMap] = useState<Record<string, DownloadProgress>>({})
  useEffect(() => {
    // The server's list decides which downloads exist (a dismissed one is gone); an entry already known
    // from a progress event is fresher than the fetched one, and a just-started one may not be listed yet.
    if (initial)
      setMap((m) => {
        const next: Record<string, DownloadProgress> = Object.fromEntries(initial.map((d) => [d.downloadId, d]))
        for (const [id, d] of Object.entries(m)) if (id in next || d.status === 'downloading') next[id] = d
        return next
      })
  }, [initial])
  useEffect(
    () =>
      api.on('inference.downloadProgress', (d) => {
        setMap((m) => ({ ...m, [d.downloadId]: d }))
        if (d.status === 'completed') onCompleted()
      }),
    [onCompleted]
  )
  return Object.values(map)
}
