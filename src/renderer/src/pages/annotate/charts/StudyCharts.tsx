import { useState } from 'react'
import { Alert, Group, Loader, NativeSelect, SimpleGrid, Stack, Text } from '@mantine/core'
import { Bar, BarChart, CartesianGrid, ErrorBar, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import { useCall } from '@renderer/api/hooks'
import { ChartFrame } from '@renderer/pages/evaluate/ChartFrame'

const COLORS = ['#4c6ef5', '#f76707', '#12b886', '#e64980', '#7950f2', '#fab005', '#15aabf', '#82c91e']
const fmt = (x: number | null) => (x === null ? '—' : x.toFixed(3))

/** Histogram bins for seconds per item: quantile-free, fixed edges a reader can compare. */
const TIME_BINS = [0, 15, 30, 60, 120, 300, 600, Infinity]
const binLabel = (i: number) => (TIME_BINS[i + 1] === Infinity ? `≥ ${TIME_BINS[i] / 60} min` : TIME_BINS[i + 1] <= 60 ? `${TIME_BINS[i]}–${TIME_BINS[i + 1]} s` : `${TIME_BINS[i] / 60}–${TIME_BINS[i + 1] / 60} min`)

/**
 * The study page's Charts tab, on the raw ratings: score distributions per annotator, Krippendorff's
 * alpha per aspect with bootstrap 95% intervals (seeded: the same figures every time), time per
 * item, and progress over time. Each chart exports as PNG or SVG.
 */
export function StudyChartsPanel({ studyId }: { studyId: number }) {
  const [resamples, setResamples] = useState('1000')
  const [metric, setMetric] = useState<'krippendorff_alpha_interval' | 'krippendorff_alpha_ordinal'>('krippendorff_alpha_interval')
  const { data, error, loading } = useCall('annotation.charts', { studyId, resamples: Number(resamples), seed: 1 })
  const [aspect, setAspect] = useState<string | null>(null)
  if (loading && !data) return <Loader />
  if (error) return <Alert color="red">{error.message}</Alert>
  if (!data) return null
  const shown = data.aspects.find((a) => a.key === aspect) ?? data.aspects[0]
  const dist = shown
    ? Array.from({ length: shown.max - shown.min + 1 }, (_, k) => ({
        score: String(shown.min + k),
        ...Object.fromEntries(data.annotators.map((p) => [p, data.distributions[shown.key]?.[p]?.[k] ?? 0]))
      }))
    : []
  const alpha = data.agreement
    .filter((a) => a.metric === metric)
    .map((a) => ({
      aspect: a.aspect,
      alpha: a.estimate,
      ci: a.estimate === null || a.low === null || a.high === null ? [0, 0] : [a.estimate - a.low, a.high - a.estimate],
      low: a.low,
      high: a.high
    }))
  // The y axis: from the lowest interval end (rounded down to 0.2, at most 0) to 1.
  const lows = alpha.flatMap((a) => (a.low === null ? [] : [a.low]))
  const alphaFloor = Math.min(0, Math.floor(Math.min(0, ...lows) * 5) / 5)
  const alphaTicks = Array.from({ length: Math.round((1 - alphaFloor) / 0.2) + 1 }, (_, i) => Math.round((alphaFloor + i * 0.2) * 10) / 10)
  const times = TIME_BINS.slice(0, -1).map((lo, i) => ({
    bin: binLabel(i),
    ...Object.fromEntries(data.annotators.map((p) => [p, data.times.filter((t) => t.annotator === p && t.seconds >= lo && t.seconds < TIME_BINS[i + 1]).length]))
  }))
  const progress = data.progress.map((p) => ({ t: Date.parse(p.at), [p.annotator]: p.ratings }))
  const bars = (keys: string[]) => keys.map((p, i) => <Bar key={p} dataKey={p} fill={COLORS[i % COLORS.length]} isAnimationActive={false} />)
  return (
    <Stack data-testid="study-charts">
      <Group>
        <NativeSelect label="Aspect (distributions)" value={shown?.key ?? ''} onChange={(e) => setAspect(e.currentTarget.value)} data={data.aspects.map((a) => ({ value: a.key, label: a.label }))} />
        <NativeSelect
          label="Alpha"
          value={metric}
          onChange={(e) => setMetric(e.currentTarget.value as typeof metric)}
          data={[
            { value: 'krippendorff_alpha_interval', label: 'interval' },
            { value: 'krippendorff_alpha_ordinal', label: 'ordinal' }
          ]}
        />
        <NativeSelect label="Bootstrap resamples" value={resamples} onChange={(e) => setResamples(e.currentTarget.value)} data={['1000', '2000', '5000']} />
      </Group>
      <SimpleGrid cols={{ base: 1, lg: 2 }}>
        <ChartFrame title={`Scores per annotator: ${shown?.label ?? ''}`} subtitle="number of ratings at each point of the scale" filename={`study${studyId}-distribution-${shown?.key}`} testId="chart-distribution">
          <ResponsiveContainer width="100%" height={260}>
            <BarChart data={dist} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" opacity={0.4} />
              <XAxis dataKey="score" fontSize={11} />
              <YAxis allowDecimals={false} fontSize={11} />
              <Tooltip />
              <Legend wrapperStyle={{ fontSize: 11 }} />
              {bars(data.annotators)}
            </BarChart>
          </ResponsiveContainer>
        </ChartFrame>
        <ChartFrame
          title={`Krippendorff's α (${metric.endsWith('ordinal') ? 'ordinal' : 'interval'}) per aspect`}
          subtitle={`bootstrap 95% interval: items resampled ${data.bootstrap.resamples}×, seed ${data.bootstrap.seed}`}
          filename={`study${studyId}-alpha`}
          testId="chart-alpha"
        >
          <ResponsiveContainer width="100%" height={260}>
            {/* A point per aspect with its interval as an error bar (a bar from 0 would hide an alpha near 0). */}
            <LineChart data={alpha} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" opacity={0.4} />
              <XAxis dataKey="aspect" fontSize={11} padding={{ left: 30, right: 30 }} />
              <YAxis domain={[alphaFloor, 1]} ticks={alphaTicks} fontSize={11} />
              <Tooltip formatter={(_v, _n, p) => [`${fmt(p.payload.alpha)} [${fmt(p.payload.low)}, ${fmt(p.payload.high)}]`, 'α [95% CI]']} />
              <Line dataKey="alpha" stroke="none" dot={{ r: 5, fill: '#4c6ef5', stroke: '#4c6ef5' }} isAnimationActive={false}>
                <ErrorBar dataKey="ci" width={8} strokeWidth={1.5} stroke="#495057" direction="y" />
              </Line>
            </LineChart>
          </ResponsiveContainer>
          <Text size="xs" c="dimmed" data-testid="alpha-ci-text">
            {alpha.map((a) => `${a.aspect} ${fmt(a.alpha)} [${fmt(a.low)}, ${fmt(a.high)}]`).join(' · ')}
          </Text>
        </ChartFrame>
        <ChartFrame title="Time per item" subtitle="items by the time an annotator spent on them" filename={`study${studyId}-time`} testId="chart-time">
          <ResponsiveContainer width="100%" height={260}>
            <BarChart data={times} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" opacity={0.4} />
              <XAxis dataKey="bin" fontSize={11} />
              <YAxis allowDecimals={false} fontSize={11} />
              <Tooltip />
              <Legend wrapperStyle={{ fontSize: 11 }} />
              {bars(data.annotators)}
            </BarChart>
          </ResponsiveContainer>
        </ChartFrame>
        <ChartFrame title="Progress over time" subtitle="ratings given so far, per annotator" filename={`study${studyId}-progress`} testId="chart-progress">
          <ResponsiveContainer width="100%" height={260}>
            <LineChart data={progress} margin={{ top: 8, right: 16, bottom: 8, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" opacity={0.4} />
              <XAxis dataKey="t" type="number" scale="time" domain={['dataMin', 'dataMax']} fontSize={11} tickFormatter={(t: number) => new Date(t).toISOString().slice(5, 13).replace('T', ' ') + 'h'} />
              <YAxis allowDecimals={false} fontSize={11} />
              <Tooltip labelFormatter={(t) => new Date(Number(t)).toISOString().slice(0, 16).replace('T', ' ')} />
              <Legend wrapperStyle={{ fontSize: 11 }} />
              {data.annotators.map((p, i) => (
                <Line key={p} dataKey={p} stroke={COLORS[i % COLORS.length]} connectNulls dot isAnimationActive={false} />
              ))}
            </LineChart>
          </ResponsiveContainer>
        </ChartFrame>
      </SimpleGrid>
    </Stack>
  )
}
