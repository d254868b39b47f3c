import t from 'tap';
import { ApiError } from '../../src/http/index.js';
import { parseEvents } from '../../src/front/validate.js';

const enc = (v: unknown): Uint8Array => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
const fail = (body: unknown, maxBatch = 1000): ApiError => {
  try {
    parseEvents(enc(body), maxBatch);
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an error');
};
const paths = (err: ApiError): string[] => (err.extra.details as { path: string }[]).map((d) => d.path);

t.test('accepts one object or an array, keeps only the contract fields', async (t) => {
  t.same(parseEvents(enc({ user: 'u', slug: 's', at: 1, extra: 'x' }), 10), [{ user: 'u', slug: 's', at: 1 }]);
  t.same(
    parseEvents(
      enc([
        { user: 'u', slug: 's', at: 0 },
        { user: 'v', slug: 't', at: 1e9 },
      ]),
      10,
    ).length,
    2,
  );
});

t.test('unusual but valid names', async (t) => {
  for (const name of ['__proto__', 'constructor', 'a/b c', '%41', 'ü😀', 'x'.repeat(256), '😀'.repeat(128)]) {
    t.same(parseEvents(enc({ user: name, slug: name, at: 1 }), 10), [{ user: name, slug: name, at: 1 }], name.slice(0, 20));
  }
});

t.test('invalid JSON and invalid UTF-8 are invalid_json', async (t) => {
  t.equal(fail('{"user":').code, 'invalid_json');
  t.equal(fail('').code, 'invalid_json');
  const bad = Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]);
  t.throws(() => parseEvents(bad, 10), { code: 'invalid_json' });
});

t.test('wrong shapes are invalid_event at the root', async (t) => {
  for (const body of [[], 5, '"str"', null, true]) {
    const err = fail(body);
    t.equal(err.status, 400);
    t.equal(err.code, 'invalid_event');
    t.same(paths(err), [''], JSON.stringify(body));
  }
});

t.test('each bad field is reported with a JSON Pointer', async (t) => {
  t.same(paths(fail({ slug: 's', at: 1 })), ['/user']);
  t.same(paths(fail({ user: 'u', slug: 's', at: '4500' })), ['/at']);
  t.same(paths(fail({ user: 'u', slug: 's', at: -1 })), ['/at']);
  t.same(paths(fail({ user: 'u', slug: 's', at: 1e9 + 1 })), ['/at']);
  t.same(paths(fail('{"user":"u","slug":"s","at":1e400}')), ['/at']);
  t.same(paths(fail({ user: 'u', slug: 's', at: null })), ['/at']);
  t.same(paths(fail({ user: '', slug: 's', at: 1 })), ['/user']);
  t.same(paths(fail({ user: 'x'.repeat(257), slug: 's', at: 1 })), ['/user']);
  t.same(paths(fail({ user: '😀'.repeat(129), slug: 's', at: 1 })), ['/user'], 'length counts UTF-16 units');
  t.same(paths(fail({ user: 'a\u0000', slug: 's', at: 1 })), ['/user']);
  t.same(paths(fail({ user: 'u', slug: 'tab\there', at: 1 })), ['/slug']);
  t.same(paths(fail({ user: 'u', slug: 'del\u007f', at: 1 })), ['/slug']);
  t.same(paths(fail({ user: 'u\ud800', slug: 's', at: 1 })), ['/user'], 'lone surrogate');
  t.same(paths(fail({ user: 1, slug: ['s'], at: 1 })), ['/user', '/slug']);
  t.same(
    paths(
      fail([
        { user: 'u', slug: 's', at: 1 },
        { user: 'u', slug: 's', at: 'x' },
      ]),
    ),
    ['/1/at'],
  );
  t.same(paths(fail([{ user: 'u', slug: 's', at: 1 }, 7])), ['/1']);
});

t.test('messages say what to fix', async (t) => {
  const err = fail({ user: 'u', slug: 's', at: '4500' });
  t.match(err.message, /\/at/);
  t.match((err.extra.details as { message: string }[])[0]!.message, /number/);
});

t.test('more than MAX_BATCH events is 413', async (t) => {
  const err = fail(
    Array.from({ length: 4 }, () => ({ user: 'u', slug: 's', at: 1 })),
    3,
  );
  t.equal(err.status, 413);
  t.equal(err.code, 'payload_too_large');
  t.equal(parseEvents(enc(Array.from({ length: 3 }, () => ({ user: 'u', slug: 's', at: 1 }))), 3).length, 3);
});
