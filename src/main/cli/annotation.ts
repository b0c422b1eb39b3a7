import { Option, type Command } from 'commander'
import { dbOption, intArg, jsonOption, printJson, withServices } from './common'
import { AppError } from '../../shared/api/errors'
import type { AgreementResult } from '../../shared/api/annotation'
import { parseScale, ratingsFromFile, type GivenScale } from '../annotation/io'
import { agreementReport } from '../annotation/agreement/report'

const fmt = (x: number | null) => (x === null ? '—' : x.toFixed(3))

function printAgreement(r: Pick<AgreementResult, 'aspects' | 'pooled'>): void {
  const rows = Object.entries(r.aspects).map(([k, a]) => [
    k.padEnd(14),
    fmt(a.krippendorff_alpha_interval).padStart(9),
    fmt(a.krippendorff_alpha_ordinal).padStart(9),
    fmt(a.fleiss_kappa).padStart(8),
    fmt(a.cohen_quadratic_mean).padStart(9),
    String(a.items).padStart(6),
    String(a.annotators).padStart(5)
  ])
  process.stdout.write(`${'aspect'.padEnd(14)} ${'alpha_int'.padStart(9)} ${'alpha_ord'.padStart(9)} ${'fleiss'.padStart(8)} ${'cohen_qw'.padStart(9)} ${'items'.padStart(6)} ${'raters'.padStart(5)}\n`)
  for (const row of rows) process.stdout.write(row.join(' ') + '\n')
  process.stdout.write(`alpha nominal: ${Object.entries(r.aspects).map(([k, a]) => `${k} ${fmt(a.krippendorff_alpha_nominal)}`).join(', ')}\n`)
  process.stdout.write(`pooled (all aspects): alpha interval ${fmt(r.pooled.krippendorff_alpha_interval)}, ordinal ${fmt(r.pooled.krippendorff_alpha_ordinal)} over ${r.pooled.units} units\n`)
}

