import type { Command } from 'commander'

/** The evaluation domain's commands. */
export function registerEvaluation(program: Command): void {}
