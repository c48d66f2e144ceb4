// Hostile authors and hostile links: tests/fixtures/xss puts script payloads in every field that
// reaches a page (site title and description, page titles, summaries, tags, topics, body with
// allow_html = false, a glossary term and definition, a learning-path note and audience, policy
// fields, an attachment's file name, a synonym line), and these checks open every page of the
// built fixture, then its search page and a content page with hostile ?q=, ?hl=, #fragment and
// filter parameters. tests/browser.rs builds the fixture (writing the attachment, whose name
// Windows could not check out) and names it in SHUYUAN_XSS_SITE; run.mjs serves it under /kb/xss/.
//
// Every payload calls window.__xss(N), which a script installed before the page's own records;
// dialogs are recorded too. A check fails when any payload ran, when any markup from a payload
// became an element or an attribute (event handlers, javascript:/data: URLs, inline scripts,
// frames), or when a field's text is not shown as the author typed it.
import fs from 'node:fs';
import path from 'node:path';
import { waitList, readResults, rerender } from './search.mjs';

/** The payload of field N, as tests/fixtures/xss writes it where "/" is allowed. */
const full = (n) => `<script>__xss(${n})</script>"><img src=x onerror=__xss(${n})>'><svg onload=__xss(${n})>" autofocus onfocus="__xss(${n})" {{ 7*7 }} </script>`;
/** The payload of field N where the value becomes a file name (tags, topics, attachments). */
const noSlash = (n) => `"><img src=x onerror=__xss(${n})>' autofocus onfocus='__xss(${n})' {{ 7*7 }}`;

/**
 * The text each page must show as typed: N is field N's whole payload, 'sN' its noSlash form,
 * 'bN' what is left of a payload in Markdown prose, whose raw HTML the build drops
 * (allow_html = false, see ARCHITECTURE.md): the text between the tags. Every page shows the
 * site title (1) and description (2) in its header.
 */
const SHOWN = {
  'index.html': ['b4', 'b6'],
  'cases/index.html': [5, 'b6', 7, 8, 'b11'],
  'cases/weixian.html': [7, 22, 45, 'b46', 's9', 's10'],
  'cases/zidong.html': ['b11'],
  'policies/zhengce.html': [12, 13, 14],
  'glossary.html': [15, 16, 's17', 18, 'b19'],
  'paths/index.html': [21, 22, 23],
  'paths/xss-lujing.html': [22, 24, 25, 'b26'],
};
const EVERY_PAGE = [1, 2];
/** The attachment beside guides/fujian/index.md, written by tests/browser.rs. */
export const ATTACHMENT = `' autofocus onfocus='__xss(20)' title='x.txt`;

const squash = (s) => String(s).replace(/[\s\u00a0]+/g, ' ').trim();
const inProse = (n) => `" autofocus onfocus="__xss(${n})" {{ 7*7 }}`;
const payloadText = (p) => squash(typeof p === 'number' ? full(p) : (p[0] === 's' ? noSlash : inProse)(Number(p.slice(1))));

/** Installed before any script of every page: payloads report to it. */
function installTrap() {
  window.__xssRan = [];
  window.__xss = (n) => {
    window.__xssRan.push(n);
    // Also for documents the check does not stay on (an alias page that redirects at once):
    // the monitor fails the check on any console error.
    console.error(`payload ${n} ran`);
  };
}

/** Runs in the page: what a payload would leave behind, the trap's record, and the text shown. */
function inspectPage() {
  const bad = [];
  const short = (s) => (s.length > 80 ? s.slice(0, 79) + '…' : s);
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    for (const a of el.attributes) {
      const name = a.name.toLowerCase();
      if (name.startsWith('on')) bad.push(`<${tag}> has an event handler ${name}="${short(a.value)}"`);
      else if (name === 'srcdoc') bad.push(`<${tag}> has srcdoc`);
      else if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data'].includes(name) && /^\s*(javascript|vbscript|data:text)/i.test(a.value)) {
        bad.push(`<${tag}> has ${name}="${short(a.value)}"`);
      }
    }
    if (tag === 'script' && el.textContent.includes('__xss')) bad.push(`an inline <script> holds a payload: ${short(el.textContent)}`);
    if (['iframe', 'object', 'embed'].includes(tag)) bad.push(`a <${tag}> element`);
  }
  const body = document.body.cloneNode(true);
  for (const e of body.querySelectorAll('script, style, noscript, template')) e.remove();
  return { bad, ran: [...(window.__xssRan || [])], text: body.textContent, title: document.title };
}