/** The annotation domain's commands. */
export function registerAnnotation(program: Command): void {
  const ann = program.command('annotations').description('Human annotation studies: import, export, annotator packages')

  ann
    .command('import')
    .description('Import ratings from a CSV in the imhi layout (text,label,<explanation>,fluency,...) or the long layout as a study')
    .argument('<csv>', 'the CSV file')
    .addOption(dbOption())
    .addOption(new Option('--study <name>', 'study name (default: the file name); an imported study of that name gets the file as another source'))
    .addOption(jsonOption())
    .action(async (csv: string, opts: { db: string; study?: string; json?: boolean }) => {
      await withServices(opts.db, (s) => {
        const r = s.annotation.importCsv(csv, opts.study)
        if (opts.json) printJson(r)
        else process.stdout.write(`Imported ${r.file} (${r.layout} layout) into study ${r.studyId} "${r.studyName}": ${r.items} items, ${r.annotators.length} annotators, ${r.ratings} ratings.\n`)
      })
    })

  ann
    .command('export')
    .description('Export a study\'s ratings as CSV (imhi: one row per item, score lists; long: one row per item x annotator x aspect; adjudicated: the lead\'s decisions)')
    .addOption(dbOption())
    .addOption(new Option('--study <id>', 'study id').argParser(intArg('--study')).makeOptionMandatory())
    .addOption(new Option('--format <format>', 'imhi, long or adjudicated').choices(['imhi', 'long', 'adjudicated']).default('imhi'))
    .addOption(new Option('--out <file>', 'output CSV file').makeOptionMandatory())
    .addOption(new Option('--bom', 'start with a UTF-8 byte-order mark (for Excel)'))
    .addOption(new Option('--source <source>', 'only the items of one source (e.g. an imported file\'s name)'))
    .addOption(jsonOption())
    .action(async (opts: { db: string; study: number; format: 'imhi' | 'long' | 'adjudicated'; out: string; bom?: boolean; source?: string; json?: boolean }) => {
      await withServices(opts.db, (s) => {
        const r = s.annotation.exportCsv({ studyId: opts.study, format: opts.format, path: opts.out, bom: Boolean(opts.bom), source: opts.source })
        if (opts.json) printJson({ path: r.path, rows: r.rows, format: r.format })
        else process.stdout.write(`Wrote ${r.rows} rows (${r.format} layout) to ${r.path}\n`)
      })
    })

  ann
    .command('studies')
    .description('List the annotation studies')
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (opts: { db: string; json?: boolean }) => {
      await withServices(opts.db, (s) => {
        const list = s.annotation.listStudies()
        if (opts.json) return printJson(list)
        for (const st of list) process.stdout.write(`${st.id}\t${st.name}\t${st.items} items\t${st.annotators} annotators\t${st.ratings}/${st.expected} ratings\n`)
      })
    })

  ann
    .command('package')
    .description("Export one annotator's package (their queue, blinded items and ratings) to rate on another machine")
    .addOption(dbOption())
    .addOption(new Option('--study <id>', 'study id').argParser(intArg('--study')).makeOptionMandatory())
    .addOption(new Option('--annotator <id>', 'annotator id').argParser(intArg('--annotator')).makeOptionMandatory())
    .addOption(new Option('--out <file>', 'package file (.json)').makeOptionMandatory())
    .addOption(jsonOption())
    .action(async (opts: { db: string; study: number; annotator: number; out: string; json?: boolean }) => {
      await withServices(opts.db, (s) => {
        const r = s.annotation.exportPackage(opts.study, opts.annotator, opts.out)
        if (opts.json) printJson(r)
        else process.stdout.write(`Wrote ${r.path}: ${r.items} items, ${r.ratings} ratings\n`)
      })
    })

  ann
    .command('merge')
    .description("Merge an annotator's package; differing ratings are listed as conflicts and kept as they are unless --take says otherwise")
    .argument('<package>', 'package file (.json)')
    .addOption(dbOption())
    .addOption(new Option('--take <side>', 'resolve every conflict: keep mine (this database) or take theirs (the package)').choices(['mine', 'theirs']))
    .addOption(jsonOption())
    .action(async (file: string, opts: { db: string; take?: 'mine' | 'theirs'; json?: boolean }) => {
      await withServices(opts.db, (s) => {
        const r = s.annotation.mergePackage({ path: file, resolveAll: opts.take, resolutions: [] })
        if (opts.json) return printJson(r)
        process.stdout.write(
          `${r.created ? 'Created' : 'Merged into'} study ${r.studyId} "${r.studyName}" for ${r.annotator}: ${r.added} added, ${r.unchanged} unchanged, ${r.resolved} resolved, ${r.conflicts.length} conflict(s).\n`
        )
        for (const c of r.conflicts) process.stdout.write(`  conflict: item ${c.item}, ${c.field}: mine ${JSON.stringify(c.mine)}, theirs ${JSON.stringify(c.theirs)}\n`)
        if (r.conflicts.length) process.stdout.write('Nothing was overwritten. Re-run with --take mine or --take theirs to decide.\n')
      })
    })

  program
    .command('agreement')
    .description("Inter-rater agreement per aspect: Krippendorff's alpha (interval, ordinal), Fleiss' kappa, quadratic-weighted Cohen's kappa")
    .argument('[csv]', 'a CSV in the long or imhi layout (instead of --db/--study)')
    .addOption(new Option('--db <file>', 'SQLite database file'))
    .addOption(new Option('--study <id>', 'study id').argParser(intArg('--study')))
    .addOption(
      new Option('--scale <min-max>', "the rating scale of every aspect in the CSV, e.g. 1-5 (default: the file's scale_min/scale_max columns, else the IMHI 0-3)").argParser((v) => {
        const s = parseScale(v)
        if (!s) throw new AppError('invalid_input', `--scale: "${v}" is not a scale like 1-5 (two integers, min below max).`)
        return s
      })
    )
    .addOption(jsonOption())
    .action(async (csv: string | undefined, opts: { db?: string; study?: number; scale?: GivenScale; json?: boolean }) => {
      let result: AgreementResult
      if (csv) {
        if (opts.db || opts.study) throw new AppError('invalid_input', 'Give either a CSV file or --db with --study, not both.')
        const { ratings, scales } = ratingsFromFile(csv, opts.scale)
        result = agreementReport(ratings, scales)
      } else {
        if (!opts.db || opts.study === undefined) throw new AppError('invalid_input', 'Give a CSV file, or --db FILE and --study ID.')
        if (opts.scale) throw new AppError('invalid_input', "--scale is for a CSV file; a study's aspects carry their own scales.")
        result = await withServices(opts.db, (s) => s.annotation.agreement(opts.study!))
      }
      if (opts.json) printJson(result)
      else printAgreement(result)
    })
}
