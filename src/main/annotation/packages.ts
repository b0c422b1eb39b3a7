import { readRegularFileSync } from '../files/regular'
import { resolve } from 'node:path'
import { z } from 'zod'
import { AppError } from '../../shared/api/errors'
import type { AspectDef, MergeConflict, MergeReport } from '../../shared/api/annotation'
import type { ParsedInput } from '../../shared/api/contract'
import { formatZodError } from '../api/validate'
import { MAX_IMPORT_BYTES, writeFileAtomic } from './io'
import type { AnnotationCore } from './service'

/**
 * An annotator's package: everything one annotator needs to rate on another machine (the study's
 * guidelines and aspects, their queue, blinded items) and everything they rated. The same file
 * goes out to the annotator and comes back to the lead; merging never overwrites silently.
 */
export const PACKAGE_FORMAT = 'imhi-annotation-package'

const aspect = z.object({ key: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/), label: z.string().max(64), min: z.number().int(), max: z.number().int(), rubric: z.array(z.string().max(500)) })
export const packageSchema = z
  .object({
    format: z.literal(PACKAGE_FORMAT),
    version: z.literal(1),
    exportedAt: z.string(),
    study: z.object({
      uid: z.string().min(8).max(64),
      name: z.string().min(1).max(200),
      guidelines: z.string().max(50_000),
      aspects: z.array(aspect).min(1).max(20),
      annotatorsPerItem: z.number().int().min(1),
      seed: z.number().int().min(0),
      breakMinutes: z.number().int().min(0).max(600)
    }),
    annotator: z.object({ uid: z.string().min(8).max(64), name: z.string().min(1).max(64), ordinal: z.number().int().min(0), orderSeed: z.number().int().min(0) }),
    items: z.array(z.object({ key: z.string().min(1).max(400), queuePos: z.number().int().min(0), post: z.string(), explanation: z.string(), sensitive: z.boolean() })).max(200_000),
    ratings: z.array(z.object({ item: z.string().min(1).max(400), aspect: z.string().max(32), score: z.number().int(), ratedAt: z.string().max(40) })).max(2_000_000),
    states: z.array(z.object({ item: z.string().min(1).max(400), flagged: z.boolean(), skipped: z.boolean(), note: z.string().max(10_000), seconds: z.number().min(0) })).max(200_000)
  })
  .strict()
export type AnnotatorPackage = z.infer<typeof packageSchema>

