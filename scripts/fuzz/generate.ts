import type { Heartbeat } from '../chaos/oracle.js';
import { Rng } from '../simulator/random.js';
import { classifyBody, contentTypeIsJson, decodes, limitOk, matchRoute, type Limits } from './contract.js';
import { buildRequest } from './raw-http.js';

/** One fuzz request and what the contract allows as its answer. */
export interface Case {
  index: number;
  category: string;
  /** A short human description (for reports). */
  what: string;
  method: string;
  bytes: Buffer;
  /**
   * Statuses the contract allows. null: an HTTP-level protocol violation, which the HTTP layer may
   * reject in its own way (or not answer); such cases never carry storable events.
   */
  statuses: number[] | null;
  /** Error codes allowed (when the status is an error); undefined: any of the status's codes. */
  codes?: string[];
  /** The contract route, for checking 200 bodies. */
  route?: string;
  /** valid: must be 200 and stored; maybe: 200 means stored, an error means not; none: nothing stored. */
  store: 'valid' | 'maybe' | 'none';
  events: Heartbeat[];
  /** Carries a unique Idempotency-Key, so it may be retried after a 503 or a dropped connection. */
  keyed: boolean;
  /** Needs a connection of its own (it breaks HTTP framing). */
  fresh: boolean;
}

export const USERS = [
  'ann',
  'bob',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'a/b',
  'a b',
  '%2F',
  '%',
  '?x=1',
  '#frag',
  'ü',
  '日本語',
  '🎬🍿',
  'u'.repeat(256),
  '\uffff',
  'null',
  'undefined',
  '0',
  '1e9',
  ' ',
  '\u00a0',
  '\u2028',
  'back\\slash',
  'quote"',
  "apos'",
  '<b>',
];
export const SLUGS = [
  'heat',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'a/b?c#d',
  '%20',
  'Ωmega',
  '🎞',
  's'.repeat(256),
  'movies',
  'top',
  'watch-time',
  'latest',
  '..',
  '.',
];

const NUMBER_LITERALS = [
  '0',
  '-0',
  '0.0',
  '-0.0',
  '1',
  '4500',
  '4500.5',
  '1e9',
  '1E9',
  '1e+9',
  '1000000000',
  '1000000000.0000001',
  '999999999.99999999',
  '1000000001',
  '5e-324',
  '1e-400',
  '-1e-400',
  '1e308',
  '1.7976931348623157e308',
  '1e400',
  '-1e400',
  '1e9999999999',
  '123456789012345678901234567890',
  '-1',
  '-5e-324',
  '0e0',
  '01',
  '1.',
  '.5',
  '+1',
  '0x10',
  'NaN',
  'Infinity',
  '-Infinity',
  '1_000',
  '"4500"',
  'true',
  'null',
  '[]',
  '{}',
  '[4500]',
  '9'.repeat(400),
  '0.' + '0'.repeat(400) + '1',
];

const WRONG_VALUES = ['"4500"', 'null', 'true', 'false', '[]', '{}', '[1]', '{"a":1}', '1', '0', '""', '"x"', '-1', '[{"user":"a","slug":"b","at":1}]'];

const BAD_UTF8 = [
  [0xff],
  [0xfe],
  [0xc0, 0xaf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0x80],
  [0xc3],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe6, 0x97],
];

const CONTENT_TYPES_OK = [
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON',
  'application/json;charset=UTF-8',
  ' application/json ; foo=bar',
];
const CONTENT_TYPES_ODD = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jsonx',
  'application/json-seq',
  'application/ld+json',
  'json',
  '*/*',
  'application/*',
  'text/json',
  '',
  ' ',
  'application/json;',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/json, text/plain',
  'application/json\t',
  'application /json',
  'application/problem+json',
];

const LIMITS = [
  '',
  '1',
  '10',
  '1000',
  '1001',
  '0',
  '-1',
  '1.5',
  '10abc',
  '1e2',
  '%205',
  '%35',
  '+5',
  '00010',
  '99999999999999999999',
  '5&limit=6',
  'abc',
  '%',
  '%ZZ',
  '%EF%BC%91',
];

