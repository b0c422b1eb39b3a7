import type { Handlers } from '../../api/dispatch'
import type { Services } from '../../services'

type SettingsMethod = 'inference.settings.get' | 'inference.settings.set' | 'inference.settings.reset' | 'inference.settings.estimate'

/** API handlers of the per-model inference settings. */
export function modelSettingsHandlers(s: Services): Pick<Handlers, SettingsMethod> {
  const settings = s.inference.settings
  return {
    'inference.settings.get': (input) => settings.view(input.modelId),
    'inference.settings.set': (input) => settings.set(input.modelId, input.settings),
    'inference.settings.reset': (input) => settings.reset(input.modelId),
    'inference.settings.estimate': (input) => settings.estimate(input.modelId, input.settings)
  }
}
