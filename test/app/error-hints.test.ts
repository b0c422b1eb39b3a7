import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cliHint, withCliHint } from '../../src/main/cli/hints'
import { readOutputs } from '../../src/main/evaluation/outputs'
import { messageWithHint } from '../../src/renderer/src/components/errors/notify'
import { AppError } from '../../src/shared/api/errors'
import { tempDir } from '../support/tmp'

describe('errors in the domain words; the CLI and the UI add their own hints', () => {
  it('the CLI turns a named input into its flag and a missing step into its command', () => {
    expect(cliHint({ field: 'datasetAs' })).toBe('on the command line: --dataset-as NAME')
    expect(cliHint({ needs: 'classifiers' })).toBe('on the command line: imhi classifiers train --db FILE')
    expect(cliHint({ needs: 'model', field: 'embeddingModel' })).toBe('on the command line: imhi models add PATH --db FILE, or --embedding-model PATH')
    expect(cliHint({ field: 'datasets' })).toBeNull()
    expect(cliHint(undefined)).toBeNull()
    expect(withCliHint('Study "x" already exists.', { field: 'studyName' })).toBe('Study "x" already exists. (on the command line: --study NAME)')
    expect(withCliHint('plain', { file: 'a.csv' })).toBe('plain')
  })

  it('the UI says where in the app to do the missing step', () => {
    expect(messageWithHint(new AppError('invalid_input', 'No label classifier trained for DR.', { needs: 'classifiers' }))).toBe(
      'No label classifier trained for DR. In the app: Evaluate → Classifiers → Train classifiers.'
    )
    expect(messageWithHint(new AppError('invalid_input', 'plain', { field: 'datasetAs' }))).toBe('plain')
  })

  it('a service error names the input, not the flag', () => {
    const dir = tempDir()
    const file = join(dir, 'mystery.csv')
    writeFileSync(file, 'goldens,generated_text\na,b\n')
    let err: AppError | undefined
    try {
      readOutputs(file, { requireGoldens: true, datasetAs: 'nope' })
    } catch (e) {
      err = e as AppError
    }
    expect(err).toBeInstanceOf(AppError)
    expect(err!.message).toMatch(/Unknown dataset "nope" named for the outputs/)
    expect(err!.message).not.toMatch(/--/)
    expect((err!.details as { field: string }).field).toBe('datasetAs')
  })

  it('no service message names a command-line flag or an imhi command', () => {
    // Flags of other tools (optimum-cli's --task, the BERTScore converter's --layer) are instructions
    // about those tools and may appear; the app's own flags and commands may not.
    const root = resolve(__dirname, '../../src/main')
    const domains = ['annotation', 'evaluation', 'imhi', 'inference', 'db', 'files']
    const offenders: string[] = []
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name)
        if (statSync(path).isDirectory()) walk(path)
        else if (name.endsWith('.ts')) {
          readFileSync(path, 'utf8')
            .split('\n')
            .forEach((line, i) => {
              if (/^\s*(\/\/|\*|\/\*)/.test(line)) return
              const strings = line.match(/(['`"])(?:(?!\1).)*\1/g) ?? []
              for (const s of strings) {
                const flag = /(?:^|[\s(])--(?!task\b|layer\b|no-post-process\b)[a-z][a-z-]+/.exec(s)
                const command = /\bimhi (?:import|classifiers|models|evaluate|label|score|runs|annotations|doctor)\b/.exec(s)
                if (flag || command) offenders.push(`${path.slice(root.length + 1)}:${i + 1}: ${(flag ?? command)![0].trim()}`)
              }
            })
        }
      }
    }
    for (const d of domains) walk(join(root, d))
    expect(offenders).toEqual([])
  })
})