const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];

const enc = encodeURIComponent;

/**
 * A seeded stream of fuzz cases. Each case is classified by contract.ts; valid or undecided bodies
 * carry their events so the runner can keep an oracle. At most `slugBudget` distinct slugs are ever
 * storable, so `/movies/top?limit=1000` lists every movie at the end.
 */
export class Generator {
  private readonly rng: Rng;
  private index = 0;
  private readonly slugs = new Set<string>(SLUGS);
  readonly counts = new Map<string, number>();

  constructor(
    readonly seed: number,
    readonly limits: Limits,
    readonly runId: string,
    private readonly slugBudget = 800,
  ) {
    this.rng = new Rng(seed, 7);
  }

  next(): Case {
    const i = this.index++;
    const categories: [string, number, () => Case][] = [
      ['valid', 18, () => this.valid(i)],
      ['mutated', 20, () => this.mutated(i)],
      ['types', 8, () => this.types(i)],
      ['numbers', 6, () => this.numbers(i)],
      ['strings', 6, () => this.strings(i)],
      ['nesting', 3, () => this.nesting(i)],
      ['utf8', 4, () => this.utf8(i)],
      ['proto', 4, () => this.proto(i)],
      ['content-type', 5, () => this.contentType(i)],
      ['batch', 1, () => this.batch(i)],
      ['routes', 16, () => this.routes(i)],
      ['headers', 5, () => this.headers(i)],
      ['protocol', 2, () => this.protocol(i)],
    ];
    const total = categories.reduce((n, c) => n + c[1], 0);
    let r = this.rng.next() * total;
    let pick = categories[0]!;
    for (const c of categories) {
      if ((r -= c[1]) < 0) {
        pick = c;
        break;
      }
    }
    for (let attempt = 0; ; attempt++) {
      const c = pick[2]();
      // Keep the set of storable slugs bounded: regenerate a case that would grow it past the budget.
      const fresh = c.events.filter((e) => !this.slugs.has(e.slug));
      if (fresh.length > 0 && this.slugs.size + new Set(fresh.map((e) => e.slug)).size > this.slugBudget && attempt < 20) continue;
      for (const e of c.events) this.slugs.add(e.slug);
      this.counts.set(c.category, (this.counts.get(c.category) ?? 0) + 1);
      return c;
    }
  }

  // ---- pieces -------------------------------------------------------------------------------

  private user(): string {
    return this.rng.pick(USERS);
  }

  private slug(): string {
    return this.rng.pick(SLUGS);
  }

  private at(): number {
    const r = this.rng.next();
    if (r < 0.5) return this.rng.int(20_000);
    if (r < 0.8) return this.rng.int(80_000) / 8;
    if (r < 0.9) return this.rng.next() * 1e6;
    return this.rng.pick([0, 1e9, 5e-324, 0.1, 0.2, 0.3, 999_999_999.5, 1e-7]);
  }

  private eventJson(u = this.user(), s = this.slug(), at: string = JSON.stringify(this.at())): string {
    const fields = [`"user":${JSON.stringify(u)}`, `"slug":${JSON.stringify(s)}`, `"at":${at}`];
    if (this.rng.chance(0.15))
      fields.push(
        this.rng.pick([
          '"extra":1',
          '"__proto__":{"at":"x","polluted":true}',
          '"constructor":{"prototype":{"polluted":1}}',
          '"user2":"x"',
          '"at2":null',
          '"toString":5',
        ]),
      );
    if (this.rng.chance(0.2)) fields.reverse();
    return `{${fields.join(',')}}`;
  }

