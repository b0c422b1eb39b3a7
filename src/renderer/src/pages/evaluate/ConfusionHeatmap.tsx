import type { CorrectnessMetrics } from '../../../../shared/api/evaluation'

/** Confusion matrix as an SVG heat map: rows gold, columns predicted; colour by row share. */
export function ConfusionHeatmap({ metrics }: { metrics: CorrectnessMetrics }) {
  const { labels, matrix } = metrics.confusion
  // The "ood" gold row is always empty: drop it, keep the "ood" column.
  const rows = labels.filter((l) => l !== 'ood')
  const cell = Math.max(34, Math.min(64, Math.floor(520 / labels.length)))
  const left = 150
  const top = 110
  const width = left + cell * labels.length + 10
  const height = top + cell * rows.length + 10
  return (
    <svg width={width} height={height} role="img" aria-label={`Confusion matrix of ${metrics.dataset}`} style={{ color: 'var(--mantine-color-text)' }}>
      <text x={left + (cell * labels.length) / 2} y={14} textAnchor="middle" fontSize={12} fill="currentColor">
        predicted
      </text>
      {labels.map((l, j) => (
        <text key={l} transform={`translate(${left + j * cell + cell / 2}, ${top - 6}) rotate(-45)`} fontSize={11} fill="currentColor">
          {l}
        </text>
      ))}
      <text transform={`translate(12, ${top + (cell * rows.length) / 2}) rotate(-90)`} textAnchor="middle" fontSize={12} fill="currentColor">
        gold
      </text>
      {rows.map((g, i) => {
        const total = matrix[i].reduce((a, b) => a + b, 0)
        return (
          <g key={g}>
            <text x={left - 6} y={top + i * cell + cell / 2 + 4} textAnchor="end" fontSize={11} fill="currentColor">
              {g}
            </text>
            {labels.map((p, j) => {
              const v = matrix[i][j]
              const share = total > 0 ? v / total : 0
              const diagonal = g === p
              const hue = diagonal ? 160 : p === 'ood' ? 35 : 0
              return (
                <g key={p} data-testid={`cm-${g}-${p}`}>
                  <rect
                    x={left + j * cell}
                    y={top + i * cell}
                    width={cell - 2}
                    height={cell - 2}
                    rx={3}
                    fill={v === 0 ? 'rgba(128,128,128,0.08)' : `hsla(${hue}, 65%, 45%, ${0.15 + 0.85 * share})`}
                  >
                    <title>{`gold ${g}, predicted ${p}: ${v} (${(100 * share).toFixed(1)}% of the row)`}</title>
                  </rect>
                  <text x={left + j * cell + (cell - 2) / 2} y={top + i * cell + (cell - 2) / 2 + 4} textAnchor="middle" fontSize={11} fill={share > 0.55 ? '#fff' : 'currentColor'}>
                    {v}
                  </text>
                </g>
              )
            })}
          </g>
        )
      })}
    </svg>
  )
}
