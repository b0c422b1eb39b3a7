import { describe, expect, it } from 'vitest'
import { ratingAnnouncement, type RatingView } from '../../src/renderer/src/pages/annotate/rate/announce'

const aspects = [
  { key: 'fluency', label: 'Fluency', min: 0, max: 3 },
  { key: 'overall', label: 'Overall', min: 0, max: 3 }
]
const view = (patch: Partial<RatingView>): RatingView => ({ pos: 0, total: 4, done: 0, loaded: true, notice: false, aspects, aspectIdx: 0, studyItemId: 11, scores: {}, ...patch })

describe('what the rating screen announces', () => {
  it('names the item, the aspect and its scale when an item opens', () => {
    expect(ratingAnnouncement(null, view({}))).toBe('Item 1 of 4, 0 done. Rate Fluency, 0 to 3: press a digit.')
    expect(ratingAnnouncement(null, view({ scores: { fluency: 2 } }))).toBe('Item 1 of 4, 0 done. Rate Fluency, 0 to 3, now 2: press a digit.')
  })

  it('says a score and the next aspect after a rating', () => {
    const a = view({})
    const b = view({ aspectIdx: 1, scores: { fluency: 3 } })
    expect(ratingAnnouncement(a, b)).toBe('Fluency: 3 of 3. Rate Overall, 0 to 3: press a digit.')
  })

  it('says the last score while the next item loads, then the new item', () => {
    const a = view({ aspectIdx: 1, scores: { fluency: 3 } })
    const loading = view({ pos: 1, loaded: false, aspectIdx: 1, scores: { fluency: 3, overall: 1 }, done: 1 })
    expect(ratingAnnouncement(a, loading)).toBe('Overall: 1 of 3.')
    const next = view({ pos: 1, studyItemId: 12, done: 1 })
    expect(ratingAnnouncement(loading, next)).toBe('Item 2 of 4, 1 done. Rate Fluency, 0 to 3: press a digit.')
  })

  it('says an undone score, also on an item that comes back on screen', () => {
    const back = view({ aspectIdx: 1, scores: { fluency: 3 } })
    expect(ratingAnnouncement(view({ pos: 1, studyItemId: 12 }), back, { fluency: 3, overall: 1 })).toBe('Overall: rating removed. Item 1 of 4, 0 done. Rate Overall, 0 to 3: press a digit.')
  })

  it('announces a content notice instead of the aspect, and nothing when nothing changed', () => {
    expect(ratingAnnouncement(null, view({ notice: true }))).toBe('Item 1 of 4, 0 done. Content notice: this post may mention suicide or self-harm. Enter shows it, S skips it.')
    // Showing the post: the aspect prompt follows.
    expect(ratingAnnouncement(view({ notice: true }), view({}))).toBe('Item 1 of 4, 0 done. Rate Fluency, 0 to 3: press a digit.')
    expect(ratingAnnouncement(view({}), view({}))).toBe('')
  })

  it('says when the last item is done', () => {
    const a = view({ pos: 3, done: 3, aspectIdx: 1, scores: { fluency: 1 } })
    const b = view({ pos: 3, done: 4, aspectIdx: 1, scores: { fluency: 1, overall: 2 } })
    expect(ratingAnnouncement(a, b)).toBe('Overall: 2 of 3. All items rated.')
  })
})
