import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { AppError } from '../../shared/api/errors'
import type { DownloadProgress, ModelInfo } from '../../shared/api/inference'
import type { ServiceContext } from '../services'

/**
 * Model downloads into DATA_DIR/models (node-llama-cpp's downloader: https:// and hf: addresses),
 * resumable, with progress broadcast and a watchdog for a download that stopped receiving bytes.
 * A finished file is added to the library through `addModel`.
 */
export function createDownloads(deps: {
  modelsDir: string
  stallMs: number
  events: ServiceContext['events']
  addModel: (input: { path: string; baseModelId?: number }) => Promise<ModelInfo>
}) {
  const { modelsDir, events } = deps
  const downloadStallMs = deps.stallMs
  const downloads = new Map<string, DownloadProgress & { cancel?: () => Promise<void> }>()
  const downloadPromises = new Map<string, Promise<void>>()

  /** Starts a download into DATA_DIR/models; resumes a partial file; progress is broadcast. */
  async function download(input: { uri: string; baseModelId?: number }): Promise<DownloadProgress> {
    const uri = input.uri.trim()
    if (!/^hf:[\w.-]+\/[\w.-]+(?::[\w.-]+|\/[\w./-]+)?$/.test(uri) && !/^https?:\/\/[^\s]+$/i.test(uri)) {
      throw new AppError('invalid_input', `"${uri}" is not a model address: use https://…/model.gguf or hf:user/repo:quant (e.g. hf:user/MentaLLaMA-chat-7B-GGUF:Q4_K_M).`, { field: 'uri' })
    }
    for (const d of downloads.values()) {
      if (d.uri === uri && d.status === 'downloading') return (({ cancel: _c, ...rest }) => rest)(d)
    }
    mkdirSync(modelsDir, { recursive: true })
    const downloadId = randomUUID().slice(0, 8)
    const entry: DownloadProgress & { cancel?: () => Promise<void> } = {
      downloadId,
      uri,
      status: 'downloading',
      downloadedBytes: 0,
      totalBytes: 0,
      error: null,
      modelId: null
    }
    downloads.set(downloadId, entry)
    let lastEmit = 0
    const publish = (force = false) => {
      const now = Date.now()
      if (!force && now - lastEmit < 250) return
      lastEmit = now
      const { cancel: _c, ...d } = entry
      events.broadcast('inference.downloadProgress', d)
    }
    const controller = new AbortController()
    entry.cancel = async () => controller.abort()
    // The downloader retries a dropped connection without end; no new bytes for a while means
    // the download broke off: stop it (the partial file stays, so starting again resumes).
    let stalled = false
    let lastBytes = -1
    let lastChange = Date.now()
    const watchdog = setInterval(() => {
      if (entry.downloadedBytes !== lastBytes) {
        lastBytes = entry.downloadedBytes
        lastChange = Date.now()
      } else if (Date.now() - lastChange > downloadStallMs) {
        stalled = true
        controller.abort()
      }
    }, Math.min(1000, downloadStallMs / 4))
    watchdog.unref()
    const run = async () => {
      try {
        const abortedEarly = new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }))
        abortedEarly.catch(() => undefined)
        // Imported here, not at the top: node-llama-cpp costs ~0.4 s to load and only downloads need it
        // on this thread (every CLI command builds this service).
        const { createModelDownloader } = await import('node-llama-cpp')
        const downloader = await Promise.race([abortedEarly, createModelDownloader({
          modelUri: uri,
          dirPath: modelsDir,
          showCliProgress: false,
          deleteTempFileOnCancel: false,
          skipExisting: true,
          onProgress: ({ totalSize, downloadedSize }) => {
            entry.totalBytes = totalSize
            entry.downloadedBytes = downloadedSize
            publish()
          }
        })])
        entry.totalBytes = downloader.totalSize
        // download() does not always settle on abort (a request the server never answers):
        // the abort wins the race and the downloader is cancelled, keeping the partial file.
        const aborted = new Promise<never>((_, reject) => {
          const onAbort = () => {
            void downloader.cancel({ deleteTempFile: false }).catch(() => undefined)
            reject(new Error('aborted'))
          }
          if (controller.signal.aborted) onAbort()
          else controller.signal.addEventListener('abort', onAbort, { once: true })
        })
        const path = await Promise.race([downloader.download({ signal: controller.signal }), aborted])
        const model = await deps.addModel({ path, baseModelId: input.baseModelId })
        entry.status = 'completed'
        entry.modelId = model.id
        entry.downloadedBytes = entry.totalBytes = model.sizeBytes
      } catch (err) {
        if (stalled && !entry.totalBytes && !entry.downloadedBytes) {
          // Nothing ever arrived: it did not break off, it never started (offline, a server that does not answer).
          entry.status = 'failed'
          entry.error = `The download of ${uri} could not start: no answer in ${Math.round(downloadStallMs / 1000)} s${uri.startsWith('hf:') ? ' from huggingface.co' : ''}. Check that this computer is online, then start it again.`
        } else if (stalled) {
          entry.status = 'failed'
          entry.error = `The download of ${uri} broke off after ${(entry.downloadedBytes / 2 ** 20).toFixed(1)} MiB of ${entry.totalBytes ? (entry.totalBytes / 2 ** 20).toFixed(1) + ' MiB' : '?'}: no data for ${Math.round(downloadStallMs / 1000)} s. Start it again to resume.`
        } else if (controller.signal.aborted) {
          entry.status = 'cancelled'
          entry.error = 'cancelled; start the same download again to resume it'
        } else {
          entry.status = 'failed'
          const msg = err instanceof Error ? err.message : String(err)
          entry.error =
            err instanceof AppError
              ? err.message
              : entry.downloadedBytes > 0
                ? `The download of ${uri} broke off after ${(entry.downloadedBytes / 2 ** 20).toFixed(1)} MiB: ${msg}. Start it again to resume.`
                : `The download of ${uri} could not start: ${msg}${uri.startsWith('hf:') ? ' (hf: addresses need huggingface.co)' : ''}. Check that this computer is online and the address is right, then start it again.`
        }
      } finally {
        clearInterval(watchdog)
        delete entry.cancel
        publish(true)
      }
    }
    entry.cancel = async () => controller.abort()
    const promise = run()
    downloadPromises.set(downloadId, promise)
    promise.finally(() => downloadPromises.delete(downloadId))
    publish(true)
    return (({ cancel: _c, ...d }) => d)(entry)
  }

  /** Resolves when a download ends (tests and the CLI wait on it). */
  async function waitForDownload(downloadId: string): Promise<DownloadProgress> {
    await downloadPromises.get(downloadId)
    const d = downloads.get(downloadId)
    if (!d) throw new AppError('not_found', `No download ${downloadId}.`)
    return (({ cancel: _c, ...rest }) => rest)(d)
  }

  async function cancelDownload(downloadId: string): Promise<DownloadProgress> {
    const d = downloads.get(downloadId)
    if (!d) throw new AppError('not_found', `No download ${downloadId}.`, { field: 'downloadId' })
    await d.cancel?.()
    await downloadPromises.get(downloadId)
    return (({ cancel: _c, ...rest }) => rest)(d)
  }

  /** Removes a finished download (failed, cancelled or completed) from the list; a running one must be cancelled first. */
  function dismissDownload(downloadId: string): { dismissed: string } {
    const d = downloads.get(downloadId)
    if (!d) throw new AppError('not_found', `No download ${downloadId}.`, { field: 'downloadId' })
    if (d.status === 'downloading') throw new AppError('conflict', `The download of ${d.uri} is still running: cancel it first.`)
    downloads.delete(downloadId)
    return { dismissed: downloadId }
  }

  return {
    download,
    waitForDownload,
    cancelDownload,
    dismissDownload,
    /** Every download this process knows (for the status), without its cancel handle. */
    list: (): DownloadProgress[] => [...downloads.values()].map(({ cancel: _c, ...d }) => d),
    /** Stops every running download (the partial files stay, so starting again resumes). */
    async cancelAll(): Promise<void> {
      for (const d of downloads.values()) await d.cancel?.()
    }
  }
}

export type Downloads = ReturnType<typeof createDownloads>