  private validBody(): string {
    const r = this.rng.next();
    const n = r < 0.6 ? 1 : r < 0.9 ? 2 + this.rng.int(4) : r < 0.99 ? 6 + this.rng.int(45) : 0;
    if (n === 1 && this.rng.chance(0.7)) return this.eventJson();
    const count = n === 0 ? this.limits.maxBatch : n;
    const events = Array.from({ length: count }, () => this.eventJson());
    const sep = this.rng.chance(0.1) ? ',\n  ' : ',';
    return `[${events.join(sep)}]`;
  }

  private key(i: number): [string, string][] {
    return this.rng.chance(0.85) ? [['Idempotency-Key', `fz-${this.runId}-${i}`]] : [];
  }

  private contentTypeOk(): [string, string][] {
    return this.rng.chance(0.1) ? [] : [['Content-Type', this.rng.chance(0.7) ? 'application/json' : this.rng.pick(CONTENT_TYPES_OK)]];
  }

  private eventsPath(): string {
    return this.rng.pick(['/events', '/events', '/events', '/events', '/', '/events?x=1']);
  }

  /** A POST whose answer follows from the contract (Content-Type, then the body). */
  private post(i: number, category: string, what: string, body: Buffer, headers: [string, string][], extraHeaders: [string, string][] = []): Case {
    const path = this.eventsPath();
    const all = [...headers, ...extraHeaders];
    const keyed = all.some(([k, v]) => k === 'Idempotency-Key' && /^fz-/.test(v));
    const base = { index: i, category, what, method: 'POST', bytes: buildRequest('POST', path, all, body), route: path.split('?')[0]!, keyed, fresh: false };
    const json = contentTypeIsJson(all.filter(([k]) => k.toLowerCase() === 'content-type').map(([, v]) => v));
    const cls = classifyBody(body, this.limits);
    const big = body.length > this.limits.maxBodyBytes;
    if (json === false) return { ...base, statuses: big ? [415, 413] : [415], store: 'none', events: [] };
    let c: Case;
    if (cls.kind === 'invalid') c = { ...base, statuses: cls.statuses, codes: cls.codes, store: 'none', events: [] };
    else c = { ...base, statuses: [200], store: cls.kind, events: cls.events };
    if (json === null) {
      c = { ...c, statuses: [...new Set([...c.statuses!, 415, ...(big ? [413] : [])])], store: c.store === 'none' ? 'none' : 'maybe', codes: undefined };
    }
    if (c.store === 'maybe' && !c.statuses!.includes(400)) c = { ...c, statuses: [...c.statuses!, 400], codes: undefined };
    return c;
  }

  // ---- categories --------------------------------------------------------------------------

  private valid(i: number): Case {
    const body = this.validBody();
    return this.post(i, 'valid', 'valid events', Buffer.from(body), [...this.contentTypeOk(), ...this.key(i)]);
  }

  private mutated(i: number): Case {
    let bytes = Buffer.from(this.validBody());
    const steps: string[] = [];
    for (let k = 1 + this.rng.int(4); k > 0; k--) {
      const pos = this.rng.int(bytes.length + 1);
      const r = this.rng.next();
      if (r < 0.2 && bytes.length > 0) {
        steps.push(`flip@${pos}`);
        bytes = Buffer.from(bytes);
        bytes[Math.min(pos, bytes.length - 1)] = this.rng.int(256);
      } else if (r < 0.4) {
        const n = 1 + this.rng.int(10);
        steps.push(`del${n}@${pos}`);
        bytes = Buffer.concat([bytes.subarray(0, pos), bytes.subarray(pos + n)]);
      } else if (r < 0.7) {
        const ins = this.rng.pick([
          '"',
          '\\',
          '{',
          '}',
          '[',
          ']',
          ',',
          ':',
          '0',
          '-',
          'e',
          '\u0000',
          '\u001f',
          ' ',
          'null',
          'true',
          '1e999',
          '"__proto__":',
          '\\u0000',
          '\\ud800',
          '\n',
        ]);
        steps.push(`ins${JSON.stringify(ins)}@${pos}`);
        bytes = Buffer.concat([bytes.subarray(0, pos), Buffer.from(ins), bytes.subarray(pos)]);
      } else if (r < 0.85) {
        const n = 1 + this.rng.int(20);
        steps.push(`dup${n}@${pos}`);
        bytes = Buffer.concat([bytes.subarray(0, pos + n), bytes.subarray(pos)]);
      } else {
        steps.push(`cut@${pos}`);
        bytes = bytes.subarray(0, pos);
      }
    }
    return this.post(i, 'mutated', `mutated ${steps.join(' ')}`, bytes, [...this.contentTypeOk(), ...this.key(i)]);
  }

