import { notifications } from '@mantine/notifications'
import { AppError } from '../../../../shared/api/errors'

/**
 * Services say what is missing first in the domain's words (`details.needs`); the UI says where
 * in the app to do it (the CLI adds its commands instead, src/main/cli/hints.ts).
 */
const WHERE_IN_THE_APP: Record<string, string> = {
  classifiers: 'Evaluate → Classifiers → Train classifiers.',
  imhiData: 'Import… in the header.',
  model: 'Models → Add a model.'
}

/** An error's message with where in the app to fix it, when the error says what is missing. */
export function messageWithHint(e: AppError): string {
  const needs = (e.details as { needs?: unknown } | undefined)?.needs
  const where = typeof needs === 'string' ? WHERE_IN_THE_APP[needs] : undefined
  return where ? `${e.message} In the app: ${where}` : e.message
}

/** Shows an API or UI error as a notification: the server's message names the file, row or field. */
export function notifyError(err: unknown, title = 'Something went wrong'): void {
  const e = AppError.from(err)
  notifications.show({
    color: 'red',
    title,
    message: messageWithHint(e),
    autoClose: e.code === 'internal' ? false : 8000,
    withBorder: true
  })
}

export function notifySuccess(message: string, title?: string): void {
  notifications.show({ color: 'teal', title, message, autoClose: 4000, withBorder: true })
}
