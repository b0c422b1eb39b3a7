import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Page } from '@playwright/test'

/**
 * axe-core (the pinned devDependency) injected into a page and run with the WCAG 2.0/2.1 A and AA
 * rules. The page's CSP forbids inline scripts, so the context that uses this must be created with
 * `bypassCSP: true` (only the accessibility spec does that).
 */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] as const

export interface AxeFinding {
  state: string
  rule: string
  impact: string
  help: string
  nodes: { target: string; summary: string }[]
}

/** Waits until no CSS transition or animation is running (a modal fading in reads as low contrast). */
export async function settle(page: Page): Promise<void> {
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity), undefined, { timeout: 10_000 }).catch(() => {})
}

/** Runs axe on the whole document; returns the violations, labelled with `state`. */
export async function axeViolations(page: Page, state: string): Promise<AxeFinding[]> {
  await settle(page)
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE_SOURCE })
  const violations = await page.evaluate(async (tags) => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: unknown[]; failureSummary?: string }[] }[] }> } }).axe
    const r = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target.map(String).join(' '), summary: (n.failureSummary ?? '').replace(/\s+/g, ' ').trim() })) }))
  }, [...WCAG_TAGS])
  return violations.map((v) => ({ state, rule: v.id, impact: v.impact, help: v.help, nodes: v.nodes }))
}

/** One readable block per violation: state, rule, impact, and each element with axe's reason. */
export function formatFindings(findings: readonly AxeFinding[], maxNodes = 6): string {
  return findings
    .map((f) => {
      const nodes = f.nodes.slice(0, maxNodes).map((n) => `    - ${n.target}\n      ${n.summary.slice(0, 300)}`)
      if (f.nodes.length > maxNodes) nodes.push(`    … and ${f.nodes.length - maxNodes} more element(s)`)
      return `[${f.state}] ${f.rule} (${f.impact}, ${f.nodes.length} element(s)): ${f.help}\n${nodes.join('\n')}`
    })
    .join('\n')
}