export function createPackages(core: AnnotationCore) {
  const { db, store } = core

  function exportPackage(studyId: number, annotatorId: number, path: string): { path: string; items: number; ratings: number } {
    const study = core.studyRow(studyId)
    const member = store.memberOf
      .get(studyId, annotatorId) as { uid: string; name: string; ordinal: number; order_seed: number } | undefined
    if (!member) throw new AppError('not_found', `Annotator ${annotatorId} is not part of study ${studyId}.`)
    const items = store.packageItems
      .all(studyId, annotatorId) as { key: string; queuePos: number; post: string; explanation: string; sensitive: number }[]
    const ratings = store.packageRatings
      .all(studyId, annotatorId) as AnnotatorPackage['ratings']
    const states = store.packageStates
      .all(studyId, annotatorId) as { item: string; flagged: number; skipped: number; note: string; seconds: number }[]
    const pkg: AnnotatorPackage = {
      format: PACKAGE_FORMAT,
      version: 1,
      exportedAt: new Date().toISOString(),
      study: {
        uid: study.uid,
        name: study.name,
        guidelines: study.guidelines,
        aspects: JSON.parse(study.aspects) as AspectDef[],
        annotatorsPerItem: study.annotators_per_item,
        seed: study.seed,
        breakMinutes: study.break_minutes
      },
      annotator: { uid: member.uid, name: member.name, ordinal: member.ordinal, orderSeed: member.order_seed },
      // Blinded: no source, dataset or label travels to the annotator.
      items: items.map((i) => ({ key: i.key, queuePos: i.queuePos, post: i.post, explanation: i.explanation, sensitive: Boolean(i.sensitive) })),
      ratings,
      states: states.map((s) => ({ item: s.item, flagged: Boolean(s.flagged), skipped: Boolean(s.skipped), note: s.note, seconds: s.seconds }))
    }
    return { path: writeFileAtomic(path, JSON.stringify(pkg, null, 1) + '\n'), items: items.length, ratings: ratings.length }
  }

  function readPackage(path: string): { pkg: AnnotatorPackage; file: string } {
    const file = resolve(path)
    let raw: unknown
    try {
      raw = JSON.parse(readRegularFileSync(file, { maxBytes: MAX_IMPORT_BYTES, what: 'annotator packages' }).toString('utf8'))
    } catch (err) {
      if (err instanceof AppError) throw err
      const code = (err as NodeJS.ErrnoException).code
      throw new AppError(code ? 'not_found' : 'bad_file', code ? `Cannot read ${file}: ${code}` : `${file}: not a JSON file (${(err as Error).message}).`, { file })
    }
    const parsed = packageSchema.safeParse(raw)
    if (!parsed.success) throw new AppError('bad_file', `${file}: not an annotator package: ${formatZodError(parsed.error)}`, { file })
    const pkg = parsed.data
    // Scores must be on the package's own scales, and keys must be unique.
    const scales = new Map(pkg.study.aspects.map((a) => [a.key, a]))
    const keys = new Set<string>()
    for (const [i, it] of pkg.items.entries()) {
      if (keys.has(it.key)) throw new AppError('bad_file', `${file}: items[${i}]: duplicate item "${it.key}".`, { file })
      keys.add(it.key)
    }
    const seen = new Set<string>()
    for (const [i, r] of pkg.ratings.entries()) {
      const a = scales.get(r.aspect)
      if (!a) throw new AppError('bad_file', `${file}: ratings[${i}]: unknown aspect "${r.aspect}".`, { file })
      if (r.score < a.min || r.score > a.max) throw new AppError('bad_file', `${file}: ratings[${i}]: score ${r.score} is outside ${a.label}'s scale ${a.min}-${a.max}.`, { file })
      if (!keys.has(r.item)) throw new AppError('bad_file', `${file}: ratings[${i}]: item "${r.item}" is not among the package's items.`, { file })
      const k = `${r.item}\u0000${r.aspect}`
      if (seen.has(k)) throw new AppError('bad_file', `${file}: ratings[${i}]: item "${r.item}" is rated twice on ${r.aspect}.`, { file })
      seen.add(k)
    }
    return { pkg, file }
  }

  /**
   * Merges a package. New ratings are added; equal ones count as unchanged; a rating that differs
   * from the one here is a conflict, left as it is unless the user chose (resolveAll or per
   * conflict) to keep theirs or mine. Everything happens in one transaction.
   */
  function mergePackage(input: ParsedInput<'annotation.mergePackage'>): MergeReport {
    const { pkg, file } = readPackage(input.path)
    const choice = new Map(input.resolutions.map((r) => [`${r.item}\u0000${r.field}`, r.take]))
    const decide = (item: string, field: string) => choice.get(`${item}\u0000${field}`) ?? input.resolveAll

    const report = db.transaction((): MergeReport => {
      let created = false
      let study = store.studyByUid.get(pkg.study.uid) as { id: number; name: string; aspects: string } | undefined
      if (!study) {
        const id = core.insertStudy({
          uid: pkg.study.uid,
          name: pkg.study.name,
          guidelines: pkg.study.guidelines,
          aspects: pkg.study.aspects,
          annotatorsPerItem: pkg.study.annotatorsPerItem,
          seed: pkg.study.seed,
          spec: { fromPackage: true },
          origin: 'package',
          breakMinutes: pkg.study.breakMinutes
        })
        created = true
        study = { id, name: pkg.study.name, aspects: JSON.stringify(pkg.study.aspects) }
      }
      const sid = study.id
      const localAspects = new Map((JSON.parse(study.aspects) as AspectDef[]).map((a) => [a.key, a]))
      for (const a of pkg.study.aspects) {
        const mine = localAspects.get(a.key)
        if (!mine) throw new AppError('conflict', `${file}: aspect "${a.key}" is not in study "${study.name}" here; add it to the study first.`, { file })
        if (mine.min !== a.min || mine.max !== a.max) throw new AppError('conflict', `${file}: aspect "${a.key}" is ${a.min}-${a.max} in the package but ${mine.min}-${mine.max} here.`, { file })
      }
      // Items: matched by key; a new study gets them (blinded) from the package.
      const itemId = new Map<string, number>()
      const find = store.itemIdByKey
      const missing: typeof pkg.items = []
      for (const it of pkg.items) {
        const row = find.get(sid, it.key) as { id: number } | undefined
        if (row) itemId.set(it.key, row.id)
        else missing.push(it)
      }
      if (missing.length && !created) {
        throw new AppError('conflict', `${file}: ${missing.length} item(s) are not in study "${study.name}" here (first: "${missing[0].key}"); this package belongs to another version of the study.`, { file })
      }
      if (missing.length) {
        const sorted = [...missing].sort((a, b) => a.queuePos - b.queuePos)
        const ids = core.insertItems(
          sid,
          sorted.map((it) => ({ key: it.key, post: it.post, explanation: it.explanation, label: null, source: 'hidden', dataset: null, itemId: null, explanationId: null, explanationColumn: null }))
        )
        sorted.forEach((it, i) => itemId.set(it.key, ids[i]))
        if (sorted.some((it) => it.sensitive)) {
          const mark = store.markSensitive
          sorted.forEach((it, i) => it.sensitive && mark.run(ids[i]))
        }
      }
      // The annotator: by uid; a new profile (with its own token) when unknown here.
      const annotatorId = core.ensureAnnotator(pkg.annotator.name, pkg.annotator.uid)
      core.joinStudy(sid, annotatorId, pkg.annotator.ordinal, pkg.annotator.orderSeed)
      const assigned = store.isAssigned
      const posTaken = store.queuePosTaken
      const newOnes = pkg.items.filter((it) => !assigned.get(itemId.get(it.key)!, annotatorId))
      const clash = newOnes.some((it) => posTaken.get(sid, annotatorId, it.queuePos))
      if (clash) core.assign(sid, annotatorId, newOnes.map((it) => itemId.get(it.key)!), null)
      else for (const it of newOnes) store.insertAssignment.run(sid, itemId.get(it.key)!, annotatorId, it.queuePos)

      const conflicts: MergeConflict[] = []
      let added = 0
      let unchanged = 0
      let resolved = 0
      const getRating = store.ratingScore
      const insertRating = store.insertRatingAt
      const replaceRating = store.replaceRating
      for (const r of pkg.ratings) {
        const iid = itemId.get(r.item)!
        const mine = getRating.get(iid, annotatorId, r.aspect) as { score: number } | undefined
        if (!mine) {
          insertRating.run(sid, iid, annotatorId, r.aspect, r.score, r.ratedAt)
          added++
        } else if (mine.score === r.score) unchanged++
        else {
          const take = decide(r.item, r.aspect)
          if (take === 'theirs') {
            replaceRating.run(r.score, r.ratedAt, iid, annotatorId, r.aspect)
            resolved++
          } else if (take === 'mine') resolved++
          else conflicts.push({ item: r.item, field: r.aspect, annotator: pkg.annotator.name, mine: mine.score, theirs: r.score })
        }
      }
      const getState = store.itemState
      const putState = store.putState
      for (const s of pkg.states) {
        const iid = itemId.get(s.item)
        if (iid === undefined) continue
        const mine = getState.get(iid, annotatorId) as { flagged: number; skipped: number; note: string; seconds: number } | undefined
        let note = mine?.note ?? ''
        if (s.note && s.note !== note) {
          if (!note) note = s.note
          else {
            const take = decide(s.item, 'note')
            if (take === 'theirs') {
              note = s.note
              resolved++
            } else if (take === 'mine') resolved++
            else conflicts.push({ item: s.item, field: 'note', annotator: pkg.annotator.name, mine: note, theirs: s.note })
          }
        }
        putState.run(iid, annotatorId, mine?.flagged || s.flagged ? 1 : 0, mine?.skipped || s.skipped ? 1 : 0, note, Math.max(mine?.seconds ?? 0, s.seconds))
      }
      return { file, studyId: sid, studyName: study.name, created, annotator: pkg.annotator.name, added, unchanged, resolved, conflicts }
    })()
    core.events.broadcast('annotation.studiesChanged', { studyId: report.studyId })
    return report
  }

  return { exportPackage, mergePackage, readPackage }
}
