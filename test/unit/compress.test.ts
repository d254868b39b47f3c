import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import t from 'tap';
import { compress, MIN_COMPRESS_BYTES, negotiate, StaticBody } from '../../src/http/compress.js';

t.test('Accept-Encoding: br before gzip, q-values and * honoured, q=0 refuses', async (t) => {
  const cases: [string | undefined, string | null][] = [
    [undefined, null],
    ['', null],
    ['identity', null],
    ['gzip', 'gzip'],
    ['GZIP', 'gzip'],
    ['x-gzip', 'gzip'],
    ['br', 'br'],
    ['gzip, deflate, br', 'br'],
    ['gzip, deflate, br, zstd', 'br'],
    ['br;q=0.5, gzip', 'gzip'],
    ['br;q=1.0, gzip;q=0.8', 'br'],
    ['gzip;q=0, br;q=0', null],
    ['br;q=0, gzip', 'gzip'],
    ['*', 'br'],
    ['*;q=0', null],
    ['gzip;q=0, *', 'br'],
    ['br;q=0, *', 'gzip'],
    ['deflate', null],
  ];
  for (const [header, expected] of cases) t.equal(negotiate(header), expected, `${JSON.stringify(header)} -> ${expected}`);
});

t.test('a static body is compressed once per coding, however often it is asked for', async (t) => {
  const text = 'watch-time '.repeat(1000);
  const body = new StaticBody(text);
  const br = body.in('br');
  t.equal(body.in('br'), br, 'the same promise for the second request');
  const gz = body.in('gzip');
  t.not(gz, br);
  t.equal(brotliDecompressSync((await br)!).toString(), text, 'br decodes to the body');
  t.equal(gunzipSync((await gz)!).toString(), text, 'gzip decodes to the body');
  t.ok((await br)!.length < text.length / 10, 'and is much smaller');
  t.equal(new StaticBody('x'.repeat(MIN_COMPRESS_BYTES - 1)).in('br'), null, 'a body under MIN_COMPRESS_BYTES is sent as it is');
});

t.test('dynamic bodies compress to what decodes back', async (t) => {
  const text = Buffer.from('wt_shard_up{shard="0"} 1\n'.repeat(500));
  t.same(brotliDecompressSync(await compress(text, 'br', 'dynamic')), text);
  t.same(gunzipSync(await compress(text, 'gzip', 'dynamic')), text);
});
