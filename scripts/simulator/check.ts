/** What a verify check reads and reports with, and how it compares. */
export interface Checker {
  read(path: string, what: string): Promise<Record<string, unknown> | null>;
  expect(what: string, field: string, body: Record<string, unknown>, expected: unknown, same?: (a: unknown, e: unknown) => boolean): void;
  mismatch(what: string): void;
}

/** Movie totals add the same increments as the oracle, but across users in another order. */
export const MOVIE_RELATIVE_TOLERANCE = 1e-9;

/** `===`, with NaN equal to NaN (JSON has no -0 to tell apart). */
export const sameValue = (a: unknown, b: unknown): boolean => a === b || (Number.isNaN(a) && Number.isNaN(b));

/** |a - b| <= tolerance * max(|a|, |b|); exact equality for zero. */
export function close(a: number, b: number, relative: number): boolean {
  return a === b || Math.abs(a - b) <= relative * Math.max(Math.abs(a), Math.abs(b));
}

export function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v.length > 60 ? v.slice(0, 60) + '…' : v) : String(v);
}
