/**
 * Whether a process with this id exists (signal 0 checks without sending anything). EPERM means it
 * exists but belongs to another user: alive. Used to tell a lock or a 'running' run whose owner
 * died from one whose owner still works.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
