import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { notFound, StaticBody, type Exchange, type Request } from '../http/index.js';

/**
 * GET /docs: Swagger UI (swagger-ui-dist, from npm) over /openapi.json. Every file the page loads
 * is served from here, so it works offline; the online spec validator is turned off.
 */
const DIST = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const TYPES: Record<string, string> = {
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  png: 'image/png',
};

/** The files of swagger-ui-dist the page uses (nothing else of node_modules is reachable). */
const ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'favicon-16x16.png'];

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>watch-time API</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/docs-init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
});
`;

/** Each file read once, and compressed once per coding when first asked for (the bundle is 1.7 MB). */
const cache = new Map<string, StaticBody>();
const page = new StaticBody(PAGE);

function asset(name: string): StaticBody | null {
  let body = cache.get(name);
  if (!body) {
    if (name === 'docs-init.js') body = new StaticBody(INIT);
    else if (ASSETS.includes(name)) body = new StaticBody(readFileSync(join(DIST, name)));
    else return null;
    cache.set(name, body);
  }
  return body;
}

export function docsPage(ex: Exchange): void {
  ex.sendCompressible(200, 'text/html; charset=utf-8', page, { 'Cache-Control': 'no-cache' });
}

export function docsAsset(ex: Exchange, req: Request): void {
  const name = req.params.asset ?? '';
  const body = asset(name);
  if (!body) throw notFound(`No docs asset ${JSON.stringify(name)}.`);
  // PNGs are compressed already: sent as they are.
  const type = TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
  const headers = { 'Cache-Control': 'public, max-age=3600' };
  if (type.startsWith('image/')) ex.send(200, type, body.identity, headers);
  else ex.sendCompressible(200, type, body, headers);
}