  private types(i: number): Case {
    const r = this.rng.next();
    let body: string;
    if (r < 0.6) {
      const field = this.rng.pick(['user', 'slug', 'at']);
      const value = this.rng.pick(WRONG_VALUES);
      const f = { user: JSON.stringify(this.user()), slug: JSON.stringify(this.slug()), at: JSON.stringify(this.at()), [field]: value };
      body = this.rng.chance(0.2) ? `{"user":${f.user},"slug":${f.slug}}` : `{"user":${f.user},"slug":${f.slug},"at":${f.at}}`;
      if (this.rng.chance(0.3)) body = `[${this.eventJson()},${body}]`;
    } else {
      body = this.rng.pick([
        '"str"',
        '123',
        'null',
        'true',
        '[1,2]',
        `[[${this.eventJson()}]]`,
        `[${this.eventJson()},5]`,
        '{}',
        '[null]',
        '[{}]',
        `{"events":[${this.eventJson()}]}`,
        '""',
        '[[]]',
      ]);
    }
    return this.post(i, 'types', `wrong types ${body.slice(0, 60)}`, Buffer.from(body), [...this.contentTypeOk(), ...this.key(i)]);
  }

  private numbers(i: number): Case {
    const lit = this.rng.pick(NUMBER_LITERALS);
    const body = this.eventJson(this.user(), this.slug(), lit);
    return this.post(i, 'numbers', `at ${lit.slice(0, 30)}`, Buffer.from(body), [...this.contentTypeOk(), ...this.key(i)]);
  }

  private strings(i: number): Case {
    const r = this.rng.next();
    let name: string;
    let what: string;
    if (r < 0.15) {
      const n = this.rng.pick([10_000, 100_000, 600_000, 1_100_000]);
      name = JSON.stringify('x'.repeat(n));
      what = `name of ${n} chars`;
    } else {
      const options: [string, string][] = [
        ['""', 'empty'],
        [JSON.stringify('a'.repeat(257)), '257 chars'],
        [JSON.stringify('a'.repeat(256)), '256 chars'],
        [JSON.stringify('🎬'.repeat(128)), '128 emoji (256 code units)'],
        [JSON.stringify('🎬'.repeat(129)), '129 emoji (258 code units)'],
        ['"a\\u0000b"', 'escaped NUL'],
        ['"a\u0001b"', 'raw control char'],
        ['"a\\u007fb"', 'DEL'],
        ['"a\\u001fb"', 'U+001F'],
        ['"a\\nb"', 'escaped newline'],
        ['"\\ud800"', 'lone high surrogate'],
        ['"x\\udc00"', 'lone low surrogate'],
        ['"\\ud83c\\udfac"', 'escaped pair'],
        ['"\\/\\"\\\\"', 'escapes'],
        ['"\\x41"', 'bad escape'],
        ['"\\u12"', 'short unicode escape'],
        ['"unterminated', 'unterminated'],
        ['"\u2028\u2029"', 'line separators'],
        ['"\ufeff"', 'BOM char'],
        [JSON.stringify('\u0300'.repeat(256)), '256 combining marks'],
      ];
      [name, what] = this.rng.pick(options);
    }
    const inUser = this.rng.chance(0.5);
    const body = inUser ? `{"user":${name},"slug":${JSON.stringify(this.slug())},"at":1}` : `{"user":${JSON.stringify(this.user())},"slug":${name},"at":1}`;
    return this.post(i, 'strings', `${inUser ? 'user' : 'slug'}: ${what}`, Buffer.from(body), [...this.contentTypeOk(), ...this.key(i)]);
  }

