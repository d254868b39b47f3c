import t from 'tap';
import { progressOf, DEFAULT_INSIGHTS } from '../../src/shard/insights/progress.js';
import { ShardState } from '../../src/shard/state.js';

// §5.2: catalogue, progress, completion, resume, continue-watching, on one shard's state.

t.test('progressOf: thresholds at exactly 5 % and 90 %', async (t) => {
  const c = DEFAULT_INSIGHTS;
  t.same(progressOf(5, 5, 100, c), { progress: 0.05, completed: false, resumeAt: 5 }, 'at = 5 %: resume there');
  t.same(progressOf(4.999, 4.999, 100, c).resumeAt, 0, 'just under 5 %: from the start');
  t.same(progressOf(89.999, 89.999, 100, c), { progress: 0.89999, completed: false, resumeAt: 89.999 });
  t.same(progressOf(90, 90, 100, c), { progress: 0.9, completed: true, resumeAt: 0 }, 'at = 90 %: completed, no resume');
  t.same(progressOf(30, 95, 100, c), { progress: 0.95, completed: true, resumeAt: 30 }, 'completed by furthest, resume by at');
  t.same(progressOf(250, 250, 100, c).progress, 1, 'progress is capped at 1');
  const [at90of26, at5of7] = [0.9 * 26, 0.05 * 7];
  t.ok(at90of26 > 23.4 && at5of7 > 0.35, 'the float products land above the exact thresholds');
  t.same(progressOf(23.4, 23.4, 26, c).completed, true, '23.4 of 26 is exactly 90 %: completed');
  t.same(progressOf(23.39, 23.39, 26, c), { progress: 23.39 / 26, completed: false, resumeAt: 23.39 }, 'just under 90 % of 26');
  t.same(progressOf(0.35, 0.35, 7, c).resumeAt, 0.35, '0.35 of 7 is exactly 5 %: resume there');
  t.same(progressOf(0.34, 0.34, 7, c).resumeAt, 0, 'just under 5 % of 7');
  t.same(progressOf(10, 10, 100, { ...c, completeRatio: 0.5, resumeMinRatio: 0.2 }), { progress: 0.1, completed: false, resumeAt: 0 }, 'ratios are parameters');
});

t.test('pair bodies gain progress, completed, resumeAt only when the duration is known', async (t) => {
  const s = new ShardState(60);
  s.apply('u', 'm', 0, 1);
  s.apply('u', 'm', 30, 2);
  t.notOk('progress' in s.pair('u', 'm')!);
  t.notOk('completions' in s.movies(['m'])[0]!);
  s.putMovie('m', 200, 'Movie');
  t.same(s.pair('u', 'm'), {
    slug: 'm',
    watchTime: 30,
    at: 30,
    furthest: 30,
    events: 2,
    updatedAt: 2,
    lateEvents: 0,
    progress: 0.15,
    completed: false,
    resumeAt: 30,
  });
  t.same(s.userMovies('u', 10)![0]!.resumeAt, 30);
  t.same(s.movies(['m']), [{ slug: 'm', watchTime: 30, viewers: 1, completions: 0 }]);
});

t.test('completions: counted as furthest crosses the threshold, once per viewer', async (t) => {
  const s = new ShardState(60);
  s.putMovie('m', 100, null);
  for (const at of [0, 50, 89]) s.apply('a', 'm', at, 1);
  t.equal(s.movie('m')!.completions, 0);
  s.apply('a', 'm', 90, 2);
  t.equal(s.movie('m')!.completions, 1, 'exactly 90 %');
  s.apply('a', 'm', 10, 3); // rewind: furthest stays
  s.apply('a', 'm', 100, 4);
  t.equal(s.movie('m')!.completions, 1, 'not twice');
  s.apply('b', 'm', 95, 5); // first event past the threshold (a seek)
  t.equal(s.movie('m')!.completions, 2);
  t.equal(s.pair('a', 'm')!.completed, true);
});

t.test('setting or changing a duration after the events recounts exactly', async (t) => {
  const s = new ShardState(60);
  const furthest = { a: 50, b: 80, c: 95, d: 0 } as const;
  for (const [user, f] of Object.entries(furthest)) s.apply(user, 'm', f, 1);
  s.apply('a', 'other', 500, 1);
  t.same(s.movie('m'), { slug: 'm', watchTime: 0, viewers: 4 }, 'no duration: no completions');
  s.putMovie('m', 100, 'First');
  t.equal(s.movie('m')!.completions, 1);
  s.putMovie('m', 60, 'Shorter'); // threshold 54
  t.same(s.movie('m'), { slug: 'm', watchTime: 0, viewers: 4, completions: 2, title: 'Shorter', duration: 60 });
  s.putMovie('m', 1000, null);
  t.same(s.movie('m'), { slug: 'm', watchTime: 0, viewers: 4, completions: 0, duration: 1000 }, 'a PUT without title drops it');
  s.apply('e', 'm', 950, 2);
  t.equal(s.movie('m')!.completions, 1, 'and keeps counting after');
  t.equal(s.movie('other')!.completions, undefined, 'other movies untouched');
});

t.test('a movie known only from the catalogue; its first events take the duration', async (t) => {
  const s = new ShardState(60);
  t.equal(s.movie('m'), null);
  s.putMovie('m', 100, 'M');
  t.same(s.movie('m'), { slug: 'm', watchTime: 0, viewers: 0, title: 'M', duration: 100 });
  t.same(s.movies(['m']), [], 'the v1 totals still know only movies with events');
  t.same(s.top(10).items, [], 'nor does top');
  s.apply('u', 'm', 92, 1);
  t.same(s.movie('m'), { slug: 'm', watchTime: 0, viewers: 1, completions: 1, title: 'M', duration: 100 });
  t.equal(s.pair('u', 'm')!.completed, true);
});

t.test('continue-watching: known duration, resumeAt > 0, not completed; newest first, ties by slug; limit', async (t) => {
  const s = new ShardState(60);
  for (const slug of ['a', 'b', 'c', 'd', 'e', 'f']) s.putMovie(slug, 100, slug === 'a' ? 'Title A' : null);
  s.apply('u', 'a', 40, 10);
  s.apply('u', 'b', 40, 30);
  s.apply('u', 'c', 40, 30);
  s.apply('u', 'd', 2, 40); // under 5 %: resumeAt 0
  s.apply('u', 'e', 95, 50); // completed
  s.apply('u', 'e', 40, 51); // rewound, still completed by furthest
  s.apply('u', 'f', 89, 20);
  s.apply('u', 'nodur', 40, 60); // no duration
  const items = s.continueWatching('u', 20)!;
  t.same(
    items.map((i) => i.slug),
    ['b', 'c', 'f', 'a'],
  );
  t.same(items[3], { slug: 'a', title: 'Title A', resumeAt: 40, progress: 0.4, duration: 100, updatedAt: 10 });
  t.same(items[0], { slug: 'b', resumeAt: 40, progress: 0.4, duration: 100, updatedAt: 30 });
  t.same(
    s.continueWatching('u', 2)!.map((i) => i.slug),
    ['b', 'c'],
  );
  t.equal(s.continueWatching('nobody', 20), null);
  t.same(s.continueWatching('v', 20), null);
  s.apply('v', 'nodur', 1, 1);
  t.same(s.continueWatching('v', 20), [], 'a known user with nothing to resume');
});
