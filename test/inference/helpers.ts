import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

function cell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v
}

/**
 * A DR test set of `n` invented posts in the MentalLLaMA layout (instruction and completion
 * files, same items in the same order), for runs long enough to pause, kill and resume.
 * Some posts are long, some hold quotes, commas and line breaks, one gold response starts with "=".
 */
export function writeManyItems(dir: string, n: number): string {
  const root = join(dir, 'imhi-many')
  const instr: string[] = ['query,gpt-3.5-turbo']
  const compl: string[] = ['query,gpt-3.5-turbo']
  for (let i = 1; i <= n; i++) {
    const post = i % 7 === 0 ? `Post ${i}: I said "fine", but\nI am not, really.` : `Post ${i}: today was ${i % 2 ? 'hard' : 'fine'}, I feel ${i % 3 ? 'sad' : 'ok'}.`
    const yes = i % 2 === 1
    const gold = i === 3 ? '=1+1 looks like a formula. Reasoning: none.' : `${yes ? 'Yes' : 'No'}, the poster ${yes ? 'suffers' : 'does not suffer'} from depression. Reasoning: item ${i}.`
    instr.push(`${cell(`Consider this post: "${post}" Question: Does the poster suffer from depression?`)},${cell(gold)}`)
    compl.push(`${cell(`Post: ${post}  Question: The answer to the question "Does the poster suffers from depression?" is `)},${cell(`${yes ? 'yes' : 'no'}. Reasoning: item ${i}.`)}`)
  }
  for (const [split, lines] of [['test_instruction', instr], ['test_complete', compl]] as const) {
    mkdirSync(join(root, 'test_data', split), { recursive: true })
    writeFileSync(join(root, 'test_data', split, 'DR.csv'), lines.join('\n') + '\n')
  }
  return root
}
