import { useState } from 'react'
import { Alert, Button, Checkbox, Group, Loader, NativeSelect, NumberInput, ScrollArea, SimpleGrid, Stack, TagsInput, Text, Textarea, TextInput } from '@mantine/core'
import { api } from '@renderer/api/client'
import { useCall } from '@renderer/api/hooks'
import { notifyError } from '@renderer/components/errors/notify'
import { DEFAULT_GUIDELINES, defaultAspectsOn, type StudySource } from '../../../../../shared/api/annotation'

/** "Empathy (tone)" -> "empathy_tone": the CSV column name of an extra aspect. */
const aspectKey = (label: string) =>
  label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^[^a-z]+|_+$/g, '')
    .slice(0, 32)

const keyOf = (s: StudySource) => (s.kind === 'gold' ? `gold:${s.dataset}:${s.split}` : s.kind === 'expert' ? `expert:${s.dataset ?? ''}` : `run:${s.runId}`)

/** A study in a few clicks: tick sources, name the annotators, go. Everything else has a default. */
export function CreateStudy({ onCreated }: { onCreated: (studyId: number) => void }) {
  const { data, error, loading } = useCall('annotation.candidates', {})
  const [name, setName] = useState('')
  const [sources, setSources] = useState<Map<string, StudySource>>(new Map())
  const [sampleSize, setSampleSize] = useState<number | ''>(50)
  const [seed, setSeed] = useState<number | ''>('')
  const [perItem, setPerItem] = useState<number | ''>(3)
  const [annotators, setAnnotators] = useState<string[]>([])
  const [breakMinutes, setBreakMinutes] = useState<number | ''>(45)
  const [guidelines, setGuidelines] = useState(DEFAULT_GUIDELINES)
  const [extra, setExtra] = useState<string[]>([])
  const [scale, setScale] = useState('0-3')
  const [explanationForm, setExplanationForm] = useState<'reasoning' | 'full'>('reasoning')
  const [scaleMin, scaleMax] = scale.split('-').map(Number)
  const [busy, setBusy] = useState(false)

  const toggle = (s: StudySource, on: boolean) => {
    const next = new Map(sources)
    if (on) next.set(keyOf(s), s)
    else next.delete(keyOf(s))
    setSources(next)
  }

  const submit = async () => {
    setBusy(true)
    try {
      const d = await api.call('annotation.createStudy', {
        name: name.trim(),
        sources: [...sources.values()],
        ...(sampleSize === '' ? {} : { sampleSize }),
        ...(seed === '' ? {} : { seed }),
        annotatorsPerItem: perItem === '' ? 1 : perItem,
        annotators,
        guidelines,
        breakMinutes: breakMinutes === '' ? 0 : breakMinutes,
        explanationForm,
        // The scale of every aspect (0-3 keeps the IMHI rubric; Likert scales get point labels).
        ...(scale === '0-3' ? {} : { aspects: defaultAspectsOn(scaleMin, scaleMax) }),
        // Extra aspects: on the same scale; their rubric is written on the study's Guidelines tab.
        extraAspects: extra.map((label) => ({ key: aspectKey(label), label, min: scaleMin, max: scaleMax, rubric: [] }))
      })
      onCreated(d.id)
    } catch (err) {
      notifyError(err, 'The study was not created')
    } finally {
      setBusy(false)
    }
  }

  if (loading && !data) return <Loader />
  if (error) return <Alert color="red">{error.message}</Alert>
  const none = data && data.gold.length === 0 && data.expert.length === 0 && data.runs.length === 0
  return (
    <Stack>
      <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} data-testid="study-name" />
      {none && <Alert>No explanations to rate yet: import the IMHI data (Import… in the header) or run a model first.</Alert>}
      <Text fw={600} size="sm">
        Explanations to rate (annotators never see which source wrote them)
      </Text>
      <ScrollArea.Autosize mah={220} viewportProps={{ tabIndex: 0, role: 'region', 'aria-label': 'Explanations to rate' }}>
        <SimpleGrid cols={2} spacing={4}>
          {data?.gold.map((g) => (
            <Checkbox
              key={`g${g.dataset}${g.split}`}
              label={`${g.dataset} · gold (${g.split}) · ${g.items}`}
              checked={sources.has(`gold:${g.dataset}:${g.split}`)}
              onChange={(e) => toggle({ kind: 'gold', dataset: g.dataset, split: g.split as 'test_instruction' }, e.currentTarget.checked)}
              data-testid={`src-gold-${g.dataset}-${g.split}`}
            />
          ))}
          {data?.expert.map((x) => (
            <Checkbox
              key={`x${x.dataset}`}
              label={`${x.dataset} · expert · ${x.items}`}
              checked={sources.has(`expert:${x.dataset}`)}
              onChange={(e) => toggle({ kind: 'expert', dataset: x.dataset }, e.currentTarget.checked)}
              data-testid={`src-expert-${x.dataset}`}
            />
          ))}
          {data?.runs.map((r) => (
            <Checkbox
              key={`r${r.id}`}
              label={`run ${r.id}: ${r.name} (${r.modelFile}) · ${r.explanations}`}
              checked={sources.has(`run:${r.id}`)}
              onChange={(e) => toggle({ kind: 'run', runId: r.id }, e.currentTarget.checked)}
              data-testid={`src-run-${r.id}`}
            />
          ))}
        </SimpleGrid>
      </ScrollArea.Autosize>
      <SimpleGrid cols={4}>
        <NumberInput label="Posts per source" description="empty: all" min={1} value={sampleSize} onChange={(v) => setSampleSize(v === '' ? '' : Number(v))} data-testid="sample-size" />
        <NumberInput label="Seed" description="empty: random (stored)" min={0} max={4294967295} value={seed} onChange={(v) => setSeed(v === '' ? '' : Number(v))} />
        <NumberInput label="Annotators per item" min={1} max={50} value={perItem} onChange={(v) => setPerItem(v === '' ? '' : Number(v))} data-testid="per-item" />
        <NumberInput label="Break reminder (min)" description="0: off" min={0} max={600} value={breakMinutes} onChange={(v) => setBreakMinutes(v === '' ? '' : Number(v))} />
      </SimpleGrid>
      <TagsInput label="Annotators" description="Type a name and press Enter" value={annotators} onChange={setAnnotators} data-testid="annotator-names" />
      <NativeSelect
        label="Rating scale"
        description="For every aspect; fixed once rating starts. Point labels are editable on the study's Guidelines tab."
        value={scale}
        onChange={(e) => setScale(e.currentTarget.value)}
        data={[
          { value: '0-3', label: '0–3 (as in the IMHI human evaluation)' },
          { value: '1-5', label: '1–5 Likert (very poor … very good)' },
          { value: '1-7', label: '1–7 Likert (very poor … very good)' }
        ]}
        data-testid="rating-scale"
      />
      <NativeSelect
        label="Explanation text shown to annotators"
        description="One form for every source, so the text's form never tells which system wrote it (recorded in the study)."
        value={explanationForm}
        onChange={(e) => setExplanationForm(e.currentTarget.value === 'full' ? 'full' : 'reasoning')}
        data={[
          { value: 'reasoning', label: 'The reasoning only (the label sentence removed from every source)' },
          { value: 'full', label: 'As written (the label sentence kept in every source)' }
        ]}
        data-testid="explanation-form"
      />
      <Textarea label="Guidelines" autosize minRows={4} maxRows={10} value={guidelines} onChange={(e) => setGuidelines(e.currentTarget.value)} />
      <TagsInput
        label="Extra aspects (optional)"
        description="Rated on the same scale after fluency, completeness, reliability and overall (rubric written on the study's Guidelines tab)"
        value={extra}
        onChange={(v) => setExtra(v.filter((x) => aspectKey(x) !== '' && !['fluency', 'completeness', 'reliability', 'overall'].includes(aspectKey(x))))}
        data-testid="extra-aspects"
      />
      <Group justify="flex-end">
        <Button onClick={submit} loading={busy} disabled={!name.trim() || sources.size === 0 || annotators.length === 0} data-testid="create-study">
          Create study
        </Button>
      </Group>
    </Stack>
  )
}
