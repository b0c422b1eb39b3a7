/**
 * WCAG 2.1 contrast arithmetic (https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio), pure functions:
 * the theme uses them to pick text colours that meet AA (4.5:1) on the surfaces they sit on.
 */

export type Rgb = readonly [number, number, number]

/** '#rgb', '#rrggbb' (any case) to 0-255 channels; throws on anything else. */
export function parseHex(color: string): Rgb {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color.trim())
  if (!m) throw new Error(`not a hex colour: ${color}`)
  const h = m[1].length === 3 ? [...m[1]].map((c) => c + c).join('') : m[1]
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as unknown as Rgb
}

export function toHex(rgb: Rgb): string {
  return '#' + rgb.map((v) => Math.round(Math.min(255, Math.max(0, v))).toString(16).padStart(2, '0')).join('')
}

/** Relative luminance of an sRGB colour (WCAG 2.1 definition, 0.03928 threshold). */
export function luminance(color: string | Rgb): number {
  const rgb = typeof color === 'string' ? parseHex(color) : color
  const [r, g, b] = rgb.map((v) => {
    const c = v / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

/** (L1 + 0.05) / (L2 + 0.05), lighter over darker: 1 to 21. */
export function contrastRatio(a: string, b: string): number {
  const la = luminance(a)
  const lb = luminance(b)
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05)
}

/** `fg` at opacity `alpha` composited over the opaque `bg` (what a translucent badge background shows). */
export function over(fg: string, alpha: number, bg: string): string {
  const f = parseHex(fg)
  const b = parseHex(bg)
  return toHex([0, 1, 2].map((i) => f[i] * alpha + b[i] * (1 - alpha)) as unknown as Rgb)
}

/**
 * `color` itself when it reaches `target` against every background, else `color` mixed toward
 * `toward` (black to darken, white to lighten) in 4% steps until it does: the nearest readable
 * shade of the same hue. Throws if even `toward` itself cannot reach the target.
 */
export function readableOn(color: string, backgrounds: readonly string[], toward: '#000000' | '#ffffff', target = 4.5): string {
  const ok = (c: string) => backgrounds.every((bg) => contrastRatio(c, bg) >= target)
  for (let step = 0; step <= 25; step++) {
    const c = step === 0 ? toHex(parseHex(color)) : over(toward, step * 0.04, color)
    if (ok(c)) return c
  }
  throw new Error(`no shade of ${color} toward ${toward} reaches ${target}:1 on ${backgrounds.join(', ')}`)
}
