import type { Command } from 'commander'
import { resolve } from 'node:path'
import { doctor } from '../db/doctor'
import { AppError } from '../../shared/api/errors'
import { dbOption, jsonOption, printJson, type Register } from './common'

/** `imhi doctor --db FILE`: check a database; when damaged, back it up and recover what can be read. */
export const registerDoctor: Register = (program: Command) => {
  program
    .command('doctor')
    .description('check a database (integrity_check); when it is damaged, back it up byte for byte and copy every readable row into FILE.recovered-DATE.db')
    .addOption(dbOption())
    .option('--backup', 'make the backup copy even when the check passes')
    .addOption(jsonOption())
    .action((opts: { db: string; backup?: boolean; json?: boolean }) => {
      const file = resolve(opts.db)
      const r = doctor(file, { backup: opts.backup })
      if (opts.json) printJson(r)
      else {
        const lines = [r.ok ? `${file}: ok (integrity_check found no problem).` : `${file}: DAMAGED: ${r.problems.slice(0, 10).join('; ')}`]
        if (r.backup) lines.push(`backup (byte for byte, untouched): ${r.backup}`)
        if (r.recovered) {
          lines.push(`recovered into: ${r.recovered}`)
          for (const t of r.tables) lines.push(`  ${t.table.padEnd(22)} ${String(t.copied).padStart(8)} rows${t.lost ? `  LOST: ${t.lost}` : ''}`)
          lines.push(`Check the recovered database (imhi stats --db ${r.recovered}), then keep it in place of ${file}; the full-text index is rebuilt when it is first opened read-write.`)
        }
        process.stdout.write(lines.join('\n') + '\n')
      }
      if (!r.ok) {
        throw new AppError('bad_file', `${file} is damaged; a backup and a recovered copy were made (see above).`, { file, backup: r.backup, recovered: r.recovered })
      }
    })
}
