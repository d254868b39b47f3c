import t from 'tap';
import { pathOf } from '../../scripts/simulator/http-client.js';
import { isOdd, makeNames, NAME_MAX, nameProblem, randomTag } from '../../scripts/simulator/names.js';
import { Rng } from '../../scripts/simulator/random.js';

t.test('names are distinct, valid, tagged, and the odd share is respected', async (t) => {
  const users = makeNames('user', 5000, new Rng(1), { oddShare: 0.3, tag: 'abc' });
  t.equal(new Set(users).size, 5000);
  t.equal(users.filter((n) => nameProblem(n) !== null).length, 0);
  t.ok(users.every((n) => n.endsWith('@abc')));
  const odd = users.filter(isOdd).length;
  t.ok(odd > 1300 && odd < 1700, `odd share ~30%: ${odd}`);
  t.ok(
    users.some((n) => n.includes('/')),
    'some have /',
  );
  t.ok(
    users.some((n) => n.includes('%')),
    'some have %',
  );
  t.ok(
    users.some((n) => n.includes(' ')),
    'some have spaces',
  );
  t.ok(
    users.some((n) => /[^\u0000-\u00ff]/.test(n)),
    'some have non-Latin-1 characters',
  );
  t.ok(
    users.some((n) => /[\uD800-\uDBFF]/.test(n)),
    'some have astral characters',
  );
  t.ok(
    users.some((n) => n.length === NAME_MAX || n.length === NAME_MAX - 1),
    'some are as long as allowed',
  );
});

t.test('no odd names at share 0; only odd at share 1; no tag with an empty tag', async (t) => {
  t.equal(makeNames('movie', 500, new Rng(2), { oddShare: 0, tag: 'x' }).filter(isOdd).length, 0);
  const all = makeNames('movie', 500, new Rng(2), { oddShare: 1, tag: '' });
  t.equal(all.filter(isOdd).length, 500);
  t.ok(all.every((n) => !n.includes('@')));
  t.equal(all.filter((n) => nameProblem(n) !== null).length, 0);
});

t.test('same seed, same names', async (t) => {
  t.same(makeNames('user', 100, new Rng(9), { oddShare: 0.5, tag: 't' }), makeNames('user', 100, new Rng(9), { oddShare: 0.5, tag: 't' }));
});

t.test('nameProblem applies the contract limits', async (t) => {
  t.equal(nameProblem('a'), null);
  t.equal(nameProblem('x'.repeat(256)), null);
  t.match(nameProblem(''), /length/);
  t.match(nameProblem('x'.repeat(257)), /length/);
  t.match(nameProblem('a\u0000b'), /control/);
  t.match(nameProblem('a\u007fb'), /control/);
  t.match(nameProblem('a\uD800'), /surrogate/);
});

t.test('paths percent-encode every segment', async (t) => {
  t.equal(pathOf('users', 'a/b c', 'watch-time'), '/users/a%2Fb%20c/watch-time');
  t.equal(pathOf('movies', '100%?#'), '/movies/100%25%3F%23');
  t.equal(pathOf('users', '..'), '/users/..');
  t.equal(pathOf('users', '名'), '/users/%E5%90%8D');
  t.equal(decodeURIComponent(pathOf('x', '🎬 a/b%').slice(3)), '🎬 a/b%');
});

t.test('run tags are short and URL-safe', async (t) => {
  for (let i = 0; i < 20; i++) t.match(randomTag(), /^[0-9a-z]{6}$/);
});
