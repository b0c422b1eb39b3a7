import { Loader } from '@mantine/core'
import type { Route } from '@renderer/router'
import { useAppState } from '@renderer/api/appState'
import { RatingScreen } from './rate/RatingScreen'
import { StudyList } from './studies/StudyList'
import { StudyPage } from './study/StudyPage'
import { ReviewItemView } from './review/ReviewItemView'

/**
 * #/annotate                    studies (the lead) or my queues (an annotator's token)
 * #/annotate/study/ID           the lead's view of one study: progress, agreement, export, packages
 * #/annotate/rate/ID?annotator=A&pos=P   the rating screen
 * #/annotate/study/ID?tab=review          a tab of the study page
 * #/annotate/review/ID/ITEM?list=L        the lead's review of one item (L: flagged, notes, skipped, disagreements)
 */
export default function AnnotatePage({ route }: { route: Route }) {
  const { info } = useAppState()
  if (!info) return <Loader />
  const [, view, idText] = route.segments
  const id = Number(idText)
  const isAnnotator = info.role === 'annotator'
  if (view === 'rate' && Number.isInteger(id) && id > 0) {
    const annotatorId = isAnnotator ? info.annotatorId! : Number(route.query.get('annotator'))
    const pos = route.query.get('pos')
    return <RatingScreen key={`${id}:${annotatorId}`} studyId={id} annotatorId={annotatorId} startPos={pos === null ? null : Number(pos)} canSwitch={!isAnnotator} database={info.dbFile ?? info.database} />
  }
  if (view === 'study' && Number.isInteger(id) && id > 0 && !isAnnotator) return <StudyPage studyId={id} tab={route.query.get('tab') ?? 'progress'} />
  const itemId = Number(route.segments[3])
  if (view === 'review' && Number.isInteger(id) && id > 0 && Number.isInteger(itemId) && itemId > 0 && !isAnnotator) {
    return <ReviewItemView key={`${id}:${route.query.get('list') ?? ''}`} studyId={id} studyItemId={itemId} list={route.query.get('list') ?? 'disagreements'} />
  }
  return <StudyList annotatorId={isAnnotator ? info.annotatorId : null} />
}
