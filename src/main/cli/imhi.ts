import { Option, type Command } from 'commander'
import { dbOption, intArg, jsonOption, printJson, withServices } from './common'
import { AppError } from '../../shared/api/errors'
import { HIGHLIGHT_END, HIGHLIGHT_START } from '../../shared/api/protocol'
import { SPLITS, type SplitName } from '../../shared/imhi/datasets'
import type { ImportReport } from '../../shared/api/imhi'

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((v) => v.trim()).filter(Boolean)]

function printImportReport(r: ImportReport): void {
  const out: string[] = []
  for (const f of r.files) {
    const what =
      f.error !== null
        ? `ERROR ${f.error}`
        : f.kind === 'outputs' || f.kind === 'skipped'
          ? `skipped: ${f.reason ?? f.kind}`
          : `${f.added} added, ${f.unchanged} unchanged${f.unlabeled ? `, ${f.unlabeled} without a gold label` : ''}`
    out.push(`${f.file.padEnd(56)} ${what}`)
  }
  out.push(`\n${r.added} rows added, ${r.unchanged} unchanged, ${r.errors} file error(s) in ${r.seconds.toFixed(2)} s (${r.root})`)
  process.stdout.write(out.join('\n') + '\n')
}

/** The imhi domain's commands. */
export function registerImhi(program: Command): void {
  program
    .command('import')
    .description('Import a folder in the MentalLLaMA layout (or one CSV of it) into the database; re-importing adds nothing twice')
    .argument('<path>', 'folder (e.g. a MentalLLaMA checkout) or one CSV file')
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (path: string, opts: { db: string; json?: boolean }) => {
      const report = await withServices(opts.db, (s) =>
        s.imhi.importPath(path, {
          onProgress: opts.json || !process.stderr.isTTY ? undefined : (p) => process.stderr.write(`\r${p.filesDone}/${p.filesTotal} files, ${p.rows} rows`.padEnd(60))
        })
      )
      if (!opts.json && process.stderr.isTTY) process.stderr.write('\r'.padEnd(61) + '\r')
      if (opts.json) printJson(report)
      else printImportReport(report)
      if (report.errors > 0) {
        const failed = report.files.filter((f) => f.error !== null)
        throw new AppError(
          'bad_file',
          `${failed.length} file(s) were not imported (the others were):\n` + failed.map((f) => `  ${f.error}`).join('\n'),
          { files: failed.map((f) => f.file) }
        )
      }
    })

  program
    .command('stats')
    .description('Items and gold-label counts per dataset and split')
    .addOption(dbOption())
    .addOption(jsonOption())
    .action(async (opts: { db: string; json?: boolean }) => {
      const stats = await withServices(opts.db, (s) => s.imhi.stats(), { readonly: true })
      if (opts.json) return printJson(stats)
      const lines: string[] = []
      for (const [name, ds] of Object.entries(stats.datasets)) {
        lines.push(`${name} (${ds.task})`)
        for (const [split, sp] of Object.entries(ds.splits)) {
          const labels = Object.entries(sp!.labels)
            .map(([l, n]) => `${l} ${n}`)
            .join(', ')
          lines.push(`  ${split.padEnd(18)} ${String(sp!.items).padStart(6)}  ${labels}`)
        }
      }
      lines.push(`reference ratings: ${stats.referenceRatings}`)
      if (Object.keys(stats.datasets).length === 0) lines.unshift('No items yet: run `imhi import PATH --db FILE` first.')
      process.stdout.write(lines.join('\n') + '\n')
    })

  program
    .command('search')
    .description('Full-text search of the posts: words, "phrases", prefix*, OR, -exclude')
    .argument('[query]', 'search text (empty: list items by the filters)', '')
    .addOption(dbOption())
    .addOption(new Option('--dataset <name>', 'dataset (repeat or comma-separate for several)').argParser(collect))
    .addOption(new Option('--split <name>', `split: ${SPLITS.join(', ')} (repeatable)`).argParser(collect))
    .addOption(new Option('--task <id>', 'task id, e.g. depression (repeatable)').argParser(collect))
    .addOption(new Option('--label <label>', 'gold label, e.g. yes (repeatable)').argParser(collect))
    .addOption(new Option('--limit <n>', 'items to return (1-1000)').default(20).argParser(intArg('--limit', 1)))
    .addOption(new Option('--offset <n>', 'items to skip').default(0).argParser(intArg('--offset', 0)))
    .addOption(jsonOption())
    .action(
      async (
        query: string,
        opts: { db: string; dataset?: string[]; split?: string[]; task?: string[]; label?: string[]; limit: number; offset: number; json?: boolean }
      ) => {
        if (opts.limit > 1000) throw new AppError('invalid_input', `--limit must be at most 1000, got ${opts.limit}`)
        for (const s of opts.split ?? []) {
          if (!(SPLITS as readonly string[]).includes(s)) throw new AppError('invalid_input', `--split: unknown split "${s}"; splits are ${SPLITS.join(', ')}`)
        }
        if (query.length > 1000) throw new AppError('invalid_input', 'the query is longer than 1000 characters')
        const result = await withServices(opts.db, (s) =>
          s.imhi.search({
            query,
            datasets: opts.dataset,
            splits: opts.split as SplitName[] | undefined,
            tasks: opts.task,
            labels: opts.label,
            limit: opts.limit,
            offset: opts.offset
          }),
          { readonly: true }
        )
        if (opts.json) return printJson(result)
        const mark = (t: string) => t.split(HIGHLIGHT_START).join('[').split(HIGHLIGHT_END).join(']').replace(/\s+/g, ' ')
        const lines = result.items.map((i) => `#${i.id}  ${i.dataset}/${i.split}  ${i.goldLabel ?? '-'}\n    ${mark(i.snippet)}`)
        lines.push(`${result.total}${result.totalExact ? '' : '+'} match(es)${result.total > result.items.length ? `, showing ${opts.offset + 1}-${opts.offset + result.items.length}` : ''}`)
        process.stdout.write(lines.join('\n') + '\n')
      }
    )
}