  private nesting(i: number): Case {
    const depth = this.rng.pick([10, 1000, 10_000, 100_000, 100_000, 500_000, 600_000]);
    const shape = this.rng.int(5);
    let body: string;
    if (shape === 0) body = '['.repeat(depth) + ']'.repeat(depth);
    else if (shape === 1) body = '['.repeat(depth);
    else if (shape === 2) body = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    else if (shape === 3) body = `{"user":${'['.repeat(depth)}${']'.repeat(depth)},"slug":"s","at":1}`;
    else body = `[${'{"user":"a","slug":"b","at":1,"x":'.repeat(Math.min(depth, 50_000))}1${'}'.repeat(Math.min(depth, 50_000))}]`;
    return this.post(i, 'nesting', `depth ${depth} shape ${shape}`, Buffer.from(body), [...this.contentTypeOk(), ...this.key(i)]);
  }

  private utf8(i: number): Case {
    const bad = Buffer.from(this.rng.pick(BAD_UTF8));
    const body = Buffer.from(this.eventJson());
    // Inside a string value or anywhere.
    const quote = body.indexOf('"', 1 + this.rng.int(Math.max(1, body.length - 2)));
    const pos = this.rng.chance(0.7) && quote > 0 ? quote : this.rng.int(body.length + 1);
    const bytes = Buffer.concat([body.subarray(0, pos), bad, body.subarray(pos)]);
    return this.post(i, 'utf8', `bytes ${bad.toString('hex')} at ${pos}`, bytes, [...this.contentTypeOk(), ...this.key(i)]);
  }

  private proto(i: number): Case {
    const u = JSON.stringify(this.user());
    const s = JSON.stringify(this.slug());
    const body = this.rng.pick([
      `{"__proto__":{"user":${u},"slug":${s},"at":1}}`,
      `{"user":${u},"slug":${s},"at":2,"__proto__":{"at":"x"}}`,
      `{"user":${u},"slug":${s},"__proto__":{"at":5}}`,
      `{"constructor":{"prototype":{"user":${u}}},"slug":${s},"at":1}`,
      `{"user":${u},"slug":${s},"at":3,"constructor":{"prototype":{"polluted":1}}}`,
      `[{"__proto__":[]}]`,
      `{"__proto__":null,"user":${u},"slug":${s},"at":4}`,
      `{"user":${u},"slug":${s},"at":5,"hasOwnProperty":1,"toString":2,"valueOf":3}`,
      `{"prototype":{"at":1},"user":${u},"slug":${s}}`,
      `[{"user":${u},"slug":${s},"at":6},{"__proto__":{"user":${u},"slug":${s},"at":7}}]`,
      `{"user":{"__proto__":${u}},"slug":${s},"at":1}`,
    ]);
    return this.post(i, 'proto', `prototype keys ${body.slice(0, 50)}`, Buffer.from(body), [...this.contentTypeOk(), ...this.key(i)]);
  }

  private contentType(i: number): Case {
    const body = this.rng.chance(0.6) ? this.validBody() : '{"user":"","slug":"s","at":1}';
    const r = this.rng.next();
    const headers: [string, string][] =
      r < 0.8
        ? [['Content-Type', this.rng.pick(CONTENT_TYPES_ODD)]]
        : r < 0.9
          ? [
              ['Content-Type', 'application/json'],
              ['Content-Type', 'text/plain'],
            ]
          : [['content-type', this.rng.pick(CONTENT_TYPES_OK)]];
    return this.post(i, 'content-type', `Content-Type ${JSON.stringify(headers.map((h) => h[1]))}`, Buffer.from(body), [...headers, ...this.key(i)]);
  }

  private batch(i: number): Case {
    const n = this.rng.pick([0, this.limits.maxBatch + 1, 5000]);
    const body = `[${Array.from({ length: n }, () => '{"user":"ann","slug":"heat","at":1}').join(',')}]`;
    return this.post(i, 'batch', `${n} events`, Buffer.from(body), [...this.contentTypeOk(), ...this.key(i)]);
  }

