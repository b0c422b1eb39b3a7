#!/usr/bin/env node
// Renders resources/icon.svg (the one source of the app icon) to the PNGs that ship: resources/icon.png
// (1024 px; electron-builder derives the Windows .ico and the macOS .icns from it) and the favicon
// src/renderer/public/favicon.png (64 px; favicon.svg is a copy of the SVG). Uses Playwright's Chromium:
// `node scripts/render-icons.js` (CHROMIUM_PATH, default /usr/bin/chromium).
import { chromium } from '@playwright/test'
import { copyFileSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const svg = readFileSync(join(root, 'resources', 'icon.svg'), 'utf8')
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] })
try {
  for (const [size, out] of [
    [1024, join(root, 'resources', 'icon.png')],
    [64, join(root, 'src', 'renderer', 'public', 'favicon.png')]
  ]) {
    const page = await browser.newPage({ viewport: { width: size, height: size } })
    await page.setContent(`<html><body style="margin:0;background:transparent">${svg.replace('width="1024" height="1024"', `width="${size}" height="${size}"`)}</body></html>`)
    await page.screenshot({ path: out, omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } })
    await page.close()
    console.log(`${out} (${size}×${size})`)
  }
  copyFileSync(join(root, 'resources', 'icon.svg'), join(root, 'src', 'renderer', 'public', 'favicon.svg'))
} finally {
  await browser.close()
}
