/**
 * The `k` best of `ids` (a list, or a count n meaning ids 0..n-1), best first, where `worse(a, b)`
 * is a strict total order: one pass with a heap of at most k ids, O(n · log k).
 */
export function bestIds(ids: readonly number[] | number, k: number, worse: (a: number, b: number) => boolean): number[] {
  // The heap's root is the worst id kept.
  const heap: number[] = [];
  const n = typeof ids === 'number' ? ids : ids.length;
  for (let i = 0; i < n; i++) {
    const id = typeof ids === 'number' ? i : ids[i]!;
    if (heap.length < k) {
      heap.push(id);
      siftUp(heap, heap.length - 1, worse);
    } else if (k > 0 && worse(heap[0]!, id)) {
      heap[0] = id;
      siftDown(heap, 0, worse);
    }
  }
  return heap.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
}

function siftUp(heap: number[], i: number, worse: (a: number, b: number) => boolean): void {
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!worse(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

function siftDown(heap: number[], i: number, worse: (a: number, b: number) => boolean): void {
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let w = i;
    if (l < heap.length && worse(heap[l]!, heap[w]!)) w = l;
    if (r < heap.length && worse(heap[r]!, heap[w]!)) w = r;
    if (w === i) return;
    [heap[i], heap[w]] = [heap[w]!, heap[i]!];
    i = w;
  }
}