  private segment(): string {
    const r = this.rng.next();
    const name = this.rng.chance(0.5) ? this.user() : this.slug();
    if (r < 0.55) return enc(name);
    // Raw UTF-8 bytes, not percent-encoded (only names whose ASCII characters need no encoding).
    if (r < 0.65 && /^[A-Za-z0-9\-._~\u0080-\uffff]+$/.test(name)) return Buffer.from(name, 'utf8').toString('latin1');
    if (r < 0.85)
      return this.rng.pick(['%', '%Z1', '%E4%B8', '%C0%AF', '%ED%A0%80', '%00', '%2F', '%25', '%2e%2e', '%FF', 'a%', '%%', '%e6%97%a5', '%F0%9F%8E%AC']);
    return Array.from({ length: 1 + this.rng.int(12) }, () => this.rng.pick([..."abcxyz019-._~%!$&'()*+,;=:@"])).join('');
  }

  private routes(i: number): Case {
    const method = this.rng.pick(METHODS);
    const seg = (): string => this.segment();
    const r = this.rng.next();
    let path: string;
    if (r < 0.8) {
      path = this.rng.pick([
        () => '/healthz',
        () => '/readyz',
        () => '/movies/top',
        () => `/movies/${seg()}/watch-time`,
        () => `/users/${seg()}/watch-time`,
        () => `/users/${seg()}/movies`,
        () => `/users/${seg()}/movies/${seg()}`,
        () => `/users/${seg()}/movies/${seg()}/latest`,
        () => '/events',
        () => '/',
      ])();
      if (this.rng.chance(0.15)) {
        path = this.rng.pick([
          (p: string) => p + '/',
          (p: string) => p.replace('/', '//'),
          (p: string) => p.toUpperCase(),
          (p: string) => p + '/extra',
          (p: string) => p.replace(/\/[^/]*$/, '/'),
          (p: string) => p + '#frag',
        ])(path);
      }
    } else {
      path = '/' + Array.from({ length: 1 + this.rng.int(5) }, seg).join('/');
    }
    let query = '';
    if (this.rng.chance(0.4)) query = `limit=${this.rng.pick(LIMITS)}`;
    if (this.rng.chance(0.1)) query += (query ? '&' : '') + this.rng.pick(['x=1', 'limit', '=', '&&', 'a=%ZZ', '__proto__=1']);
    const target = query ? `${path}?${query}` : path;
    let body: Buffer | null = null;
    const headers: [string, string][] = [];
    if (method === 'POST' || (method !== 'HEAD' && this.rng.chance(0.05))) {
      body = Buffer.from(this.rng.chance(0.5) ? '{}' : '{"user":"","slug":"x","at":1}');
      headers.push(['Content-Type', 'application/json']);
    }
    const m = matchRoute(path, method);
    let statuses: number[];
    let route: string | undefined;
    if (!m) statuses = [404];
    else if (!m.methods.includes(method) && !(method === 'HEAD' && m.methods.includes('GET'))) statuses = [405];
    else {
      route = m.route;
      // No body here is a valid event or movie: POST and PUT are refused.
      if (method === 'POST' || method === 'PUT') statuses = [400];
      else if (m.route === '/healthz' || m.route === '/') statuses = [200];
      else if (m.route === '/readyz') statuses = [200, 503];
      else if (m.route === '/movies/top') statuses = limitOk(query, 1000) === true ? [200] : limitOk(query, 1000) === false ? [400] : [200, 400];
      // step, from and to are absent or not what is sent here; a range with no movie is an empty list or a 404.
      else if (m.route === '/series') statuses = [200, 400];
      else if (m.route === '/movies/:/series') statuses = [200, 400, 404];
      else {
        statuses = [200, 404];
        if (m.route === '/users/:/movies' || m.route === '/users/:/continue-watching') {
          const ok = limitOk(query, 1000);
          if (ok === false) statuses = [400, 404];
          else if (ok === null) statuses = [200, 400, 404];
        }
      }
    }
    // HEAD on a GET route: the GET's answer without its body (RFC 9110 §9.3.2), or 405 (the contract lists no HEAD).
    if (method === 'HEAD' && m && m.methods.includes('GET')) statuses = [...new Set([...statuses, 405])];
    if (m?.badEncoding) statuses = [...new Set([...statuses.filter((s) => s !== 200), 400, 404])];
    // A router may decode segments while it matches, so an undecodable segment can be a 400 even
    // where no route matches in the end.
    else if (path.split('/').some((seg) => !decodes(seg))) statuses = [...new Set([...statuses, 400])];
    if (m && route === undefined) route = m.route;
    return {
      index: i,
      category: 'routes',
      what: `${method} ${JSON.stringify(target).slice(0, 100)}${body ? ' with a body' : ''}`,
      method,
      bytes: buildRequest(method, target, headers, body),
      statuses,
      route,
      store: 'none',
      events: [],
      keyed: false,
      fresh: false,
    };
  }

