/** Model explanations of one item (generate, stream, stop, list): owned by the inference UI. */
export function ItemExplanations(_props: { itemId: number }) {
  return null
}
