/**
 * Services raise errors in the domain's words: they name the input (`details.field`, the
 * contract's field name) or what is missing first (`details.needs`), never a command-line flag.
 * On the command line that input is a flag and the missing step a command; these tables say
 * which, and the CLI adds it to the message it prints.
 */
const FLAG_OF_FIELD: Record<string, string> = {
  datasetAs: '--dataset-as NAME',
  embeddingModel: '--embedding-model PATH',
  lmModel: '--model PATH',
  studyName: '--study NAME'
}

const COMMAND_FOR_NEED: Record<string, string> = {
  classifiers: 'imhi classifiers train --db FILE',
  imhiData: 'imhi import PATH --db FILE',
  model: 'imhi models add PATH --db FILE',
  seq2seqEngine: 'imhi engines add NAME --seq2seq DIR --db FILE'
}

/** The command-line hint for an error's details (or a skipped file), or null when there is none. */
export function cliHint(details: unknown): string | null {
  if (!details || typeof details !== 'object') return null
  const d = details as { field?: unknown; needs?: unknown }
  const parts: string[] = []
  if (typeof d.needs === 'string' && COMMAND_FOR_NEED[d.needs]) parts.push(COMMAND_FOR_NEED[d.needs])
  if (typeof d.field === 'string' && FLAG_OF_FIELD[d.field]) parts.push(FLAG_OF_FIELD[d.field])
  return parts.length > 0 ? `on the command line: ${parts.join(', or ')}` : null
}

/** A message with its command-line hint in brackets after it, when it has one. */
export function withCliHint(message: string, details: unknown): string {
  const hint = cliHint(details)
  return hint ? `${message} (${hint})` : message
}