  private headers(i: number): Case {
    const extra: [string, string][] = [];
    const r = this.rng.next();
    let what: string;
    if (r < 0.3) {
      // The head stays under 4 KiB: uWebSockets.js refuses a larger head (431) when it arrives in
      // more than one read (UWS_HTTP_MAX_HEADERS_SIZE); larger ones are protocol cases below.
      const n = 1 + this.rng.int(40);
      for (let k = 0; k < n; k++) extra.push([`X-F${k}-${this.rng.int(1000)}`, 'v'.repeat(this.rng.int(60))]);
      what = `${n} extra headers`;
    } else if (r < 0.45) {
      const n = this.rng.pick([1000, 2000, 3000]);
      extra.push(['X-Long', 'x'.repeat(n)]);
      what = `a ${n}-byte header`;
    } else if (r < 0.55) {
      extra.push(['X-Bytes', Buffer.from([0x80 + this.rng.int(128), 0x80 + this.rng.int(128), 0x41]).toString('latin1')]);
      what = 'high bytes in a header value';
    } else if (r < 0.65) {
      extra.push(['Expect', '100-continue']);
      what = 'Expect: 100-continue';
    } else if (r < 0.7) {
      extra.push(['Connection', 'close']);
      what = 'Connection: close';
    } else if (r < 0.75) {
      extra.push(['Accept', '*/*'], ['Accept-Encoding', 'gzip, br'], ['User-Agent', 'fuzz/1'], ['Cookie', 'a=b'], ['Authorization', 'Bearer nope']);
      what = 'ordinary client headers';
    } else {
      // Idempotency-Key variants; a key the service refuses (400) stores nothing.
      const v = this.rng.pick([
        '',
        ' ',
        'a b',
        '\u00e9',
        'x'.repeat(257),
        `${'k'.repeat(200)}-${this.runId}-${i}`,
        '\t',
        `dup-${this.runId}-${i}`,
        `{}-${this.runId}-${i}`,
        `"q-${this.runId}-${i}"`,
      ]);
      extra.push(['Idempotency-Key', v]);
      if (v.startsWith('dup-')) extra.push(['Idempotency-Key', `${v}-2`]);
      what = `Idempotency-Key ${JSON.stringify(v.slice(0, 20))}`;
    }
    if (this.rng.chance(0.5)) {
      const c = this.routes(i);
      // Same request with the extra headers inserted after the request line.
      const text = c.bytes.toString('latin1');
      const cut = text.indexOf('\r\n') + 2;
      const bytes = Buffer.from(text.slice(0, cut) + extra.map(([k, v]) => `${k}: ${v}\r\n`).join('') + text.slice(cut), 'latin1');
      return { ...c, category: 'headers', what: `${c.what}; ${what}`, bytes };
    }
    const keyOverride = extra.some(([k]) => k === 'Idempotency-Key');
    const c = this.post(i, 'headers', `POST; ${what}`, Buffer.from(this.validBody()), [...this.contentTypeOk(), ...(keyOverride ? [] : this.key(i))], extra);
    if (!keyOverride || c.store === 'none') return c;
    // Whether a malformed key is refused (400 invalid_header) or ignored is the service's choice.
    return { ...c, store: 'maybe', statuses: [...new Set([...c.statuses!, 400])], codes: undefined, keyed: false };
  }

