import { pathToFileURL } from 'node:url';
import { ShardState } from '../src/shard/state.js';
import type { SeriesSize } from './types.js';

/**
 * The time series' memory (§5.4, §5.5), in process: `movies` movies with events in 60 % of the
 * minutes for `days` days of receive time (40 days is a steady state: minutes and hours both past
 * their windows), then the allocated sizes of the minute and hour tables (growth room included),
 * per non-empty movie-hour. Not a timed test.
 *
 *   node dist/bench/series-size.js [movies=1000] [days=40] [--json]
 */
export function seriesSize(movies: number, days: number): SeriesSize {
  const t0 = Date.UTC(2026, 0, 31, 12, 0, 0);
  const s = new ShardState(60);
  for (let minute = 0; minute < days * 24 * 60; minute++) {
    for (let m = 0; m < movies; m++) {
      if ((m * 31 + minute * 17) % 10 >= 6) continue;
      s.apply(`viewer-${m}`, `film-${m}`, minute * 10, t0 + minute * 60_000);
    }
  }
  const z = s.seriesSizes();
  return { movies, days, ...z, bytesPerMovieHour: (z.hourBytes + z.minuteBytes) / z.hourEntries };
}

// Run as a script (not when imported by insights-memory).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2).filter((a) => a !== '--json');
  const [movies = 1000, days = 40] = args.map(Number);
  const z = seriesSize(movies, days);
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(z));
  } else {
    const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;
    console.log(
      `series (${movies} movies, ${days} days, events in 60 % of the minutes): ${z.hourEntries} hour buckets in ${mb(z.hourBytes)},` +
        ` ${z.minuteEntries} minute buckets in ${mb(z.minuteBytes)};` +
        ` ${(z.hourBytes / z.hourEntries).toFixed(1)} bytes per non-empty movie-hour for the hours alone,` +
        ` ${z.bytesPerMovieHour.toFixed(0)} with the minutes of the last 25 h spread over them`,
    );
  }
}
