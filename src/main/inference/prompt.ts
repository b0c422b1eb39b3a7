import { AppError } from '../../shared/api/errors'
import type { PromptFormat } from '../../shared/api/inference'
import type { ItemReads, ItemRow } from '../imhi/items'
import type { PromptSpec } from './worker/protocol'

/**
 * The model input for an item: IMHI.py feeds the query as is (raw); completion uses the
 * test_complete twin (`completeTwin` finds it: the same dataset and source row).
 */
export function promptFor(item: ItemRow, format: PromptFormat, completeTwin: (dataset: string, sourceRow: number) => { query: string } | undefined): PromptSpec {
  if (format === 'completion') {
    if (item.split === 'test_complete') return { text: item.query, template: 'none' }
    const twin = completeTwin(item.dataset, item.sourceRow)
    if (!twin) {
      throw new AppError('not_found', `Item ${item.id} (${item.dataset} row ${item.sourceRow}) has no completion-style query: import test_data/test_complete/${item.dataset}.csv.`, {
        item: item.id
      })
    }
    return { text: twin.query, template: 'none' }
  }
  return { text: item.query, template: format === 'chat' ? 'chat' : 'none' }
}

/** The benchmark item reads inference makes, all through the imhi service (imhi/items.ts). */
export type InferenceItems = Pick<ItemReads, 'itemsByIds' | 'twinItem' | 'itemIdsInOrder' | 'storedDatasetName'>

/** The completion-style twin of an item (the same dataset and source row in test_complete). */
export const completeTwinOf = (items: InferenceItems) => (dataset: string, sourceRow: number) => items.twinItem(dataset, 'test_complete', sourceRow)
