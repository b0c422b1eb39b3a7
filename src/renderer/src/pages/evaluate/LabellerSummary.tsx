import { Card, Code, Stack, Text } from '@mantine/core'
import type { EvaluationReport } from '../../../../shared/api/evaluation'

/** Which labeller made the report's classifier labels; for MentalBERT, how each dataset ran and label_inference.py's --calculate lines. */
export function LabellerSummary({ report }: { report: EvaluationReport }) {
  const labeller = report.labeller ?? { kind: 'tfidf' as const, name: 'built-in TF-IDF classifiers', modelPath: null }
  const runs = Object.values(report.datasets).flatMap((d) => (d.mentalbert ? [{ dataset: d.dataset, m: d.mentalbert }] : []))
  return (
    <Card withBorder padding="xs" data-testid="labeller-summary">
      <Stack gap={4}>
        <Text size="sm">
          <b>Classifier labels by:</b> <span data-testid="labeller-name">{labeller.name}</span>
        </Text>
        {runs.map(({ dataset, m }) => (
          <Text key={dataset} size="xs" c="dimmed">
            {dataset}: {m.folder} on {m.provider}, batch {m.batchSize}, {m.truncated} response(s) cut to {m.maxLength} tokens, {m.seconds.toFixed(2)} s
          </Text>
        ))}
        {runs.some((r) => r.m.script) && (
          <>
            <Text size="xs" fw={600}>
              label_inference.py --calculate (percent, rounded as the script rounds):
            </Text>
            <Code block data-testid="label-inference-lines">
              {runs
                .filter((r) => r.m.script)
                .map(({ dataset, m }) => (m.script!.ok ? m.script!.printed : `${dataset}: the script fails here (${m.script!.error}); no number`))
                .join('\n')}
            </Code>
          </>
        )}
      </Stack>
    </Card>
  )
}
