import type { Command } from 'commander'

/** The imhi domain's commands. */
export function registerImhi(program: Command): void {}
