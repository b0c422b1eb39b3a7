import type { Migration } from '../migrate'
import { m001_imhi } from './001_imhi'
import { m002_inference } from './002_inference'
import { m003_evaluation } from './003_evaluation'
import { m004_annotation } from './004_annotation'
import { m005_embeddings } from './005_embeddings'
import { m006_evaluation_labeller } from './006_evaluation_labeller'
import { m007_engines } from './007_engines'
import { m008_adjudication } from './008_adjudication'
import { m009_cross_fit } from './009_cross_fit'
import { m010_model_settings } from './010_model_settings'
import { m011_lean_items } from './011_lean_items'
import { m012_import_chunks } from './012_import_chunks'

/** Numbered, append-only: never edit a migration that has shipped; add the next number. */
export const migrations: readonly Migration[] = [m001_imhi, m002_inference, m003_evaluation, m004_annotation, m005_embeddings, m006_evaluation_labeller, m007_engines, m008_adjudication, m009_cross_fit, m010_model_settings, m011_lean_items, m012_import_chunks]
