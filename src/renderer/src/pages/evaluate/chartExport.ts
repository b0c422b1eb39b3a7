import { download } from './csv'

/** The chart's SVG as a standalone document: namespaces, size, a solid background, computed text colour. */
export function svgMarkup(svg: SVGSVGElement): string {
  const clone = svg.cloneNode(true) as SVGSVGElement
  const { width, height } = svg.getBoundingClientRect()
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg')
  clone.setAttribute('xmlns:xlink', 'http://www.w3.org/1999/xlink')
  clone.setAttribute('width', String(Math.round(width)))
  clone.setAttribute('height', String(Math.round(height)))
  const bg = getComputedStyle(svg.closest('[data-chart-frame]') ?? document.body).backgroundColor
  const rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect')
  rect.setAttribute('width', '100%')
  rect.setAttribute('height', '100%')
  rect.setAttribute('fill', bg && bg !== 'rgba(0, 0, 0, 0)' ? bg : '#ffffff')
  clone.insertBefore(rect, clone.firstChild)
  const color = getComputedStyle(svg).color
  clone.setAttribute('style', `font-family: sans-serif; color: ${color}`)
  return new XMLSerializer().serializeToString(clone)
}

function firstSvg(container: HTMLElement): SVGSVGElement {
  // recharts puts its legend icons in small SVGs too: the chart is the largest.
  const svgs = [...container.querySelectorAll('svg')]
  const svg = svgs.sort((a, b) => b.getBoundingClientRect().width * b.getBoundingClientRect().height - a.getBoundingClientRect().width * a.getBoundingClientRect().height)[0]
  if (!svg) throw new Error('This chart has nothing to export yet.')
  return svg as SVGSVGElement
}

export function exportSvg(container: HTMLElement, filename: string): void {
  download(`${filename}.svg`, new Blob([svgMarkup(firstSvg(container))], { type: 'image/svg+xml' }))
}

export async function exportPng(container: HTMLElement, filename: string, scale = 2): Promise<void> {
  const svg = firstSvg(container)
  const markup = svgMarkup(svg)
  const { width, height } = svg.getBoundingClientRect()
  const url = URL.createObjectURL(new Blob([markup], { type: 'image/svg+xml' }))
  try {
    const img = new Image()
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve()
      img.onerror = () => reject(new Error('The chart could not be drawn as an image.'))
      img.src = url
    })
    const canvas = document.createElement('canvas')
    canvas.width = Math.max(1, Math.round(width * scale))
    canvas.height = Math.max(1, Math.round(height * scale))
    const g = canvas.getContext('2d')!
    g.scale(scale, scale)
    g.drawImage(img, 0, 0, width, height)
    const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/png'))
    if (!blob) throw new Error('The chart could not be encoded as PNG.')
    download(`${filename}.png`, blob)
  } finally {
    URL.revokeObjectURL(url)
  }
}
