import { Anchor, CloseButton, DEFAULT_THEME, Modal, createTheme, mergeMantineTheme, type CSSVariablesResolver, type MantineColorsTuple } from '@mantine/core'
import { over, readableOn } from './contrast'

/**
 * The workbench's Mantine theme, and the one place where its colours are made to meet WCAG 2.1 AA.
 *
 * Mantine's stock palettes put text in shade 6 in the light theme (teal 2.5:1 on white, gray 3.3:1,
 * red 3.3:1) and white text on shade 6/8 fills. The resolver below keeps every palette's hue and
 * replaces, per colour scheme, the variables that colour text (`-text`, `-light-color`,
 * `-outline`, dimmed, anchor, error) and the fills under white text (`-filled`) by the nearest
 * shade that reaches 4.5:1 on the surfaces they are drawn on (body, paper, hover and the colour's
 * own translucent "light" background). Components then need no per-element colour fixes.
 */
export const theme = createTheme({
  primaryColor: 'teal',
  defaultRadius: 'sm',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  fontFamilyMonospace: 'ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace',
  // Transitions (modals, menus, tooltips) off for users who ask their system for reduced motion.
  respectReducedMotion: true,
  components: {
    // Links inside running text are told apart by more than colour (WCAG 1.4.1).
    Anchor: Anchor.extend({ defaultProps: { underline: 'always' } }),
    // Every modal's close button has a name for screen readers, and any other close button
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
    // (notifications, inputs' clear buttons) too.
    CloseButton: CloseButton.extend({ defaultProps: { 'aria-label': 'Close' } as Record<string, string> }),
    // An input's clear button (clearable selects) clears, it does not close.
    InputClearButton: { defaultProps: { 'aria-label': 'Clear' } }
  }
})

/** AA for normal-size text, with a little margin for rounding in the browser's compositing. */
const TARGET = 4.6
const WHITE = '#ffffff'
const BLACK = '#000000'

export interface SchemeColors {
  light: Record<string, string>
  dark: Record<string, string>
}

/** The colour variables, per scheme, that replace Mantine's defaults (see the comment above). */
export function accessibleColorVariables(t = mergeMantineTheme(DEFAULT_THEME, theme)): SchemeColors {
  const gray = t.colors.gray
  const dark = t.colors.dark
  const primary = t.colors[t.primaryColor]
  const light: Record<string, string> = {}
  const darkVars: Record<string, string> = {}
  // Surfaces text sits on: body, paper/hover greys, striped rows, code and kbd backgrounds.
  const lightSurfaces = [WHITE, gray[0], gray[1], over(primary[6], 0.1, WHITE)]
  const darkSurfaces = [dark[7], dark[6], dark[5], over(primary[6], 0.15, dark[7])]

  const names = Object.keys(t.colors) as string[]
  for (const name of names) {
    const c = t.colors[name] as MantineColorsTuple
    // Light theme: Mantine's light variant is shade 6 at 10 % over white; text is shade 6.
    const lightBg = [over(c[6], 0.1, WHITE), over(c[6], 0.1, gray[0])]
    const text = readableOn(c[6], [...lightSurfaces, ...lightBg], BLACK, TARGET)
    const filled = readableOn(c[6], [WHITE], BLACK, TARGET)
    Object.assign(light, {
      [`--mantine-color-${name}-text`]: text,
      [`--mantine-color-${name}-light-color`]: text,
      [`--mantine-color-${name}-outline`]: text,
      [`--mantine-color-${name}-filled`]: filled,
      [`--mantine-color-${name}-filled-hover`]: over(BLACK, 0.12, filled)
    })
    // Dark theme: the light variant is shade 6 at 15 % over the body; its text shade 3, other text shade 4.
    const darkBg = [over(c[6], 0.15, dark[7]), over(c[6], 0.15, dark[6])]
    const darkText = readableOn(c[4], [...darkSurfaces, ...darkBg], WHITE, TARGET)
    const darkFilled = readableOn(c[8], [WHITE], BLACK, TARGET)
    Object.assign(darkVars, {
      [`--mantine-color-${name}-text`]: darkText,
      [`--mantine-color-${name}-light-color`]: readableOn(c[3], [...darkSurfaces, ...darkBg], WHITE, TARGET),
      [`--mantine-color-${name}-outline`]: darkText,
      [`--mantine-color-${name}-filled`]: darkFilled,
      [`--mantine-color-${name}-filled-hover`]: over(BLACK, 0.12, darkFilled)
    })
  }
  const p = t.primaryColor
  Object.assign(light, {
    '--mantine-color-dimmed': readableOn(gray[6], [...lightSurfaces, '#f3f4f5', gray[2]], BLACK, TARGET),
    '--mantine-color-anchor': light[`--mantine-color-${p}-text`],
    '--mantine-color-error': light['--mantine-color-red-text'],
    '--mantine-primary-color-filled': light[`--mantine-color-${p}-filled`],
    '--mantine-primary-color-filled-hover': light[`--mantine-color-${p}-filled-hover`],
    '--mantine-primary-color-light-color': light[`--mantine-color-${p}-light-color`]
  })
  Object.assign(darkVars, {
    '--mantine-color-dimmed': readableOn(dark[2], [...darkSurfaces, dark[4]], WHITE, TARGET),
    '--mantine-color-anchor': darkVars[`--mantine-color-${p}-text`],
    '--mantine-color-error': darkVars['--mantine-color-red-text'],
    '--mantine-primary-color-filled': darkVars[`--mantine-color-${p}-filled`],
    '--mantine-primary-color-filled-hover': darkVars[`--mantine-color-${p}-filled-hover`],
    '--mantine-primary-color-light-color': darkVars[`--mantine-color-${p}-light-color`]
  })
  return { light, dark: darkVars }
}

const computed = accessibleColorVariables()

/** MantineProvider's cssVariablesResolver: Mantine's defaults, then the readable colours above. */
export const cssVariablesResolver: CSSVariablesResolver = () => ({ variables: {}, light: computed.light, dark: computed.dark })
