import { useEffect, useMemo, useState } from 'react'
import { Alert, Badge, Button, Group, Kbd, Loader, NativeSelect, Paper, ScrollArea, SimpleGrid, Stack, Table, Text, Textarea, TextInput, Title } from '@mantine/core'
import { api } from '@renderer/api/client'
import { useCall } from '@renderer/api/hooks'
import { navigate } from '@renderer/router'
import { notifySuccess } from '@renderer/components/errors/notify'
import { AppError } from '../../../../../shared/api/errors'
import type { ReviewItem } from '../../../../../shared/api/annotation'
import { useHotkeyLayer } from '@renderer/keyboard/hotkeys'
import { REVIEW_LISTS } from './ReviewPanel'

const LEAD_KEY = 'imhi-lead-name'
const fmtSeconds = (s: number) => (s <= 0 ? '—' : s < 60 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`)

function storedLead(): string {
  try {
    return localStorage.getItem(LEAD_KEY) ?? ''
  } catch {
    return ''
  }
}

/**
 * The lead's review of one item: the post, the explanation, every annotator's scores per aspect,
 * their notes and times side by side; and the adjudication form (a resolved score per aspect, or
 * one annotator's kept, with a reason). ← / → move through the list it was opened from; Esc goes back.
 */
export function ReviewItemView({ studyId, studyItemId, list }: { studyId: number; studyItemId: number; list: string }) {
  const meta = REVIEW_LISTS.find((l) => l.key === list) ?? REVIEW_LISTS[0]
  // Only the list this view pages through (prev / next).
  const order = useCall('annotation.reviewOrder', { studyId, list: meta.key })
  const [item, setItem] = useState<ReviewItem | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)
  const [choice, setChoice] = useState<Record<string, string>>({})
  const [reason, setReason] = useState('')
  const [lead, setLead] = useState(storedLead)
  const [saving, setSaving] = useState(false)
  const [saveError, setSaveError] = useState<AppError | null>(null)

  const load = (id: number) => {
    setLoadError(null)
    api.call('annotation.reviewItem', { studyId, studyItemId: id }).then(
      (it) => {
        setItem(it)
        setChoice({})
        setReason('')
        setSaveError(null)
      },
      (err: unknown) => setLoadError(AppError.from(err).message)
    )
  }
  useEffect(() => load(studyItemId), [studyId, studyItemId]) // eslint-disable-line react-hooks/exhaustive-deps

  const ids = useMemo(() => order.data?.studyItemIds ?? [], [order.data])
  const at = ids.indexOf(studyItemId)
  const go = (k: number) => {
    const next = ids[k]
    if (next !== undefined) navigate(`/annotate/review/${studyId}/${next}`, { list: meta.key })
  }
  const back = () => navigate(`/annotate/study/${studyId}`, { tab: 'review' })

  useHotkeyLayer((e) => {
    if (e.key === 'ArrowRight' || e.key === 'j') go(at + 1)
    else if (e.key === 'ArrowLeft' || e.key === 'k') go(at - 1)
    else if (e.key === 'Escape') back()
    else return false
    return true
  })

  type Decision = { aspect: string; score: number } | { aspect: string; keep: number }
  const decisions: Decision[] = item
    ? item.aspects.flatMap((a): Decision[] => {
        const c = choice[a.key] ?? ''
        if (c.startsWith('s:')) return [{ aspect: a.key, score: Number(c.slice(2)) }]
        if (c.startsWith('k:')) return [{ aspect: a.key, keep: Number(c.slice(2)) }]
        return []
      })
    : []

  const save = async () => {
    if (!item) return
    setSaving(true)
    setSaveError(null)
    try {
      try {
        localStorage.setItem(LEAD_KEY, lead.trim())
      } catch {
        // not remembered: asked again next time
      }
      const next = await api.call('annotation.adjudicate', { studyId, studyItemId: item.studyItemId, lead: lead.trim(), reason: reason.trim(), revision: item.revision, decisions })
      setItem(next)
      setChoice({})
      setReason('')
      notifySuccess(`${decisions.length} aspect(s) of ${next.item} decided`, 'Adjudication recorded')
      order.reload()
    } catch (err) {
      setSaveError(AppError.from(err))
    } finally {
      setSaving(false)
    }
  }

  if (loadError) return <Alert color="red" title="Cannot open this item">{loadError}</Alert>
  if (!item) return <Loader />
  const canSave = decisions.length > 0 && reason.trim() !== '' && lead.trim() !== '' && !saving

  return (
    <Stack gap="sm" data-testid="review-view" data-item={item.item}>
      <Group justify="space-between" wrap="nowrap">
        <Group gap="xs" wrap="nowrap">
          <Button variant="subtle" size="compact-sm" onClick={back}>
            ← Review <Kbd ml={4}>Esc</Kbd>
          </Button>
          <Title order={4}>{item.item}</Title>
          <Badge variant="light">{item.source}</Badge>
          {item.dataset && <Badge variant="light" color="gray">{item.dataset}</Badge>}
          {item.label && <Badge variant="outline" color="gray">label: {item.label}</Badge>}
        </Group>
        <Group gap="xs" wrap="nowrap">
          <Button variant="default" size="compact-sm" onClick={() => go(at - 1)} disabled={at <= 0}>
            ← prev
          </Button>
          <Text size="sm" data-testid="review-position">
            {at >= 0 ? `${at + 1} of ${ids.length}` : '—'} · {meta.title.toLowerCase()}
          </Text>
          <Button variant="default" size="compact-sm" onClick={() => go(at + 1)} disabled={at < 0 || at >= ids.length - 1}>
            next →
          </Button>
        </Group>
      </Group>
      <SimpleGrid cols={2} spacing="sm">
        <Paper withBorder p="sm">
          <Text size="xs" fw={700} c="dimmed" tt="uppercase" mb={4}>
            Post
          </Text>
          <ScrollArea.Autosize mah="28vh">
            <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} data-testid="review-post">
              {item.post || '(no post text in this study)'}
            </Text>
          </ScrollArea.Autosize>
        </Paper>
        <Paper withBorder p="sm">
          <Text size="xs" fw={700} c="dimmed" tt="uppercase" mb={4}>
            Explanation
          </Text>
          <ScrollArea.Autosize mah="28vh">
            <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} data-testid="review-explanation">
              {item.explanation || '(no explanation text in this study)'}
            </Text>
          </ScrollArea.Autosize>
        </Paper>
      </SimpleGrid>
      <Table withTableBorder withColumnBorders fz="sm" data-testid="review-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Annotator</Table.Th>
            {item.aspects.map((a) => (
              <Table.Th key={a.key}>
                {a.label} <Text span size="xs" c="dimmed">({a.min}–{a.max})</Text>
              </Table.Th>
            ))}
            <Table.Th>Time</Table.Th>
            <Table.Th>Flag / skip</Table.Th>
            <Table.Th>Note</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {item.annotators.map((p) => (
            <Table.Tr key={p.id} data-testid={`review-row-${p.name}`}>
              <Table.Td fw={600}>{p.name}</Table.Td>
              {item.aspects.map((a) => (
                <Table.Td key={a.key} ta="center">
                  {p.scores[a.key] ?? '—'}
                </Table.Td>
              ))}
              <Table.Td>{fmtSeconds(p.seconds)}</Table.Td>
              <Table.Td>
                {p.flagged && <Badge color="red" size="xs">flagged</Badge>} {p.skipped && <Badge color="gray" size="xs">skipped</Badge>}
              </Table.Td>
              <Table.Td style={{ whiteSpace: 'pre-wrap' }}>{p.note}</Table.Td>
            </Table.Tr>
          ))}
          <Table.Tr>
            <Table.Td c="dimmed">range</Table.Td>
            {item.aspects.map((a) => {
              const r = item.spread[a.key]?.range
              return (
                <Table.Td key={a.key} ta="center" c={r ? 'orange' : 'dimmed'} fw={r ? 700 : 400}>
                  {r ?? '—'}
                </Table.Td>
              )
            })}
            <Table.Td colSpan={3} />
          </Table.Tr>
          <Table.Tr data-testid="review-adjudicated-row">
            <Table.Td fw={700}>adjudicated</Table.Td>
            {item.aspects.map((a) => {
              const j = item.adjudications[a.key]
              return (
                <Table.Td key={a.key} ta="center" fw={700} title={j ? `${j.lead}, ${j.decidedAt}: ${j.reason}` : undefined}>
                  {j ? `${j.score}${j.keptAnnotator ? ` (${j.keptAnnotator})` : ''}` : '—'}
                </Table.Td>
              )
            })}
            <Table.Td colSpan={3}>
              <Text size="xs" c="dimmed">
                {Object.values(item.adjudications)
                  .map((j) => `${j.aspect}: ${j.lead} — ${j.reason}`)
                  .join(' · ')}
              </Text>
            </Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>

      <Paper withBorder p="sm">
        <Stack gap="xs">
          <Text fw={700} size="sm">
            Decide (stored apart from the raw ratings, which never change)
          </Text>
          <SimpleGrid cols={{ base: 2, md: item.aspects.length }} spacing="xs">
            {item.aspects.map((a) => (
              <NativeSelect
                key={a.key}
                label={a.label}
                value={choice[a.key] ?? ''}
                onChange={(e) => setChoice({ ...choice, [a.key]: e.currentTarget.value })}
                data-testid={`decide-${a.key}`}
                data={[
                  { value: '', label: item.adjudications[a.key] ? `keep decision (${item.adjudications[a.key].score})` : '— undecided' },
                  ...item.annotators.filter((p) => p.scores[a.key] !== undefined).map((p) => ({ value: `k:${p.id}`, label: `keep ${p.name}'s ${p.scores[a.key]}` })),
                  ...Array.from({ length: a.max - a.min + 1 }, (_, k) => a.min + k).map((v) => ({ value: `s:${v}`, label: `${v}${a.rubric[v - a.min] ? ` — ${a.rubric[v - a.min].replace(/^\d+\s*[—-]\s*/, '')}` : ''}` }))
                ]}
              />
            ))}
          </SimpleGrid>
          <Textarea
            label="Reason"
            autosize
            minRows={2}
            value={reason}
            onChange={(e) => setReason(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && canSave) {
                e.preventDefault()
                void save()
              }
            }}
            data-testid="decide-reason"
          />
          <Group align="flex-end">
            <TextInput label="Decided by" value={lead} onChange={(e) => setLead(e.currentTarget.value)} w={220} data-testid="decide-lead" />
            <Button onClick={save} disabled={!canSave} loading={saving} data-testid="decide-save">
              Record decision <Kbd ml={6}>Ctrl+Enter</Kbd>
            </Button>
            <Text size="xs" c="dimmed">
              {decisions.length} aspect(s) chosen
            </Text>
          </Group>
          {saveError && (
            <Alert color="red" title={saveError.code === 'conflict' ? 'Someone else decided first' : 'Not recorded'} data-testid="decide-error">
              <Stack gap={4} align="flex-start">
                <Text size="sm">{saveError.message}</Text>
                {saveError.code === 'conflict' && (
                  <Button size="compact-sm" variant="default" onClick={() => load(item.studyItemId)} data-testid="decide-reload">
                    Reload the item
                  </Button>
                )}
              </Stack>
            </Alert>
          )}
        </Stack>
      </Paper>
    </Stack>
  )
}
