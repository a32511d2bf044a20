/**
 * The PI dashboard, served at /dashboard: src/dashboard/index.html and src/dashboard/dashboard.js,
 * plain HTML, CSS and JavaScript (no framework, no bundler; the script is linted with browser
 * globals and type-checked with `// @ts-check` and JSDoc, src/dashboard/tsconfig.json). It reads
 * the campaigns, progress and export endpoints, embeds the server-side SVG charts, follows the
 * campaign's live feed (EventSource on /api/v1/campaigns/{id}/events) and calls the experiment
 * approval routes (POST /api/v1/experiments/{id}/approve | reject, PATCH /api/v1/experiments/{id}).
 * With API keys on, the key entered in the page is kept for the tab (sessionStorage) and sent as a
 * bearer header (as ?access_token= where a header cannot go).
 *
 * The page is served as one document: the script is inlined where index.html loads it, so /dashboard
 * stays the only public route and DASHBOARD_CSP allows only this script (by its hash): no inline
 * handler, no injected script runs even if a value slipped through unescaped. Every value from the
 * API reaches the HTML through the script's one `esc()` helper (or as `textContent`).
 *
 * The files are read next to this module's folder (src/dashboard from src/http under tsx;
 * dist/src/dashboard from dist/src/http, where `npm run build` copies them).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const DIR = new URL('../dashboard/', import.meta.url);
const SCRIPT_TAG = '<script src="dashboard.js"></script>';

function loadPage(): { html: string; script: string } {
  const page = readFileSync(new URL('index.html', DIR), 'utf8');
  const script = readFileSync(new URL('dashboard.js', DIR), 'utf8');
  if (page.split(SCRIPT_TAG).length !== 2) throw new Error(`src/dashboard/index.html must load its script once, as ${SCRIPT_TAG}`);
  if (/<\/script|<!--/i.test(script)) throw new Error('src/dashboard/dashboard.js must not contain "</script" or "<!--" (it is inlined into the page)');
  const [before, after] = page.split(SCRIPT_TAG);
  return { html: `${before}<script>${script}</script>${after}`, script };
}

const PAGE = loadPage();

export const DASHBOARD_HTML = PAGE.html;

export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src 'sha256-${createHash('sha256').update(PAGE.script, 'utf8').digest('base64')}'`,
  "style-src 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
