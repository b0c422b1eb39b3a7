import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs'
import { open, stat, type FileHandle } from 'node:fs/promises'
import { AppError } from '../../shared/api/errors'

/**
 * Every file the app reads from a user-chosen place goes through here: the path is checked to be
 * a regular file after resolving links (a FIFO, socket or device would block the open or the read
 * forever, and a folder is not a file), under a size limit, before a byte is read; the open itself
 * is non-blocking, and the open handle is checked again (the path may have changed in between).
 */

/** O_NONBLOCK: opening a FIFO that slipped past the stat returns at once instead of waiting for a writer. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0)

export interface RegularFileOptions {
  /** Names the file in errors (a layout path, or the path itself). */
  label?: string
  /** Larger files are refused before they are read; Infinity for model files. */
  maxBytes: number
  /** What kind of file, for the size message ("IMHI CSV files", "annotator packages"). */
  what?: string
  /** Appended to the size message, e.g. "(the largest released file is 3.2 MB)". */
  hint?: string
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder'
  if (st.isFIFO()) return 'a named pipe (FIFO)'
  if (st.isSocket()) return 'a socket'
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device'
  return 'not a regular file'
}

function mb(n: number): string {
  return `${(n / 1048576).toFixed(1)} MB`
}

function limit(n: number): string {
  const m = n / 1048576
  return Number.isInteger(m) ? `${m} MB` : mb(n)
}

/** The error for a path that is not a regular file, or too big. Null when it is fine. */
function refusal(st: Stats, label: string, opts: RegularFileOptions): AppError | null {
  if (!st.isFile()) {
    return new AppError('bad_file', `${label}: ${kindOf(st)}, not a regular file; only regular files are read (a link is followed to its target first).`, { file: label })
  }
  if (st.size > opts.maxBytes) {
    return new AppError(
      'bad_file',
      `${label}: the file is ${mb(st.size)}; ${opts.what ?? 'files'} larger than ${limit(opts.maxBytes)} are refused${opts.hint ? ` ${opts.hint}` : ''}.`,
      { file: label, sizeBytes: st.size, limitBytes: opts.maxBytes }
    )
  }
  return null
}

export function describeFsError(label: string, err: unknown): AppError {
  if (err instanceof AppError) return err
  const code = (err as NodeJS.ErrnoException)?.code
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'ENOENT'
        ? 'no such file'
        : code === 'ELOOP'
          ? 'a loop of links'
          : code === 'EISDIR'
            ? 'it is a folder'
            : (err as Error)?.message ?? String(err)
  return new AppError(code === 'ENOENT' ? 'not_found' : 'bad_file', `${label}: cannot read the file (${why}).`, { file: label })
}

/** Checks (following links) that `path` is a regular file within the limit; returns its stats. */
export function checkRegularFileSync(path: string, opts: RegularFileOptions): Stats {
  const label = opts.label ?? path
  let st: Stats
  try {
    st = statSync(path)
  } catch (err) {
    throw describeFsError(label, err)
  }
  const bad = refusal(st, label, opts)
  if (bad) throw bad
  return st
}

/** Opens a checked regular file; the caller closes the descriptor. */
export function openRegularFileSync(path: string, opts: RegularFileOptions): { fd: number; size: number } {
  const label = opts.label ?? path
  checkRegularFileSync(path, opts)
  let fd: number
  try {
    fd = openSync(path, OPEN_FLAGS)
  } catch (err) {
    throw describeFsError(label, err)
  }
  try {
    const st = fstatSync(fd)
    const bad = refusal(st, label, opts)
    if (bad) throw bad
    return { fd, size: st.size }
  } catch (err) {
    closeSync(fd)
    throw describeFsError(label, err)
  }
}

/** Reads a checked regular file whole. */
export function readRegularFileSync(path: string, opts: RegularFileOptions): Buffer {
  const label = opts.label ?? path
  const { fd, size } = openRegularFileSync(path, opts)
  try {
    const buf = Buffer.allocUnsafe(size)
    let off = 0
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off)
      if (n === 0) break
      off += n
    }
    return off === size ? buf : buf.subarray(0, off)
  } catch (err) {
    throw describeFsError(label, err)
  } finally {
    closeSync(fd)
  }
}

/** The async form: a FileHandle on a checked regular file (the caller closes it). */
export async function openRegularFile(path: string, opts: RegularFileOptions): Promise<{ handle: FileHandle; size: number }> {
  const label = opts.label ?? path
  let st: Stats
  try {
    st = await stat(path)
  } catch (err) {
    throw describeFsError(label, err)
  }
  const bad = refusal(st, label, opts)
  if (bad) throw bad
  let handle: FileHandle
  try {
    handle = await open(path, OPEN_FLAGS)
  } catch (err) {
    throw describeFsError(label, err)
  }
  try {
    const st2 = await handle.stat()
    const bad2 = refusal(st2, label, opts)
    if (bad2) throw bad2
    return { handle, size: st2.size }
  } catch (err) {
    await handle.close()
    throw describeFsError(label, err)
  }
}
