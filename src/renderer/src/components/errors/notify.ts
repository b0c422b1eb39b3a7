import { notifications } from '@mantine/notifications'
import { AppError } from '../../../../shared/api/errors'

/** Shows an API or UI error as a notification: the server's message names the file, row or field. */
export function notifyError(err: unknown, title = 'Something went wrong'): void {
  const e = AppError.from(err)
  notifications.show({
    color: 'red',
    title,
    message: e.message,
    autoClose: e.code === 'internal' ? false : 8000,
    withBorder: true
  })
}

export function notifySuccess(message: string, title?: string): void {
  notifications.show({ color: 'teal', title, message, autoClose: 4000, withBorder: true })
}
