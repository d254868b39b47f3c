type TypedArray = Float64Array | Uint32Array | Int32Array | Uint8Array;

/** A copy of `array` with room for `capacity` elements (new slots hold `fill`). */
export function grown<T extends TypedArray>(array: T, capacity: number, fill = 0): T {
  const next = new (array.constructor as new (n: number) => T)(capacity);
  next.set(array);
  if (fill !== 0) next.fill(fill, array.length);
  return next;
}

/** Smallest power-of-two capacity that holds `n`, at least `min`. */
export function capacityFor(n: number, min = 1024): number {
  let cap = min;
  while (cap < n) cap *= 2;
  return cap;
}
