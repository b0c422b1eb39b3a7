import { useCallback, useEffect, useRef, useState } from 'react'
import { Alert, Badge, Button, Group, Kbd, Loader, Modal, Paper, Progress, ScrollArea, Select, SimpleGrid, Stack, Text, Textarea, Title, Tooltip, UnstyledButton, VisuallyHidden } from '@mantine/core'
import { api } from '@renderer/api/client'
import { useCall } from '@renderer/api/hooks'
import { navigate } from '@renderer/router'
import { notifyError } from '@renderer/components/errors/notify'
import type { AnnotatorQueue, AspectDef, RatingItem } from '../../../../../shared/api/annotation'
import { outbox } from './outbox'
import { HotkeySheet } from '../hotkeys/HotkeySheet'
import { useHotkeyLayer } from '@renderer/keyboard/hotkeys'
import { BreakReminder, ContentNotice, SupportFooter } from '../wellbeing/Wellbeing'
import { RatingAnnouncer } from './RatingAnnouncer'
import { useFollowFocus } from './useFollowFocus'

interface UndoStep {
  studyItemId: number
  pos: number
  aspect: string
  prev: number | null
}

const firstOpenAspect = (aspects: AspectDef[], scores: Record<string, number>) => Math.max(0, aspects.findIndex((a) => scores[a.key] === undefined))


/**
 * The keyboard-first rating screen (one item at a time, Prodigy-style): digits rate the current
 * aspect and advance; every change is stored in the outbox and sent at once (no Save button).
 */
