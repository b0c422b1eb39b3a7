import type { Command } from 'commander'

/** The annotation domain's commands. */
export function registerAnnotation(program: Command): void {}
