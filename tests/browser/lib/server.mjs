// A deliberately strict static HTTP server for the built site, mounted under a sub-path.
//
// It behaves like a plain intranet web server with a few sharp edges turned on, so that
// mistakes in the generated links show up as failed requests:
//   - only paths under `prefix` exist; anything else is 404 (catches absolute `/...` links);
//   - a folder is never answered with its index.html (catches links that omit `index.html`,
//     which also break on file://);
//   - `..` segments never escape the site directory;
//   - every file gets its real MIME type and `X-Content-Type-Options: nosniff`, so a script or
//     stylesheet with the wrong type is refused the way a strict host would refuse it.
//   - a missing address under the prefix, in any folder, gets the site's own 404.html with
//     status 404, as an intranet server configured for the site does (nginx `error_page`).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.xml': 'application/xml',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.pdf': 'application/pdf',
  '.doc': 'application/msword',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xls': 'application/vnd.ms-excel',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.ppt': 'application/vnd.ms-powerpoint',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  '.zip': 'application/zip',
};

export function mimeType(file) {
  return MIME[path.extname(file).toLowerCase()] || 'application/octet-stream';
}

/**
 * Map a request path (already percent-decoded) to a file inside `siteDir`, or null.
 * Returns null for anything outside the prefix, for folders, and for missing files.
 */
export function resolveSitePath(siteDir, prefix, decodedPath) {
  if (!decodedPath.startsWith(prefix)) return null;
  const rel = decodedPath.slice(prefix.length);
  if (rel === '' || rel.endsWith('/')) return null; // no automatic index.html
  const parts = rel.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\0') || p.includes('\\'))) return null;
  const file = path.join(siteDir, ...parts);
  if (!file.startsWith(siteDir + path.sep)) return null;
  let st;
  try {
    st = fs.statSync(file);
  } catch {
    return null;
  }
  return st.isFile() ? file : null;
}

/** Where run.mjs mounts the site a second time: under a server folder named like the site's own
 * static/, as an intranet's /static/kb/ is (checks/reader.mjs, the 404 page). */
export const SHADOWED_PREFIX = '/static/kb/';

/**
 * Start the server on 127.0.0.1 with a random free port.
 * Resolves to { origin, prefix, base, log, close() } where `base` is the site root URL
 * (ending in `/`) and `log` lists every request as { method, url, status }.
 * `fixtures` ({ '/kb/xss/': dir, … }) serves more sites on the same origin under their own
 * prefixes, so checks of a fixture site see the same origin rules as the main site.
 */
export async function startServer(siteDir, prefix = '/kb/training/', fixtures = {}) {
  const sites = [[prefix, path.resolve(siteDir)], ...Object.entries(fixtures).map(([p, d]) => [p, path.resolve(d)])];
  const log = [];
  const server = http.createServer((req, res) => {
    const send = (status, body, headers = {}) => {
      log.push({ method: req.method, url: req.url, status });
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    let decoded;
    try {
      const u = new URL(req.url, 'http://127.0.0.1');
      decoded = decodeURIComponent(u.pathname);
    } catch {
      return send(400, 'bad request\n');
    }
    const [sitePrefix, dir] = sites.find(([p]) => decoded.startsWith(p)) || sites[0];
    const file = resolveSitePath(dir, sitePrefix, decoded);
    if (!file) {
      // As an intranet server would: a missing address inside a site gets that site's 404 page.
      const page = decoded.startsWith(sitePrefix) ? resolveSitePath(dir, sitePrefix, sitePrefix + '404.html') : null;
      if (!page) return send(404, `404 not found: ${decoded}\n`);
      return send(404, fs.readFileSync(page), { 'Content-Type': mimeType(page), 'X-Content-Type-Options': 'nosniff' });
    }
    let body;
    try {
      body = fs.readFileSync(file);
    } catch {
      return send(404, `404 not found: ${decoded}\n`);
    }
    send(200, body, {
      'Content-Type': mimeType(file),
      'Content-Length': String(body.length),
      'X-Content-Type-Options': 'nosniff',
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    prefix,
    base: origin + prefix,
    log,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