/** A site-relative path with any characters, as a URL under `base`. */
function urlOf(base, rel) {
  return base + rel.split('/').map(encodeURIComponent).join('/');
}

function htmlFiles(dir, rel = '') {
  const out = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...htmlFiles(dir, r));
    else if (e.name.endsWith('.html')) out.push(r);
  }
  return out.sort();
}

/** The fixture in this mode, or a failure saying how to get it. */
function fixture(ctx) {
  const f = ctx.fixtures.xss;
  ctx.assert(f, 'SHUYUAN_XSS_SITE is not set: run through `cargo test --test browser`, or build tests/fixtures/xss (see tests/browser/README.md) and set it to the output folder');
  return f;
}

/**
 * Opens the page with the trap and dialog watch installed; returns a function that inspects the
 * page as it is now and fails on anything a payload left, naming `where`.
 */
async function armed(page, ctx) {
  const dialogs = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  await page.addInitScript(installTrap);
  return async (where) => {
    // Handlers of failed images and autofocus run just after load.
    await page.waitForTimeout(100);
    const x = await page.evaluate(inspectPage);
    ctx.assert(x.ran.length === 0, `${where}: payload(s) ${[...new Set(x.ran)].join(', ')} ran`);
    ctx.assert(dialogs.length === 0, `${where}: a dialog opened: ${dialogs.join(' | ')}`);
    ctx.assert(x.bad.length === 0, () => `${where}: markup from a payload became live:\n${[...new Set(x.bad)].slice(0, 10).join('\n')}`);
    return { text: squash(x.text), title: squash(x.title) };
  };
}

/** Only text and <mark> (no other element, no attribute but class) in serialized HTML. */
const ONLY_TEXT_AND_MARK = /^(?:[^<>]|<mark(?: class="[\w -]*")?>[^<>]*<\/mark>)*$/;

