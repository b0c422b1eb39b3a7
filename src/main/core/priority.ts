import { readlinkSync } from 'node:fs'
import { setPriority } from 'node:os'
import { isMainThread } from 'node:worker_threads'

/** How much lower the jobs lane runs than the thread that answers the UI (nice +10). */
export const JOBS_NICENESS = 10

/**
 * Lowers the CPU priority of the calling lane, so that on a busy machine the threads that answer
 * the window, the server and the core lane get the CPU first and a long job takes what is left.
 * A worker thread lowers only itself (Linux: /proc/thread-self names its thread id, and setpriority
 * applies per thread; the threads it starts later, llama.cpp's and ONNX Runtime's, inherit it);
 * a lane that is a process of its own (the desktop's utility process) lowers its process. Where the
 * thread cannot be named, nothing changes. Returns what it did, for the log.
 */
export function lowerLanePriority(niceness = JOBS_NICENESS): string {
  try {
    if (isMainThread) {
      setPriority(niceness)
      return `process priority +${niceness}`
    }
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop())
    if (!Number.isInteger(tid) || tid <= 0) return 'unchanged'
    setPriority(tid, niceness)
    return `thread ${tid} priority +${niceness}`
  } catch {
    return 'unchanged'
  }
}