export function RatingScreen({
  studyId,
  annotatorId,
  startPos,
  database,
  canSwitch = false
}: {
  studyId: number
  annotatorId: number
  startPos: number | null
  /** The database file (app.info): the outbox belongs to it. */
  database: string
  canSwitch?: boolean
}) {
  useState(() => outbox.use(database))
  // The owner (one shared machine) may switch between annotator profiles; an annotator's token may not.
  const people = useCall('annotation.study', canSwitch ? { studyId } : null)
  const [queue, setQueue] = useState<AnnotatorQueue | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [pos, setPos] = useState(0)
  const [item, setItem] = useState<RatingItem | null>(null)
  const [aspectIdx, setAspectIdx] = useState(0)
  const [revealed, setRevealed] = useState<ReadonlySet<number>>(new Set())
  const [noteOpen, setNoteOpen] = useState(false)
  const [noteText, setNoteText] = useState('')
  const [sheetOpen, setSheetOpen] = useState(false)
  const [guidelinesOpen, setGuidelinesOpen] = useState(false)
  const [breakOpen, setBreakOpen] = useState(false)
  const [unsent, setUnsent] = useState(outbox.unsent())
  const cache = useRef(new Map<number, RatingItem>())
  const undoStack = useRef<UndoStep[]>([])
  const shownAt = useRef(performance.now())
  const baseSeconds = useRef(0)
  const activeMs = useRef(0)
  const lastKey = useRef(Date.now())
  const noteTimer = useRef<ReturnType<typeof setTimeout> | null>(null)

  useEffect(() => outbox.onChange(setUnsent), [])
  useEffect(() => outbox.onError((e) => notifyError(e, 'A rating was refused')), [])
  useEffect(() => outbox.flush(), [])

  // The queue, then the resume point.
  useEffect(() => {
    let live = true
    api.call('annotation.queue', { studyId, annotatorId }).then(
      (q) => {
        if (!live) return
        setQueue(q)
        setPos(Math.min(startPos ?? q.resumeAt, Math.max(0, q.entries.length - 1)))
      },
      (err: unknown) => live && setError(String((err as Error).message ?? err))
    )
    return () => {
      live = false
    }
  }, [studyId, annotatorId, startPos])

  const load = useCallback(
    async (studyItemId: number): Promise<RatingItem> => {
      const hit = cache.current.get(studyItemId)
      if (hit) return hit
      const it = await api.call('annotation.item', { studyId, annotatorId, studyItemId })
      cache.current.set(studyItemId, it)
      return it
    },
    [studyId, annotatorId]
  )

  const entries = queue?.entries ?? []
  const aspects = queue?.study.aspects ?? []
  const entry = entries[pos]

  const elapsedSeconds = useCallback(() => baseSeconds.current + (performance.now() - shownAt.current) / 1000, [])

  // Show the item at `pos`; prefetch the next one so that moving on never waits.
  useEffect(() => {
    if (!entry) return
    let live = true
    load(entry.studyItemId).then(
      (it) => {
        if (!live) return
        setItem(it)
        setAspectIdx(firstOpenAspect(aspects, it.scores))
        baseSeconds.current = it.seconds
        shownAt.current = performance.now()
        setNoteText(it.note)
      },
      (err: unknown) => notifyError(err, 'Cannot load the item')
    )
    const next = entries[pos + 1]
    if (next) void load(next.studyItemId).catch(() => {})
    return () => {
      live = false
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [entry?.studyItemId])

  // Time on the item is saved when the annotator leaves it.
  const saveTime = useCallback(() => {
    if (!item) return
    const seconds = Math.round(elapsedSeconds() * 10) / 10
    const cached = cache.current.get(item.studyItemId)
    if (cached) cache.current.set(item.studyItemId, { ...cached, seconds })
    void api.call('annotation.setItemState', { studyId, annotatorId, studyItemId: item.studyItemId, seconds }).catch(() => {})
  }, [item, studyId, annotatorId, elapsedSeconds])

  const goTo = useCallback(
    (next: number) => {
      if (!queue || next < 0 || next >= queue.entries.length || next === pos) return
      saveTime()
      setPos(next)
    },
    [queue, pos, saveTime]
  )

  const patchItem = (studyItemId: number, patch: Partial<RatingItem>) => {
    const cur = cache.current.get(studyItemId)
    if (cur) cache.current.set(studyItemId, { ...cur, ...patch })
    setItem((it) => (it && it.studyItemId === studyItemId ? { ...it, ...patch } : it))
  }

  const patchEntry = (studyItemId: number, scores: Record<string, number>, extra: Partial<AnnotatorQueue['entries'][number]> = {}) => {
    setQueue((q) => {
      if (!q) return q
      const rated = Object.keys(scores).length
      return { ...q, entries: q.entries.map((e) => (e.studyItemId === studyItemId ? { ...e, rated, done: rated >= q.study.aspects.length, ...extra } : e)) }
    })
  }

  const setScore = (target: RatingItem, aspect: string, score: number | null) => {
    const scores = { ...target.scores }
    if (score === null) delete scores[aspect]
    else scores[aspect] = score
    patchItem(target.studyItemId, { scores })
    patchEntry(target.studyItemId, scores)
    void outbox.send({ studyId, annotatorId, studyItemId: target.studyItemId, aspect, score, seconds: Math.round(elapsedSeconds() * 10) / 10, at: Date.now() })
  }

  const rate = (score: number) => {
    if (!item || !queue) return
    const aspect = aspects[aspectIdx]
    if (!aspect || score < aspect.min || score > aspect.max) return
    undoStack.current.push({ studyItemId: item.studyItemId, pos, aspect: aspect.key, prev: item.scores[aspect.key] ?? null })
    setScore(item, aspect.key, score)
    if (aspectIdx < aspects.length - 1) setAspectIdx(aspectIdx + 1)
    else if (pos < entries.length - 1) goTo(pos + 1)
  }

  const undo = () => {
    const step = undoStack.current.pop()
    if (!step) return
    const target = cache.current.get(step.studyItemId)
    if (!target) return
    setScore(target, step.aspect, step.prev)
    if (step.pos !== pos) goTo(step.pos)
    setAspectIdx(Math.max(0, aspects.findIndex((a) => a.key === step.aspect)))
  }

  const setState = (patch: { flagged?: boolean; skipped?: boolean; note?: string }) => {
    if (!item) return
    patchItem(item.studyItemId, patch)
    if (patch.flagged !== undefined || patch.skipped !== undefined) {
      patchEntry(item.studyItemId, item.scores, { ...(patch.flagged !== undefined ? { flagged: patch.flagged } : {}), ...(patch.skipped !== undefined ? { skipped: patch.skipped } : {}) })
    }
    api.call('annotation.setItemState', { studyId, annotatorId, studyItemId: item.studyItemId, ...patch, seconds: Math.round(elapsedSeconds() * 10) / 10 }).catch((err: unknown) => notifyError(err, 'Not saved'))
  }

  const skip = () => {
    if (!item) return
    setState({ skipped: true })
    if (pos < entries.length - 1) goTo(pos + 1)
  }

  const onNoteChange = (text: string) => {
    setNoteText(text)
    if (noteTimer.current) clearTimeout(noteTimer.current)
    noteTimer.current = setTimeout(() => {
      noteTimer.current = null
      setState({ note: text })
    }, 250)
  }
  const openNote = () => {
    if (item) setNoteText(item.note)
    setNoteOpen(true)
  }
  const closeNote = () => {
    if (noteTimer.current) clearTimeout(noteTimer.current)
    noteTimer.current = null
    if (item && noteText !== item.note) setState({ note: noteText })
    setNoteOpen(false)
  }

  const hidden = !!item && item.sensitive && !revealed.has(item.studyItemId)

  // Every key counts as activity for the break reminder, typed or not.
  useEffect(() => {
    const on = (): void => {
      lastKey.current = Date.now()
    }
    window.addEventListener('keydown', on, true)
    return () => window.removeEventListener('keydown', on, true)
  }, [])

  // The screen's hotkeys, under the app's one keyboard rule (nothing while typing or while any
  // modal, dialog or menu is open: src/renderer/src/keyboard/hotkeys.ts). The screen's own dialogs
  // are checked from state as well, for the frame between opening one and its first render.
  useHotkeyLayer((e) => {
    if (noteOpen || sheetOpen || guidelinesOpen || breakOpen) return false
    const k = e.key
    // A held key repeats: that may move between items and aspects, never record anything.
    const moving = k === 'ArrowRight' || k === 'ArrowLeft' || k === 'ArrowDown' || k === 'ArrowUp'
    if (e.repeat && !moving) return true
    if (k === '?') setSheetOpen(true)
    else if (hidden) {
      if (k === 'Enter') setRevealed(new Set([...revealed, item!.studyItemId]))
      else if (k === 's' || k === 'S') skip()
      else if (k === 'ArrowRight') goTo(pos + 1)
      else if (k === 'ArrowLeft') goTo(pos - 1)
      else return false
    } else if (/^[0-9]$/.test(k)) rate(Number(k))
    else if (k === 'ArrowRight') goTo(pos + 1)
    else if (k === 'ArrowLeft') goTo(pos - 1)
    else if (k === 'ArrowDown') setAspectIdx(Math.min(aspects.length - 1, aspectIdx + 1))
    else if (k === 'ArrowUp') setAspectIdx(Math.max(0, aspectIdx - 1))
    else if (k === 'f' || k === 'F') item && setState({ flagged: !item.flagged })
    else if (k === 'n' || k === 'N') item && openNote()
    else if (k === 's' || k === 'S') skip()
    else if (k === 'u' || k === 'U') undo()
    else if (k === 'g' || k === 'G') setGuidelinesOpen(true)
    else return false
    return true
  })

  // Break reminder: counts time with the tab visible and a key pressed in the last two minutes.
  const breakMinutes = queue?.study.breakMinutes ?? 0
  useEffect(() => {
    if (!breakMinutes) return
    const tick = setInterval(() => {
      if (document.visibilityState === 'visible' && Date.now() - lastKey.current < 120_000) activeMs.current += 5000
      if (activeMs.current >= breakMinutes * 60_000) setBreakOpen(true)
    }, 5000)
    return () => clearInterval(tick)
  }, [breakMinutes])

  // Save the time on the item when the screen goes away.
  const saveTimeRef = useRef(saveTime)
  saveTimeRef.current = saveTime
  // ... and a note typed in the last moments before it goes away is saved too.
  const flushNoteRef = useRef(() => {})
  flushNoteRef.current = () => {
    if (!noteTimer.current) return
    clearTimeout(noteTimer.current)
    noteTimer.current = null
    setState({ note: noteText })
  }
  useEffect(
    () => () => {
      flushNoteRef.current()
      saveTimeRef.current()
    },
    []
  )

  // Keyboard focus follows the current aspect when rating with the score buttons.
  const followRef = useFollowFocus(aspects[aspectIdx]?.key, item?.studyItemId ?? null)

  if (error) return <Alert color="red" title="Cannot open this queue">{error}</Alert>
  if (!queue) return <Loader />
  if (queue.entries.length === 0) return <Alert title="Nothing to rate">This annotator has no items in {queue.study.name}.</Alert>

  const done = entries.filter((e) => e.done).length
  const aspect = aspects[aspectIdx]

  return (
    <Stack
      ref={followRef}
      gap="sm"
      data-testid="rating-screen"
      data-pos={pos}
      data-aspect={aspect?.key}
      data-loaded={item && item.studyItemId === entry?.studyItemId ? '1' : '0'}
      data-notice={hidden ? '1' : '0'}
      style={{ flex: 1, minHeight: 0 }}
    >
      <Group justify="space-between" wrap="wrap" gap="xs">
        <Group gap="xs" wrap="wrap">
          <Button variant="subtle" size="compact-sm" onClick={() => navigate('/annotate')}>
            ← Studies
          </Button>
          <Title order={5}>{queue.study.name}</Title>
          {canSwitch && people.data ? (
            <Select
              size="xs"
              w={200}
              aria-label="Rating as"
              value={String(annotatorId)}
              onChange={(v) => {
                // Back to the rating keys at once (a focused field holds them off).
                ;(document.activeElement as HTMLElement | null)?.blur()
                if (v) navigate(`/annotate/rate/${studyId}`, { annotator: v })
              }}
              data={people.data.annotatorProgress.map((p) => ({ value: String(p.id), label: `rating as ${p.name}` }))}
              allowDeselect={false}
              data-testid="switch-annotator"
            />
          ) : (
            <Badge variant="light">rating as {queue.annotator.name}</Badge>
          )}
        </Group>
        <Group gap="xs" wrap="wrap">
          <Text size="sm" data-testid="progress-text">
            {done} / {entries.length} done
          </Text>
          <Tooltip label={unsent ? 'Kept in this browser and re-sent until the server confirms' : 'Every rating is committed on the server'}>
            <Badge color={unsent ? 'orange' : 'teal'} variant="light" role="status" aria-live="polite" data-testid="save-state">
              {unsent ? `${unsent} unsent` : 'all saved'}
            </Badge>
          </Tooltip>
          <Button variant="default" size="compact-sm" onClick={() => setGuidelinesOpen(true)}>
            Guidelines <Kbd ml={4}>G</Kbd>
          </Button>
          <Button variant="default" size="compact-sm" onClick={() => setSheetOpen(true)} data-testid="open-hotkeys">
            Keys <Kbd ml={4}>?</Kbd>
          </Button>
        </Group>
      </Group>
      <Progress value={(done / entries.length) * 100} size="sm" aria-label="Items done" />
      <Group justify="space-between">
        <Group gap="xs">
          <Button variant="default" size="compact-xs" onClick={() => goTo(pos - 1)} disabled={pos === 0}>
            ← prev
          </Button>
          <Text size="sm" data-testid="item-position">
            Item {pos + 1} of {entries.length}
          </Text>
          <Button variant="default" size="compact-xs" onClick={() => goTo(pos + 1)} disabled={pos >= entries.length - 1}>
            next →
          </Button>
        </Group>
        <Group gap="xs">
          {item?.flagged && <Badge color="red" data-testid="flagged">flagged</Badge>}
          {item?.skipped && <Badge color="gray">skipped</Badge>}
          {item?.note && <Badge color="blue">note</Badge>}
          <Text size="xs" c="dimmed">
            <Kbd>F</Kbd> flag <Kbd>N</Kbd> note <Kbd>S</Kbd> skip <Kbd>U</Kbd> undo
          </Text>
        </Group>
      </Group>

      {!item || item.studyItemId !== entry?.studyItemId ? (
        <Loader size="sm" />
      ) : hidden ? (
        <ContentNotice onShow={() => setRevealed(new Set([...revealed, item.studyItemId]))} onSkip={skip} />
      ) : (
        <>
          <SimpleGrid cols={2} spacing="sm" style={{ flex: 1, minHeight: 0 }}>
            <Paper withBorder p="sm" style={{ display: 'flex', flexDirection: 'column', minHeight: 0 }}>
              <Text size="xs" fw={700} c="dimmed" tt="uppercase" mb={4}>
                Post
              </Text>
              <ScrollArea.Autosize mah="38vh" viewportProps={{ tabIndex: 0, role: 'region', 'aria-label': 'Post' }}>
                <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} data-testid="post-text">
                  {item.post || '(no post text in this study)'}
                </Text>
              </ScrollArea.Autosize>
            </Paper>
            <Paper withBorder p="sm" style={{ display: 'flex', flexDirection: 'column', minHeight: 0 }}>
              <Text size="xs" fw={700} c="dimmed" tt="uppercase" mb={4}>
                Explanation to rate
              </Text>
              <ScrollArea.Autosize mah="38vh" viewportProps={{ tabIndex: 0, role: 'region', 'aria-label': 'Explanation to rate' }}>
                <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} data-testid="explanation-text">
                  {item.explanation || '(no explanation text in this study)'}
                </Text>
              </ScrollArea.Autosize>
            </Paper>
          </SimpleGrid>
          <Paper withBorder p="sm">
            <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
              <Stack gap={4}>
                {aspects.map((a, i) => (
                  <UnstyledButton
                    key={a.key}
                    component="div"
                    role="group"
                    aria-label={`${a.label}, ${a.min} to ${a.max}`}
                    aria-current={i === aspectIdx ? 'true' : undefined}
                    onClick={() => setAspectIdx(i)}
                    p={4}
                    style={{ borderRadius: 4, background: i === aspectIdx ? 'var(--mantine-color-teal-light)' : undefined }}
                    data-testid={i === aspectIdx ? 'current-aspect' : `aspect-${a.key}`}
                    data-aspect={a.key}
                  >
                    <Group justify="space-between" wrap="nowrap">
                      <Text size="sm" fw={i === aspectIdx ? 700 : 400}>
                        {i === aspectIdx ? '▸ ' : ''}
                        {a.label}
                      </Text>
                      <Group gap={4} wrap="nowrap">
                        {Array.from({ length: a.max - a.min + 1 }, (_, k) => a.min + k).map((v) => (
                          <Button
                            key={v}
                            size="compact-sm"
                            variant={item.scores[a.key] === v ? 'filled' : 'default'}
                            onClick={(ev) => {
                              ev.stopPropagation()
                              setAspectIdx(i)
                              if (i === aspectIdx) rate(v)
                              else {
                                undoStack.current.push({ studyItemId: item.studyItemId, pos, aspect: a.key, prev: item.scores[a.key] ?? null })
                                setScore(item, a.key, v)
                              }
                            }}
                            data-testid={`score-${a.key}-${v}`}
                            aria-pressed={item.scores[a.key] === v}
                          >
                            {v}
                          </Button>
                        ))}
                      </Group>
                    </Group>
                  </UnstyledButton>
                ))}
              </Stack>
              <Stack gap={2} data-testid="rubric">
                <Text size="sm" fw={700}>
                  {aspect?.label}: press a digit
                </Text>
                {aspect?.rubric.map((line, k) => (
                  <Text key={k} size="sm" c={item.scores[aspect.key] === aspect.min + k ? undefined : 'dimmed'}>
                    <Kbd mr={6}>{aspect.min + k}</Kbd>
                    <VisuallyHidden>: </VisuallyHidden>
                    {line.replace(/^\d+\s*[—-]\s*/, '')}
                  </Text>
                ))}
              </Stack>
            </SimpleGrid>
          </Paper>
        </>
      )}
      {done === entries.length && (
        <Alert color="teal" title="All items rated" data-testid="all-done">
          Thank you. You can still revise any rating with the arrows; every change is saved.
        </Alert>
      )}
      {/* The content notice carries the same lines itself: shown once, not twice. */}
      {!hidden && <SupportFooter />}
      <RatingAnnouncer
        view={{
          pos,
          total: entries.length,
          done,
          loaded: !!item && item.studyItemId === entry?.studyItemId,
          notice: hidden,
          aspects,
          aspectIdx,
          studyItemId: item?.studyItemId ?? null,
          scores: item?.scores ?? {}
        }}
      />

      <HotkeySheet opened={sheetOpen} onClose={() => setSheetOpen(false)} />
      <Modal opened={noteOpen} onClose={closeNote} title="Note on this item" data-testid="note-modal">
        <Textarea
          autoFocus
          data-autofocus
          aria-label="Note on this item"
          autosize
          minRows={3}
          value={noteText}
          onChange={(e) => onNoteChange(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape' || (e.key === 'Enter' && (e.ctrlKey || e.metaKey))) {
              e.preventDefault()
              closeNote()
            }
          }}
          data-testid="note-input"
        />
        <Text size="xs" c="dimmed" mt={4}>
          Saved as you type. <Kbd>Esc</Kbd> closes.
        </Text>
      </Modal>
      <Modal opened={guidelinesOpen} onClose={() => setGuidelinesOpen(false)} title="Guidelines" size="xl">
        <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
          {queue.study.guidelines}
        </Text>
        {aspects.map((a) => (
          <Stack key={a.key} gap={0} mt="sm">
            <Text fw={700} size="sm">
              {a.label} ({a.min}–{a.max})
            </Text>
            {a.rubric.map((l, k) => (
              <Text key={k} size="sm">
                {l}
              </Text>
            ))}
          </Stack>
        ))}
      </Modal>
      <BreakReminder
        opened={breakOpen}
        minutes={breakMinutes}
        onContinue={() => {
          activeMs.current = 0
          setBreakOpen(false)
        }}
      />
    </Stack>
  )
}