export default [
  {
    name: 'xss: no payload runs on any page of the hostile site, and every field shows as typed',
    timeout: 180_000,
    async run(page, ctx) {
      const { dir, base } = fixture(ctx);
      const check = await armed(page, ctx);
      const files = htmlFiles(dir);
      for (const rel of Object.keys(SHOWN)) ctx.assert(files.includes(rel), `the built fixture has no ${rel}`);
      for (const rel of files) {
        await ctx.goto(page, urlOf(base, rel));
        const { text, title } = await check(rel);
        // Redirect pages and the site's chrome aside, every page shows the site title and
        // description as typed; the table above names what else each page must show.
        for (const p of [...EVERY_PAGE, ...(SHOWN[rel] || [])]) {
          ctx.assert(text.includes(payloadText(p)), `${rel} does not show field ${p} as typed: ${JSON.stringify(payloadText(p))}`);
        }
        ctx.assert(title.includes(payloadText(1)), `the <title> of ${rel} does not show the site title as typed: ${JSON.stringify(title)}`);
      }
      ctx.note(`${files.length} pages`);

      // Tag and topic pages carry the hostile names in their file names and headings.
      for (const [taxonomy, n] of [['tags', 9], ['topics', 10]]) {
        const pages = files.filter((f) => f.startsWith(`${taxonomy}/`) && f.includes(`__xss(${n})`));
        ctx.assert(pages.length === 1, `no ${taxonomy}/ page for the hostile name: ${files.filter((f) => f.startsWith(taxonomy)).join(', ')}`);
        await ctx.goto(page, urlOf(base, pages[0]));
        await check(pages[0]);
        ctx.assert((await ctx.h1(page)).includes(payloadText(`s${n}`)), `the heading of ${pages[0]} does not show the ${taxonomy} name as typed: ${await ctx.h1(page)}`);
      }

      // The attachment's link reaches the file under its hostile name.
      await ctx.goto(page, urlOf(base, 'guides/fujian/index.html'));
      const hrefs = await page.evaluate(() => [...document.querySelectorAll('article.sy-content a[href]')].map((a) => a.href));
      const wanted = urlOf(base, `guides/fujian/${ATTACHMENT}`);
      ctx.assert(
        hrefs.some((h) => decodeURIComponent(h) === decodeURIComponent(wanted)),
        `guides/fujian/index.html does not link the attachment ${JSON.stringify(ATTACHMENT)}; links: ${hrefs.join(' ')}`,
      );
      ctx.assert(fs.existsSync(path.join(dir, 'guides', 'fujian', ATTACHMENT)), `the attachment ${JSON.stringify(ATTACHMENT)} was not copied to the site`);

      // Glossary popovers: opening each term shows the hostile definition as text.
      await ctx.goto(page, urlOf(base, 'cases/weixian.html'));
      const terms = page.locator('article.sy-content abbr.sy-term');
      ctx.assert((await terms.count()) > 0, 'cases/weixian.html marks no glossary term');
      await terms.first().focus();
      await page.waitForFunction(() => {
        const pop = document.getElementById('sy-term-pop');
        return pop && !pop.hidden && pop.textContent.trim();
      });
      const { text } = await check('the glossary popover on cases/weixian.html');
      ctx.assert(text.includes(payloadText(16)), 'the glossary popover does not show the definition as typed');
    },
  },

  {
    name: 'xss: the search page, the header box and highlighting with hostile parameters',
    timeout: 120_000,
    async run(page, ctx) {
      const { base } = fixture(ctx);
      const check = await armed(page, ctx);
      const searchPage = async (query, where) => {
        await ctx.goto(page, `${base}search.html?${query}`);
        await waitList(page, ctx);
        const r = await readResults(page);
        const impure = r.items.flatMap((it) => [it.titleHtml, it.snippetHtml ?? '']).filter((h) => !ONLY_TEXT_AND_MARK.test(h));
        ctx.assert(impure.length === 0, `${where}: titles or snippets hold more than text and <mark>: ${impure.slice(0, 3).join(' | ')}`);
        return { r, ...(await check(where)) };
      };

      // A hostile query and #fragment: the query is echoed as text.
      const q = full(60);
      let s = await searchPage(`q=${encodeURIComponent(q)}#${full(61)}`, 'search.html with a hostile ?q= and #');
      ctx.assert(s.text.includes(squash(q)), `the search page does not show the hostile query as typed; it shows: ${s.text.slice(0, 200)}`);

      // Hostile filters in the URL are named as text, never as markup.
      s = await searchPage(`q=${encodeURIComponent('网格巡查')}&kind=${encodeURIComponent(full(62))}&tag=${encodeURIComponent(full(63))}`, 'search.html with hostile kind= and tag=');

      // Results whose titles, snippets and tags hold payloads; the query has a hostile synonym.
      s = await searchPage(`q=${encodeURIComponent('网格巡查')}`, 'search.html?q=网格巡查 (a synonym line holds a payload)');
      ctx.assert(s.r.items.length > 0, `no results for 网格巡查: ${s.r.summary}`);
      ctx.assert(s.r.items.some((it) => squash(it.title).includes(payloadText(7))), `no result shows the hostile title as typed: ${s.r.items.map((it) => squash(it.title)).join(' | ')}`);
      // The filters hold the hostile tag and topic; choosing the tag filters by it.
      await page.locator('#sy-search-page .sy-load-facets').click();
      await page.waitForSelector('#sy-search-page button[data-param]');
      await check('the filters of search.html?q=网格巡查');
      const tag = page.locator('#sy-search-page button[data-param="tag"]').first();
      ctx.assert((await tag.count()) > 0, 'the filters offer no tag');
      await rerender(page, () => tag.click());
      await check('search.html after choosing a hostile tag');

      // The header box's dropdown lists the hostile titles as text.
      await ctx.goto(page, `${base}index.html`);
      await page.locator('#sy-q').fill('网格巡查');
      await page.waitForFunction(() => document.querySelector('#sy-dd:not([hidden]) [role=option]'));
      const dd = await page.evaluate(() => [...document.querySelectorAll('#sy-dd [role=option]')].map((o) => o.querySelector('.sy-dd-title')?.innerHTML ?? ''));
      await check('the header dropdown for 网格巡查');
      ctx.assert(dd.every((h) => ONLY_TEXT_AND_MARK.test(h)), `dropdown titles hold markup: ${dd.join(' | ')}`);

      // A result's arrival with a hostile ?hl= and #fragment still highlights, and runs nothing.
      await ctx.goto(page, `${base}cases/weixian.html?hl=${encodeURIComponent(`网格 ${full(64)}`)}#${full(65)}`);
      await check('cases/weixian.html with a hostile ?hl= and #');
      const marks = await page.evaluate(() => [...document.querySelectorAll('article.sy-content mark')].map((m) => m.innerHTML));
      ctx.assert(marks.length > 0, 'cases/weixian.html?hl=网格… highlights nothing');
      ctx.assert(marks.every((h) => !/[<>]/.test(h)), `highlight marks hold markup: ${marks.join(' | ')}`);
      await ctx.goto(page, `${base}cases/weixian.html?hl=${encodeURIComponent(full(66))}`);
      await check('cases/weixian.html with only a hostile ?hl=');
    },
  },
];
