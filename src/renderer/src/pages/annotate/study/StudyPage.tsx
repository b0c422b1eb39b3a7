import { useEffect, useState } from 'react'
import {
  Alert,
  Badge,
  Button,
  Checkbox,
  CopyButton,
  Group,
  Loader,
  NumberInput,
  Progress,
  SegmentedControl,
  Select,
  Stack,
  Table,
  Tabs,
  Text,
  Textarea,
  TextInput,
  Title,
  Tooltip
} from '@mantine/core'
import { api } from '@renderer/api/client'
import { useCall } from '@renderer/api/hooks'
import { navigate } from '@renderer/router'
import { notifyError, notifySuccess } from '@renderer/components/errors/notify'
import type { AgreementResult, MergeReport, StudyDetail } from '../../../../../shared/api/annotation'
import { ReviewPanel } from '../review/ReviewPanel'
import { StudyChartsPanel } from '../charts/StudyCharts'

const fmt = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? '—' : x.toFixed(digits))
const minutes = (s: number) => (s < 60 ? `${Math.round(s)} s` : `${(s / 60).toFixed(1)} min`)

/** The study lead's view: progress per annotator, agreement, export/import, packages, guidelines. */
export function StudyPage({ studyId, tab = 'progress' }: { studyId: number; tab?: string }) {
  const { data, error, loading, reload } = useCall('annotation.study', { studyId })
  useEffect(() => {
    let t: ReturnType<typeof setTimeout> | null = null
    const soon = () => {
      if (!t) t = setTimeout(() => ((t = null), reload()), 500)
    }
    const off1 = api.on('annotation.changed', (p) => p.studyId === studyId && soon())
    const off2 = api.on('annotation.studiesChanged', (p) => p.studyId === studyId && soon())
    return () => {
      off1()
      off2()
      if (t) clearTimeout(t)
    }
  }, [studyId, reload])
  if (loading && !data) return <Loader />
  if (error) return <Alert color="red">{error.message}</Alert>
  if (!data) return null
  return (
    <Stack>
      <Group justify="space-between">
        <Group gap="xs">
          <Button variant="subtle" size="compact-sm" onClick={() => navigate('/annotate')}>
            ← Studies
          </Button>
          <Title order={3}>{data.name}</Title>
          <Badge variant="light">{data.items} items</Badge>
          <Badge variant="light">{data.annotatorsPerItem} per item</Badge>
          <Badge variant="light" color="gray">
            seed {data.seed}
          </Badge>
        </Group>
        <Text size="sm" c="dimmed">
          {data.ratings} / {data.expected} ratings
        </Text>
      </Group>
      <Progress value={data.expected ? (data.ratings / data.expected) * 100 : 0} aria-label="Ratings collected" />
      <Tabs value={tab} onChange={(v) => v && navigate(`/annotate/study/${studyId}`, v === 'progress' ? {} : { tab: v }, { replace: true })} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="progress">Progress</Tabs.Tab>
          <Tabs.Tab value="review" data-testid="tab-review">
            Review
          </Tabs.Tab>
          <Tabs.Tab value="agreement" data-testid="tab-agreement">
            Agreement
          </Tabs.Tab>
          <Tabs.Tab value="charts" data-testid="tab-charts">
            Charts
          </Tabs.Tab>
          <Tabs.Tab value="export" data-testid="tab-export">
            Export
          </Tabs.Tab>
          <Tabs.Tab value="packages" data-testid="tab-packages">
            Packages
          </Tabs.Tab>
          <Tabs.Tab value="guidelines">Guidelines</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="progress" pt="sm">
          <ProgressPanel study={data} onChanged={reload} />
        </Tabs.Panel>
        <Tabs.Panel value="review" pt="sm">
          <ReviewPanel studyId={studyId} />
        </Tabs.Panel>
        <Tabs.Panel value="agreement" pt="sm">
          <AgreementPanel studyId={studyId} />
        </Tabs.Panel>
        <Tabs.Panel value="charts" pt="sm">
          <StudyChartsPanel studyId={studyId} />
        </Tabs.Panel>
        <Tabs.Panel value="export" pt="sm">
          <ExportPanel study={data} />
        </Tabs.Panel>
        <Tabs.Panel value="packages" pt="sm">
          <PackagesPanel study={data} onChanged={reload} />
        </Tabs.Panel>
        <Tabs.Panel value="guidelines" pt="sm">
          <GuidelinesPanel study={data} onChanged={reload} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  )
}

