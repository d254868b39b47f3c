import { STEP_MS, type SeriesStep } from '../protocol/index.js';
import { ApiError } from '../http/index.js';

/** At most this many buckets per answer (CONTRACT §5.4). */
export const SERIES_MAX_BUCKETS = 1440;

/** The default range ends now and spans this much per step: the last hour of minutes, the last day of hours. */
const DEFAULT_SPAN_MS: Record<SeriesStep, number> = { minute: 3_600_000, hour: 86_400_000 };

export interface SeriesRange {
  step: SeriesStep;
  /** ms since the epoch */
  from: number;
  to: number;
  /** first and last bucket start asked of the shards (ms): the buckets overlapping [from, to) */
  firstMs: number;
  lastMs: number;
}

const invalid = (message: string): ApiError => new ApiError(400, 'invalid_query', message);

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?([Zz]|[+-]\d{2}:?\d{2})?$/;

/**
 * An ISO-8601 date or date-time (UTC when it has no offset) as ms since the epoch; NaN when it is
 * not one, including dates that do not exist (2026-02-30, 24:00).
 */
export function parseIsoTime(text: string): number {
  const m = ISO.exec(text);
  if (!m) return NaN;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return NaN;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return NaN;
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  let offsetMin = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.replace(':', '');
    const oh = Number(digits.slice(1, 3));
    const om = Number(digits.slice(3, 5));
    if (oh > 23 || om > 59) return NaN;
    offsetMin = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // setUTCFullYear: years 0..99 are not 1900..1999
  date.setUTCHours(Number(h), Number(mi), Number(s), ms);
  return date.getTime() - offsetMin * 60_000;
}

function timeParam(params: URLSearchParams, name: 'from' | 'to'): number | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  // An unencoded '+' of an offset arrives as a space (form encoding): read it back as '+'.
  const value = parseIsoTime(raw.replace(/ (\d{2}:?\d{2})$/, '+$1'));
  if (!Number.isFinite(value) || value < 0 || value > 8.64e15) {
    throw invalid(`${name} must be an ISO-8601 time such as 2026-01-31T12:00:00Z, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * step, from and to of a series query (CONTRACT §5.4). step: minute [default] or hour; from/to:
 * ISO-8601; `to` defaults to now, `from` to the hour (minute) or the 24 hours (hour) before `to`. The answer
 * holds the buckets that overlap [from, to) (the bucket holding `from` when from = to), at most
 * 1440 of them.
 */
export function parseSeriesQuery(query: string, now: number): SeriesRange {
  const params = new URLSearchParams(query);
  const rawStep = params.get('step') ?? 'minute';
  if (rawStep !== 'minute' && rawStep !== 'hour') throw invalid(`step must be minute or hour, got ${JSON.stringify(rawStep)}`);
  const step: SeriesStep = rawStep;
  const ms = STEP_MS[step];
  const givenFrom = timeParam(params, 'from');
  const givenTo = timeParam(params, 'to');
  const to = givenTo ?? now;
  const from = givenFrom ?? to - DEFAULT_SPAN_MS[step];
  if (from > to) throw invalid(`from (${new Date(from).toISOString()}) must not be after to (${new Date(to).toISOString()})`);
  const firstMs = Math.floor(from / ms) * ms;
  const lastMs = Math.floor(Math.max(from, to - 1) / ms) * ms;
  const buckets = (lastMs - firstMs) / ms + 1;
  if (buckets > SERIES_MAX_BUCKETS) {
    throw invalid(`from..to spans ${buckets} ${step} buckets; at most ${SERIES_MAX_BUCKETS} per request (narrow the range or use step=hour)`);
  }
  return { step, from, to, firstMs, lastMs };
}
