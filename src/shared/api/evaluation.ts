// The evaluation domain's part of the API contract: methods (input schemas + output types) and events.
export const evaluationMethods = {}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface EvaluationEvents {}