function ProgressPanel({ study, onChanged }: { study: StudyDetail; onChanged: () => void }) {
  const profiles = useCall('annotation.annotators', {})
  const [name, setName] = useState('')
  const tokenOf = (id: number) => profiles.data?.find((p) => p.id === id)?.token
  const lanUrl = (token: string) => `${window.location.origin}/?token=${encodeURIComponent(token)}#/annotate`
  const add = async () => {
    try {
      await api.call('annotation.addAnnotator', { studyId: study.id, name })
      setName('')
      profiles.reload()
      onChanged()
    } catch (err) {
      notifyError(err, 'Annotator not added')
    }
  }
  return (
    <Stack>
      <Table data-testid="progress-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Annotator</Table.Th>
            <Table.Th>Done</Table.Th>
            <Table.Th>Flagged</Table.Th>
            <Table.Th>Skipped</Table.Th>
            <Table.Th>Time</Table.Th>
            <Table.Th>Resumes at</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {study.annotatorProgress.map((p) => (
            <Table.Tr key={p.id}>
              <Table.Td>{p.name}</Table.Td>
              <Table.Td w={200}>
                <Text size="xs">
                  {p.done} / {p.assigned} items · {p.ratings} ratings
                </Text>
                <Progress value={p.assigned ? (p.done / p.assigned) * 100 : 0} size="sm" aria-label={`${p.name}: items done`} />
              </Table.Td>
              <Table.Td>{p.flagged}</Table.Td>
              <Table.Td>{p.skipped}</Table.Td>
              <Table.Td>{minutes(p.seconds)}</Table.Td>
              <Table.Td data-testid={`resume-${p.name}`}>{p.assigned === 0 ? '— (no items)' : p.done >= p.assigned ? 'finished' : `item ${p.resumeAt + 1}`}</Table.Td>
              <Table.Td>
                <Group gap={4} wrap="nowrap">
                  <Button size="compact-sm" onClick={() => navigate(`/annotate/rate/${study.id}`, { annotator: String(p.id) })} data-testid={`rate-as-${p.name}`}>
                    Rate as {p.name}
                  </Button>
                  {tokenOf(p.id) && (
                    <CopyButton value={api.transport === 'serve' ? lanUrl(tokenOf(p.id)!) : tokenOf(p.id)!}>
                      {({ copied, copy }) => (
                        <Tooltip label="This annotator's own link for imhi serve on your LAN (start it with --host)">
                          <Button size="compact-sm" variant="default" onClick={copy}>
                            {copied ? 'Copied' : api.transport === 'serve' ? 'Copy LAN link' : 'Copy LAN token'}
                          </Button>
                        </Tooltip>
                      )}
                    </CopyButton>
                  )}
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Group align="flex-end">
        <TextInput label="Add an annotator" placeholder="name" value={name} onChange={(e) => setName(e.currentTarget.value)} />
        <Button variant="default" onClick={add} disabled={!name.trim()}>
          Add
        </Button>
        <Text size="xs" c="dimmed" maw={420}>
          A new annotator gets the items that still have fewer than {study.annotatorsPerItem} annotators, in their own seeded order.
        </Text>
      </Group>
      <Text size="sm" c="dimmed">
        Sources (hidden from annotators): {study.sources.map((s) => `${s.source} (${s.items})`).join(', ')}
      </Text>
    </Stack>
  )
}

function AgreementPanel({ studyId }: { studyId: number }) {
  const { data, error, loading } = useCall('annotation.agreement', { studyId })
  if (loading && !data) return <Loader />
  if (error) return <Alert color="red">{error.message}</Alert>
  if (!data) return null
  return <AgreementView report={data} />
}

export function AgreementView({ report }: { report: AgreementResult }) {
  return (
    <Stack>
      <Table data-testid="agreement-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Aspect</Table.Th>
            <Table.Th>Krippendorff α (interval)</Table.Th>
            <Table.Th>α (ordinal)</Table.Th>
            <Table.Th>Fleiss κ</Table.Th>
            <Table.Th>Cohen κ (quadratic, mean of pairs)</Table.Th>
            <Table.Th>Mean</Table.Th>
            <Table.Th>Items</Table.Th>
            <Table.Th>Annotators</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {Object.entries(report.aspects).map(([k, a]) => (
            <Table.Tr key={k}>
              <Table.Td>{k}</Table.Td>
              <Table.Td>{fmt(a.krippendorff_alpha_interval)}</Table.Td>
              <Table.Td>{fmt(a.krippendorff_alpha_ordinal)}</Table.Td>
              <Table.Td>
                {fmt(a.fleiss_kappa)}
                {a.fleiss_items !== a.items && a.fleiss_items > 0 ? ` (${a.fleiss_items} items)` : ''}
              </Table.Td>
              <Table.Td>{fmt(a.cohen_quadratic_mean)}</Table.Td>
              <Table.Td>{fmt(a.mean, 2)}</Table.Td>
              <Table.Td>{a.items}</Table.Td>
              <Table.Td>{a.annotators}</Table.Td>
            </Table.Tr>
          ))}
          <Table.Tr>
            <Table.Td fw={700}>all aspects</Table.Td>
            <Table.Td fw={700}>{fmt(report.pooled.krippendorff_alpha_interval)}</Table.Td>
            <Table.Td fw={700}>{fmt(report.pooled.krippendorff_alpha_ordinal)}</Table.Td>
            <Table.Td colSpan={5}>
              <Text size="xs" c="dimmed">
                pooled over {report.pooled.units} item × aspect units
              </Text>
            </Table.Td>
          </Table.Tr>
        </Table.Tbody>
      </Table>
      <Text size="xs" c="dimmed">
        α: 1 = perfect agreement, 0 = chance, below 0 = systematic disagreement; missing ratings are allowed. Fleiss κ uses the items with the most common number of
        ratings. Cohen κ: quadratic weights on the 0–3 scale, over the items both annotators rated.
      </Text>
      <Title order={5}>Disagreements to look at first</Title>
      {report.disagreements.length === 0 ? (
        <Text c="dimmed" size="sm">
          No item has differing ratings.
        </Text>
      ) : (
        <Table data-testid="disagreements">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Item</Table.Th>
              <Table.Th>Aspect</Table.Th>
              <Table.Th>Scores</Table.Th>
              <Table.Th>Mean</Table.Th>
              <Table.Th>SD</Table.Th>
              <Table.Th>Range</Table.Th>
              <Table.Th>Post</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {report.disagreements.slice(0, 25).map((d) => (
              <Table.Tr key={`${d.item}:${d.aspect}`}>
                <Table.Td>
                  <Text size="xs" ff="monospace">
                    {d.item}
                  </Text>
                  {d.source && (
                    <Badge size="xs" variant="light" color="gray">
                      {d.source}
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>{d.aspect}</Table.Td>
                <Table.Td>
                  <Text size="xs">
                    {Object.entries(d.scores)
                      .map(([a, s]) => `${a}: ${s}`)
                      .join(', ')}
                  </Text>
                </Table.Td>
                <Table.Td>{fmt(d.spread.mean, 2)}</Table.Td>
                <Table.Td>{fmt(d.spread.sd, 2)}</Table.Td>
                <Table.Td>{d.spread.range}</Table.Td>
                <Table.Td maw={360}>
                  <Text size="xs" truncate>
                    {d.excerpt}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  )
}

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }))
  const a = document.createElement('a')
  a.href = url
  a.download = name
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

function ExportPanel({ study }: { study: StudyDetail }) {
  const [format, setFormat] = useState<'imhi' | 'long' | 'adjudicated'>('imhi')
  const [bom, setBom] = useState(false)
  const [source, setSource] = useState<string | null>(null)
  const [path, setPath] = useState('')
  const [busy, setBusy] = useState(false)
  const run = async (toFile: boolean) => {
    setBusy(true)
    try {
      const r = await api.call('annotation.export', { studyId: study.id, format, bom, ...(source ? { source } : {}), ...(toFile ? { path } : {}) })
      if (r.text !== null) download(`${study.name.replace(/[^\w.-]+/g, '_')}-${format}.csv`, r.text)
      notifySuccess(`${r.rows} rows${r.path ? ` written to ${r.path}` : ''}`, 'Exported')
    } catch (err) {
      notifyError(err, 'Export failed')
    } finally {
      setBusy(false)
    }
  }
  return (
    <Stack maw={720}>
      <SegmentedControl
        value={format}
        onChange={(v) => setFormat(v as 'imhi' | 'long' | 'adjudicated')}
        data={[
          { value: 'imhi', label: 'imhi layout (one row per item, [3, 3, 2] lists)' },
          { value: 'long', label: 'long layout (one row per rating)' },
          { value: 'adjudicated', label: 'adjudicated (the lead\u2019s decisions)' }
        ]}
        data-testid="export-format"
      />
      <Select label="Source" placeholder="all sources" clearable value={source} onChange={setSource} data={study.sources.map((s) => s.source)} />
      <Checkbox label="UTF-8 byte-order mark (for Excel)" checked={bom} onChange={(e) => setBom(e.currentTarget.checked)} />
      <Group align="flex-end">
        <Button onClick={() => run(false)} loading={busy} data-testid="export-download">
          Download CSV
        </Button>
        <TextInput label="or write to a file" placeholder="/path/to/ratings.csv" value={path} onChange={(e) => setPath(e.currentTarget.value)} style={{ flex: 1 }} />
        <Button variant="default" onClick={() => run(true)} disabled={!path.trim()} loading={busy}>
          Write file
        </Button>
      </Group>
      <Text size="xs" c="dimmed">
        Cells that a spreadsheet would run as a formula (starting with = + - @) get a leading apostrophe; importing the file again removes it.
      </Text>
    </Stack>
  )
}

function PackagesPanel({ study, onChanged }: { study: StudyDetail; onChanged: () => void }) {
  const [annotator, setAnnotator] = useState<string | null>(study.annotatorProgress[0] ? String(study.annotatorProgress[0].id) : null)
  const [outPath, setOutPath] = useState('')
  const [inPath, setInPath] = useState('')
  const [report, setReport] = useState<MergeReport | null>(null)
  const [choices, setChoices] = useState<Record<string, 'mine' | 'theirs'>>({})
  const exportPkg = async () => {
    try {
      const r = await api.call('annotation.exportPackage', { studyId: study.id, annotatorId: Number(annotator), path: outPath })
      notifySuccess(`${r.items} items, ${r.ratings} ratings → ${r.path}`, 'Package written')
    } catch (err) {
      notifyError(err, 'Package not written')
    }
  }
  const merge = async (resolveAll?: 'mine' | 'theirs') => {
    try {
      const resolutions = Object.entries(choices).map(([k, take]) => {
        const [item, field] = k.split('\u0000')
        return { item, field, take }
      })
      const r = await api.call('annotation.mergePackage', { path: inPath, resolutions, ...(resolveAll ? { resolveAll } : {}) })
      setReport(r)
      setChoices({})
      onChanged()
    } catch (err) {
      notifyError(err, 'Merge failed')
    }
  }
  return (
    <Stack maw={900}>
      <Title order={5}>Send a queue to another machine</Title>
      <Group align="flex-end">
        <Select label="Annotator" value={annotator} onChange={setAnnotator} data={study.annotatorProgress.map((p) => ({ value: String(p.id), label: p.name }))} />
        <TextInput label="Package file" placeholder="/path/to/ana.imhi-package.json" value={outPath} onChange={(e) => setOutPath(e.currentTarget.value)} style={{ flex: 1 }} />
        <Button onClick={exportPkg} disabled={!annotator || !outPath.trim()}>
          Export package
        </Button>
      </Group>
      <Text size="xs" c="dimmed">
        The package holds the guidelines, the annotator&apos;s queue (blinded: no source) and their ratings so far. On the other machine, merge it to create the study; merge
        the package they send back here.
      </Text>
      <Title order={5}>Merge a package</Title>
      <Group align="flex-end">
        <TextInput label="Package file" value={inPath} onChange={(e) => setInPath(e.currentTarget.value)} style={{ flex: 1 }} data-testid="merge-path" />
        <Button onClick={() => merge()} disabled={!inPath.trim()} data-testid="merge-submit">
          Merge
        </Button>
      </Group>
      {report && (
        <Alert color={report.conflicts.length ? 'orange' : 'teal'} data-testid="merge-report" title={`${report.created ? 'Created' : 'Merged into'} ${report.studyName} for ${report.annotator}`}>
          {report.added} added, {report.unchanged} unchanged, {report.resolved} resolved, {report.conflicts.length} conflict(s).
          {report.conflicts.length > 0 && ' Nothing was overwritten: choose for each conflict, then merge again.'}
        </Alert>
      )}
      {report && report.conflicts.length > 0 && (
        <>
          <Table data-testid="conflicts">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Item</Table.Th>
                <Table.Th>Field</Table.Th>
                <Table.Th>Mine (here)</Table.Th>
                <Table.Th>Theirs (package)</Table.Th>
                <Table.Th>Keep</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {report.conflicts.map((c) => {
                const k = `${c.item}\u0000${c.field}`
                return (
                  <Table.Tr key={k}>
                    <Table.Td>{c.item}</Table.Td>
                    <Table.Td>{c.field}</Table.Td>
                    <Table.Td>{String(c.mine)}</Table.Td>
                    <Table.Td>{String(c.theirs)}</Table.Td>
                    <Table.Td>
                      <SegmentedControl
                        size="xs"
                        aria-label={`Keep for ${c.field}`}
                        value={choices[k] ?? ''}
                        onChange={(v) => setChoices({ ...choices, [k]: v as 'mine' | 'theirs' })}
                        data={[
                          { value: 'mine', label: 'mine' },
                          { value: 'theirs', label: 'theirs' }
                        ]}
                      />
                    </Table.Td>
                  </Table.Tr>
                )
              })}
            </Table.Tbody>
          </Table>
          <Group>
            <Button onClick={() => merge()} disabled={Object.keys(choices).length === 0}>
              Apply my choices
            </Button>
            <Button variant="default" onClick={() => merge('mine')}>
              Keep mine for all
            </Button>
            <Button variant="default" onClick={() => merge('theirs')} data-testid="take-theirs">
              Take theirs for all
            </Button>
          </Group>
        </>
      )}
    </Stack>
  )
}

function GuidelinesPanel({ study, onChanged }: { study: StudyDetail; onChanged: () => void }) {
  const [text, setText] = useState(study.guidelines)
  const [rubrics, setRubrics] = useState(() => Object.fromEntries(study.aspects.map((a) => [a.key, a.rubric.join('\n')])))
  const [breakMinutes, setBreakMinutes] = useState<number | ''>(study.breakMinutes)
  const save = async () => {
    try {
      await api.call('annotation.updateStudy', {
        studyId: study.id,
        guidelines: text,
        breakMinutes: breakMinutes === '' ? 0 : breakMinutes,
        aspects: study.aspects.map((a) => ({ ...a, rubric: (rubrics[a.key] ?? '').split('\n').filter((l) => l.trim() !== '') }))
      })
      notifySuccess('Guidelines saved')
      onChanged()
    } catch (err) {
      notifyError(err, 'Not saved')
    }
  }
  return (
    <Stack maw={900}>
      <Textarea label="Guidelines" autosize minRows={6} value={text} onChange={(e) => setText(e.currentTarget.value)} />
      {study.aspects.map((a) => (
        <Textarea
          key={a.key}
          label={`${a.label} rubric (${a.min}–${a.max}, one line per score)`}
          autosize
          minRows={a.max - a.min + 1}
          value={rubrics[a.key]}
          onChange={(e) => setRubrics({ ...rubrics, [a.key]: e.currentTarget.value })}
        />
      ))}
      <NumberInput label="Break reminder after (minutes of rating; 0 = off)" min={0} max={600} value={breakMinutes} onChange={(v) => setBreakMinutes(v === '' ? '' : Number(v))} maw={320} />
      <Group>
        <Button onClick={save}>Save guidelines</Button>
      </Group>
    </Stack>
  )
}