  private protocol(i: number): Case {
    const bad = '{"user":"","slug":"x","at":1}';
    const cases: [string, string][] = [
      ['Content-Length smaller than the body', `POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n${bad}`],
      ['negative Content-Length', `POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n${bad}`],
      ['non-numeric Content-Length', `POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n${bad}`],
      ['huge Content-Length', `POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n${bad}`],
      ['Content-Length +30', `POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: +30\r\n\r\n${bad}`],
      ['two different Content-Lengths', `POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 30\r\nContent-Length: 2\r\n\r\n${bad}`],
      ['Content-Length larger than the body', `POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 300\r\n\r\n${bad}`],
      ['Content-Length and chunked', `POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n1e\r\n${bad}\r\n0\r\n\r\n`],
      ['chunked body', `POST /events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1e\r\n${bad.slice(0, 30)}\r\n0\r\n\r\n`],
      ['bad chunk size', `POST /events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
      ['Transfer-Encoding gzip', `POST /events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n${bad}`],
      ['Transfer-Encoding CHUNKED', `POST /events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: CHUNKED\r\n\r\n2\r\n{}\r\n0\r\n\r\n`],
      ['HTTP/1.0', 'GET /healthz HTTP/1.0\r\n\r\n'],
      ['HTTP/2.0 in an HTTP/1 line', 'GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n'],
      ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
      ['no version', 'GET /healthz\r\n\r\n'],
      ['garbage line', 'HELLO THERE\r\n\r\n'],
      ['bare LF', 'GET /healthz HTTP/1.1\nHost: x\n\n'],
      ['lower-case method', `post /events HTTP/1.1\r\nHost: x\r\nContent-Length: ${bad.length}\r\n\r\n${bad}`],
      ['space in a header name', 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n'],
      ['NUL in a header value', 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n'],
      ['folded header', 'GET /healthz HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n'],
      ['no Host', 'GET /healthz HTTP/1.1\r\n\r\n'],
      ['120 headers', `GET /healthz HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 120 }, (_, k) => `X-${k}: v\r\n`).join('')}\r\n`],
      ['600 headers', `GET /healthz HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 600 }, (_, k) => `X-${k}: v\r\n`).join('')}\r\n`],
      ['a 16 KiB header', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(16_000)}\r\n\r\n`],
      ['a 60 KiB header', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(60_000)}\r\n\r\n`],
      ['a 1 MiB header', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(1 << 20)}\r\n\r\n`],
      ['a 100 KiB request line', `GET /users/${'u'.repeat(100_000)}/watch-time HTTP/1.1\r\nHost: x\r\n\r\n`],
      ['absolute URI', 'GET http://x/healthz HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['asterisk target', 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['raw 0xff in the target', 'GET /users/\u00ff\u00fe/watch-time HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['NUL in the target', 'GET /users/a\u0000b/watch-time HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['space in the target', 'GET /users/a b/watch-time HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['three pipelined requests', 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['empty lines before the request', '\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['TLS ClientHello', '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003'],
      ['GET with a body that looks like a request', `GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 35\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n`],
      ['request line split after the method', 'GET '],
    ];
    const [what, text] = this.rng.pick(cases);
    const method = /^[A-Za-z]+/.exec(text)?.[0] ?? '';
    return {
      index: i,
      category: 'protocol',
      what,
      method,
      bytes: Buffer.from(text, 'latin1'),
      statuses: null,
      store: 'none',
      events: [],
      keyed: false,
      fresh: true,
    };
  }
}
