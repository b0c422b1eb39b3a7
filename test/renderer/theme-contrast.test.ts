import { describe, expect, it } from 'vitest'
import { DEFAULT_THEME } from '@mantine/core'
import { contrastRatio, luminance, over, parseHex, readableOn } from '../../src/renderer/src/components/theme/contrast'
import { accessibleColorVariables } from '../../src/renderer/src/components/theme/theme'

describe('WCAG contrast arithmetic', () => {
  it('matches the WCAG 2.1 definition on known pairs', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 6)
    expect(contrastRatio('#ffffff', '#ffffff')).toBe(1)
    // The figures axe-core reported for Mantine's stock colours (rounded as axe prints them).
    expect(contrastRatio('#868e96', '#ffffff').toFixed(2)).toBe('3.32')
    expect(contrastRatio('#12b886', '#ffffff').toFixed(2)).toBe('2.55')
    expect(contrastRatio('#12b886', '#e7f8f3').toFixed(2)).toBe('2.32')
    expect(luminance('#808080')).toBeCloseTo(0.2158605, 6)
    expect(parseHex('#AbC')).toEqual([0xaa, 0xbb, 0xcc])
    expect(() => parseHex('teal')).toThrow(/not a hex colour: teal/)
  })

  it('composites a translucent colour like the browser', () => {
    expect(over('#12b886', 0.1, '#ffffff')).toBe('#e7f8f3')
  })

  it('keeps a colour that already passes and darkens one that does not, keeping its hue', () => {
    expect(readableOn('#000000', ['#ffffff'], '#000000')).toBe('#000000')
    const teal = readableOn('#12b886', ['#ffffff'], '#000000')
    expect(contrastRatio(teal, '#ffffff')).toBeGreaterThanOrEqual(4.5)
    const [r, g, b] = parseHex(teal)
    expect(g).toBeGreaterThan(r)
    expect(g).toBeGreaterThan(b)
    expect(() => readableOn('#777777', ['#777777'], '#000000', 22)).toThrow(/reaches 22:1/)
  })
})

describe('the theme\u2019s colour variables', () => {
  const vars = accessibleColorVariables()
  const light = ['#ffffff', DEFAULT_THEME.colors.gray[0], DEFAULT_THEME.colors.gray[1]]
  const dark = [DEFAULT_THEME.colors.dark[7], DEFAULT_THEME.colors.dark[6]]

  it('gives every palette readable text and fills under white text, in both schemes', () => {
    for (const name of Object.keys(DEFAULT_THEME.colors)) {
      for (const bg of light) expect(contrastRatio(vars.light[`--mantine-color-${name}-text`], bg), `${name} text on ${bg}`).toBeGreaterThanOrEqual(4.5)
      for (const bg of dark) expect(contrastRatio(vars.dark[`--mantine-color-${name}-text`], bg), `${name} dark text on ${bg}`).toBeGreaterThanOrEqual(4.5)
      // The light variant: its text on its own translucent background.
      const c = DEFAULT_THEME.colors[name]
      expect(contrastRatio(vars.light[`--mantine-color-${name}-light-color`], over(c[6], 0.1, '#ffffff'))).toBeGreaterThanOrEqual(4.5)
      expect(contrastRatio(vars.dark[`--mantine-color-${name}-light-color`], over(c[6], 0.15, DEFAULT_THEME.colors.dark[7]))).toBeGreaterThanOrEqual(4.5)
      expect(contrastRatio('#ffffff', vars.light[`--mantine-color-${name}-filled`]), `white on ${name}`).toBeGreaterThanOrEqual(4.5)
      expect(contrastRatio('#ffffff', vars.dark[`--mantine-color-${name}-filled`]), `white on dark ${name}`).toBeGreaterThanOrEqual(4.5)
    }
  })

  it('dims secondary text without going below AA, and leaves passing colours alone', () => {
    for (const bg of light) expect(contrastRatio(vars.light['--mantine-color-dimmed'], bg)).toBeGreaterThanOrEqual(4.5)
    for (const bg of dark) expect(contrastRatio(vars.dark['--mantine-color-dimmed'], bg)).toBeGreaterThanOrEqual(4.5)
    // Still secondary: lighter than body text in the light theme, darker than it in the dark one.
    expect(luminance(vars.light['--mantine-color-dimmed'])).toBeGreaterThan(luminance('#000000'))
    expect(luminance(vars.dark['--mantine-color-dimmed'])).toBeLessThan(luminance(DEFAULT_THEME.colors.dark[0]))
    // Violet's shade 6 already reads on white; it stays as Mantine ships it.
    expect(vars.light['--mantine-color-violet-filled']).toBe(DEFAULT_THEME.colors.violet[6].toLowerCase())
  })
})
