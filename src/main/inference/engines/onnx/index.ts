// The ONNX Runtime engine: model folders in the optimum-cli export layout, run in a worker thread.
// Main thread: OnnxEngine (client.ts). In the worker (or a bench): OnnxModel (model.ts) directly.
export { OnnxEngine } from './client'
export type { ClassifyResult } from './protocol'
export type { OnnxModelInfo, LoadOptions, ForwardBatch } from './model'
export type { TensorValue, Provider, IoInfo } from './session'
export type { EncodedBatch } from './tokenizer'
export { readModelFolder, configLabelCount, type ModelFolder, type ModelConfig } from './folder'
