import { Loader } from '@mantine/core'
import type { Route } from '../../router'
import { useAppState } from '../../api/appState'
import { RatingScreen } from './rate/RatingScreen'
import { StudyList } from './studies/StudyList'
import { StudyPage } from './study/StudyPage'

/**
 * #/annotate                    studies (the lead) or my queues (an annotator's token)
 * #/annotate/study/ID           the lead's view of one study: progress, agreement, export, packages
 * #/annotate/rate/ID?annotator=A&pos=P   the rating screen
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
  if (view === 'study' && Number.isInteger(id) && id > 0 && !isAnnotator) return <StudyPage studyId={id} />
  return <StudyList annotatorId={isAnnotator ? info.annotatorId : null} />
}
