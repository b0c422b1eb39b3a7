/** The non-clinical-use notice, shown on first run, in the footer and in the CLI's help. */
export const NON_CLINICAL_NOTICE =
  'IMHI Workbench is a research tool. It does not diagnose, screen or treat anyone, and its model outputs are not clinical advice. ' +
  'The posts it shows discuss depression, suicide and self-harm.'

export const SUPPORT_RESOURCES =
  'If you or someone you know is in crisis, contact local emergency services or a crisis line (for example 988 in the US, 116 123 Samaritans in the UK and Ireland, or findahelpline.com).'
