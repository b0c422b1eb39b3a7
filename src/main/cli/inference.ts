import type { Command } from 'commander'

/** The inference domain's commands. */
export function registerInference(program: Command): void {}
