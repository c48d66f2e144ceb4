// Full-text search in the browser: the tokenizer, the header dropdown, the search page (URL state,
// facets, sorting), recall of exact phrases and document numbers, whole questions, escaping, and
// how the index is loaded (classic <script> tags only, so it works from file://).
//
// Queries are derived from the built site, not hard-coded: the pages, their titles, kinds, dates
// and plain text are read from the built HTML with node's fs (see `site()` below), and each check
// asserts that the browser finds what the HTML says is there.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const VECTORS = path.resolve(HERE, '../../vectors/tokenizer.json');

const HAN_RUN = /[\u3400-\u4dbf\u4e00-\u9fff]+/g;
const DOC_NUMBER = /〔\d{4}〕\d+号/g;

// ---------------------------------------------------------------------------------------------
// The built site as plain text, read from its HTML.

const INLINE = new Set('a abbr b bdi bdo cite code data del dfn em i ins kbd mark q s samp small span strong sub sup time u var wbr'.split(' '));

function decodeEntities(s) {
  const named = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return named[e.toLowerCase()] ?? m;
  });
}

/** Plain text of an HTML fragment: inline tags vanish, block tags become line breaks. */
function plain(html) {
  const text = html
    .replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, '')
    .replace(/<a class="heading-anchor"[^>]*>[\s\S]*?<\/a>/g, '')
    // The theme's label of an admonition ("重要", "注意"), not the author's text.
    .replace(/<p class="markdown-alert-title">[\s\S]*?<\/p>/g, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<\/?([a-zA-Z][\w-]*)\b[^>]*>/g, (m, tag) => (INLINE.has(tag.toLowerCase()) ? '' : '\n'));
  return decodeEntities(text);
}

/** The normalisation the tokenizer applies (full-width ASCII to half-width, lowercase). */
function normText(s) {
  return String(s)
    .replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, ' ')
    .toLowerCase();
}

function squash(s) {
  return String(s ?? '').replace(/[\s\u00a0\u3000]+/g, ' ').trim();
}

/** One content page: an <article class="sy-content"> under a header with a kind badge and an <h1>. */
function parsePage(rel, html) {
  const art = /<article class="sy-content">([\s\S]*?)<\/article>/.exec(html);
  if (!art) return null;
  const header = /<header class="sy-doc-header">([\s\S]*?)<\/header>/.exec(html)?.[1] ?? html;
  const kind = /<span class="sy-kind sy-kind-([\w-]+)">([^<]*)<\/span>/.exec(header);
  const h1 = /<h1\b[^>]*>([\s\S]*?)<\/h1>/.exec(header);
  if (!kind || !h1) return null;
  const date = /<time datetime="([^"]*)"/.exec(header)?.[1] ?? '';
  const meta = /<section class="sy-meta"[\s\S]*?<\/section>/.exec(html)?.[0] ?? '';
  // Sections as the index cuts them: the text before the first heading, then one per heading.
  const sections = [];
  const re = /<h([1-6])\b([^>]*)>([\s\S]*?)<\/h\1>/g;
  let cur = { id: '', heading: '' };
  let last = 0;
  for (let m; (m = re.exec(art[1])); ) {
    sections.push({ ...cur, text: squashLines(plain(art[1].slice(last, m.index))) });
    cur = { id: decodeEntities(/\bid="([^"]*)"/.exec(m[2])?.[1] ?? ''), heading: squash(plain(m[3])) };
    last = re.lastIndex;
  }
  sections.push({ ...cur, text: squashLines(plain(art[1].slice(last))) });
  const title = squash(plain(h1[1]));
  const all = [title, ...sections.flatMap((s) => [s.heading, s.text])].join('\n');
  return { rel, title, kind: kind[1], kindLabel: squash(kind[2]), date, sections, norm: normText(all), metaText: squash(plain(meta)) };
}

function squashLines(s) {
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('\n');
}

const SITES = new Map();

/** The content pages of the built site (cached per site directory). */
function site(ctx) {
  if (!SITES.has(ctx.siteDir)) {
    const pages = [];
    for (const rel of ctx.htmlFiles()) {
      const p = parsePage(rel, fs.readFileSync(path.join(ctx.siteDir, ...rel.split('/')), 'utf8'));
      if (p) pages.push(p);
    }
    SITES.set(ctx.siteDir, { pages, byRel: new Map(pages.map((p) => [p.rel, p])) });
  }
  const s = SITES.get(ctx.siteDir);
  ctx.assert(s.pages.length > 0, 'the built site has no content pages (<article class="sy-content"> with a kind badge and an <h1>)');
  return s;
}

/** Pages whose title, headings or text hold `q` (normalised). */
function holding(S, q) {
  const n = normText(q);
  return S.pages.filter((p) => p.norm.includes(n));
}

function sectionHolds(s, q) {
  const n = normText(q);
  return normText(s.heading).includes(n) || normText(s.text).includes(n);
}

// ---------------------------------------------------------------------------------------------
// Picking queries from the site.

/**
 * A 2–4 character Han query from a page's title that also occurs in its text, as rare across the
 * site as possible, preferably in the text of a section with an anchor.
 */
function pickTitleQuery(S) {
  // Rare enough to list the page among the dropdown's few entries; then the best kind; rarer; longer.
  const key = (c) => [c.n > 3 ? 1 : 0, -c.good, c.n, -c.q.length];
  const better = (a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i];
    return false;
  };
  let best = null;
  for (const p of S.pages) {
    for (const run of p.title.match(HAN_RUN) || []) {
      for (let len = Math.min(4, run.length); len >= 2; len--) {
        for (let i = 0; i + len <= run.length; i++) {
          const q = run.slice(i, i + len);
          const secs = p.sections.filter((s) => sectionHolds(s, q));
          if (!secs.length) continue;
          // Best: in the text of a section with an anchor and in no heading, so that section is
          // both the one the result links to and the one its snippet quotes.
          const inText = secs.some((s) => s.id && normText(s.text).includes(normText(q)));
          const inHeading = secs.some((s) => normText(s.heading).includes(normText(q)));
          const c = { page: p, q, n: holding(S, q).length, good: inText && !inHeading ? 1 : 0 };
          if (!best || better(c, best)) best = c;
        }
      }
    }
  }
  return best;
}

/**
 * A two-character word from the titles held by pages of at least two kinds, where some kind holds
 * fewer pages than the whole (so a kind facet narrows it); as many pages as possible, not all.
 */
function pickFacetQuery(S) {
  let best = null;
  const seen = new Set();
  for (const p of S.pages) {
    for (const run of p.title.match(HAN_RUN) || []) {
      for (let i = 0; i + 2 <= run.length; i++) {
        const q = run.slice(i, i + 2);
        if (seen.has(q)) continue;
        seen.add(q);
        const pages = holding(S, q);
        const kinds = new Map();
        for (const x of pages) kinds.set(x.kind, (kinds.get(x.kind) || 0) + 1);
        if (kinds.size < 2 || pages.length < 3 || pages.length === S.pages.length) continue;
        if (!best || pages.length > best.pages.length || (pages.length === best.pages.length && q < best.q)) best = { q, pages, kinds };
      }
    }
  }
  if (!best) return null;
  const kinds = [...best.kinds.keys()];
  best.kind = best.kinds.has('policy') ? 'policy' : kinds.sort()[0];
  return best;
}

/** A 6–10 character Han phrase from a page's body that occurs in no other page. */
function pickPhrase(S, avoid) {
  const pages = [...S.pages].sort((a, b) => (a.rel === avoid) - (b.rel === avoid));
  for (const len of [8, 10, 6]) {
    for (const p of pages) {
      for (const s of p.sections) {
        for (const run of s.text.match(HAN_RUN) || []) {
          if (run.length < len + 4) continue;
          const start = Math.floor((run.length - len) / 2);
          const phrase = run.slice(start, start + len);
          if (holding(S, phrase).length === 1 && !p.title.includes(phrase)) return { page: p, section: s, phrase };
        }
      }
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Reading the UI.

/** Wait until the search page shows a result list (or says the index failed) and read it. */
async function waitList(page, ctx) {
  await page.waitForFunction(() => {
    const r = document.querySelector('#sy-search-page .sy-results');
    const summary = document.querySelector('#sy-search-page .sy-summary');
    return r && (r.querySelector('.sy-result-list') || /失败/.test(summary?.textContent));
  });
  const r = await readResults(page);
  ctx.assert(!/失败/.test(r.summary), `the search page says: ${r.summary}`);
  return r;
}

async function readResults(page) {
  return page.evaluate(() => {
    const root = document.querySelector('#sy-search-page .sy-results');
    const items = [...root.querySelectorAll('li.sy-result')].map((li) => {
      const a = li.querySelector('a.sy-result-title');
      const k = li.querySelector('.sy-kind');
      const snip = li.querySelector('.sy-hit-snippet');
      return {
        href: a ? a.href : null,
        title: a ? a.textContent : '',
        titleHtml: a ? a.innerHTML : '',
        kind: k ? (k.className.match(/(?:^|\s)sy-kind-(\S+)/) || [])[1] || '' : '',
        kindLabel: k ? k.textContent : '',
        date: li.querySelector('time.sy-hit-date')?.textContent || '',
        snippetHtml: snip ? snip.innerHTML : null,
        marks: snip ? [...snip.querySelectorAll('mark')].map((m) => m.textContent) : [],
      };
    });
    const summary = document.querySelector('#sy-search-page .sy-summary')?.textContent || '';
    return { summary, items, more: !!root.querySelector('.sy-more') };
  });
}

/** Run `action` and wait until the results area was rendered anew with a list. */
async function rerender(page, action) {
  await page.evaluate(() => {
    const r = document.querySelector('#sy-search-page .sy-results');
    r.__syOld = r.firstElementChild;
  });
  await action();
  await page.waitForFunction(() => {
    const r = document.querySelector('#sy-search-page .sy-results');
    const summary = document.querySelector('#sy-search-page .sy-summary');
    return r.firstElementChild !== r.__syOld && (r.querySelector('.sy-result-list') || /失败/.test(summary?.textContent));
  });
}

/** Click "显示更多结果" until every result is listed; returns the final reading. */
async function showAll(page, ctx) {
  for (let i = 0; i < 100; i++) {
    const more = page.locator('#sy-search-page .sy-more');
    if (!(await more.count())) break;
    await rerender(page, () => more.click());
  }
  return waitList(page, ctx);
}

function summaryCount(ctx, summary) {
  const m = /共\s*(\d+)\s*条/.exec(summary);
  ctx.assert(m, `the search page summary gives no count: "${summary}"`);
  return Number(m[1]);
}

/** Site-relative path of a result link (no query, no fragment). */
function relOf(ctx, href) {
  const u = new URL(href);
  u.search = '';
  u.hash = '';
  return ctx.rel(u.href);
}

function sameSet(a, b) {
  const A = new Set(a);
  const B = new Set(b);
  return A.size === B.size && [...A].every((x) => B.has(x));
}

function diff(ctx, got, want) {
  const missing = want.filter((x) => !got.includes(x));
  const extra = got.filter((x) => !want.includes(x));
  return `missing: ${missing.join(', ') || '-'}; unexpected: ${extra.join(', ') || '-'}`;
}

/** Type into the header box and wait until the dropdown answers this very query. */
async function dropdownFor(page, ctx, q) {
  await page.locator('#sy-q').fill('');
  await page.locator('#sy-q').focus();
  await page.keyboard.type(q);
  await page.waitForFunction((q) => {
    const box = document.getElementById('sy-dd');
    if (!box || box.hidden) return false;
    const more = box.querySelector('.sy-dd-more');
    if (more) return new URL(more.href).searchParams.get('q') === q;
    const empty = box.querySelector('.sy-dd-empty');
    return !!empty && (empty.textContent.includes(`“${q}”`) || /失败/.test(empty.textContent));
  }, q);
  return page.evaluate(() => {
    const box = document.getElementById('sy-dd');
    return {
      empty: box.querySelector('.sy-dd-empty')?.textContent ?? null,
      more: box.querySelector('.sy-dd-more')?.textContent ?? null,
      options: [...box.querySelectorAll('[role=option]')].map((o) => ({
        id: o.id,
        href: o.href,
        selected: o.getAttribute('aria-selected'),
        title: o.querySelector('.sy-dd-title')?.textContent ?? '',
        kind: o.querySelector('.sy-kind')?.textContent ?? '',
        snippetHtml: o.querySelector('.sy-hit-snippet')?.innerHTML ?? null,
        marks: [...o.querySelectorAll('.sy-hit-snippet mark')].map((m) => m.textContent),
      })),
    };
  });
}

/** Which option the combobox marks active: aria-activedescendant and the aria-selected options. */
async function activeOption(page) {
  return page.evaluate(() => {
    const input = document.getElementById('sy-q');
    const sel = [...document.querySelectorAll('#sy-dd [role=option]')].filter((o) => o.getAttribute('aria-selected') === 'true').map((o) => o.id);
    return { active: input.getAttribute('aria-activedescendant'), selected: sel, focus: document.activeElement?.id || '' };
  });
}

/** Only text and <mark> (no other element, no attribute but class) in serialized HTML. */
const ONLY_TEXT_AND_MARK = /^(?:[^<>]|<mark(?: class="[\w -]*")?>[^<>]*<\/mark>)*$/;

// ---------------------------------------------------------------------------------------------
// Checks

export default [
  {
    name: 'search: tokenizer in the browser matches tests/vectors/tokenizer.json',
    async run(page, ctx) {
      const vectors = JSON.parse(fs.readFileSync(VECTORS, 'utf8'));
      ctx.assert(Array.isArray(vectors) && vectors.length > 0, `${VECTORS} holds no vectors`);
      await ctx.goto(page, 'index.html');
      await page.waitForFunction(() => typeof window.__shuyuan?.tokenize === 'function');
      const got = await page.evaluate((texts) => texts.map((t) => window.__shuyuan.tokenize(t)), vectors.map((v) => v.text));
      const bad = [];
      vectors.forEach((v, i) => {
        if (JSON.stringify(got[i]) !== JSON.stringify(v.tokens)) bad.push(`${JSON.stringify(v.text)}: expected ${JSON.stringify(v.tokens)}, got ${JSON.stringify(got[i])}`);
      });
      ctx.note(`${vectors.length} vectors`);
      ctx.assert(bad.length === 0, () => `${bad.length} of ${vectors.length} tokenizer vectors differ in the browser:\n${bad.join('\n')}`);
    },
  },

  {
    name: 'search: header dropdown, keyboard, and highlighted arrival',
    async run(page, ctx) {
      const S = site(ctx);
      const pick = pickTitleQuery(S);
      ctx.assert(pick, 'no page title has a 2–4 character Han word that also occurs in its text');
      const { page: target, q } = pick;
      ctx.note(`query "${q}" from the title of ${target.rel} ("${target.title}"), held by ${pick.n} page(s)`);

      await ctx.goto(page, 'index.html');
      await page.locator('body').focus().catch(() => {});
      await page.keyboard.press('/');
      await page.waitForFunction(() => document.activeElement?.id === 'sy-q', null, { timeout: 3000 }).catch(() => {});
      ctx.equal(await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName), 'sy-q', 'element focused after pressing "/" on the home page');
      await page.keyboard.type(q);
      await page.waitForFunction((q) => {
        const box = document.getElementById('sy-dd');
        const more = box && !box.hidden && box.querySelector('.sy-dd-more');
        const empty = box && !box.hidden && box.querySelector('.sy-dd-empty');
        return (more && new URL(more.href).searchParams.get('q') === q) || (empty && (empty.textContent.includes(q) || /失败/.test(empty.textContent)));
      }, q);
      const dd = await page.evaluate(() => {
        const box = document.getElementById('sy-dd');
        const input = document.getElementById('sy-q');
        return {
          role: box.getAttribute('role'),
          expanded: input.getAttribute('aria-expanded'),
          controls: input.getAttribute('aria-controls'),
          empty: box.querySelector('.sy-dd-empty')?.textContent ?? null,
          options: [...box.querySelectorAll('[role=option]')].map((o) => ({
            id: o.id,
            href: o.href,
            title: o.querySelector('.sy-dd-title')?.textContent ?? '',
            kind: o.querySelector('.sy-kind')?.textContent ?? '',
            marks: [...o.querySelectorAll('.sy-hit-snippet mark')].map((m) => m.textContent),
          })),
        };
      });
      ctx.assert(dd.empty === null, `the dropdown for "${q}" says: ${dd.empty}`);
      ctx.note(`dropdown: ${dd.options.map((o) => `${o.title} [${o.kind}] -> ${ctx.rel(o.href)}`).join(' | ')}`);
      ctx.equal(dd.role, 'listbox', 'role of the dropdown');
      ctx.equal(dd.expanded, 'true', 'aria-expanded of #sy-q while the dropdown is open');
      ctx.equal(dd.controls, 'sy-dd', 'aria-controls of #sy-q');
      const idx = dd.options.findIndex((o) => relOf(ctx, o.href) === target.rel);
      ctx.assert(idx >= 0, `the dropdown for "${q}" does not list ${target.rel} ("${target.title}"); it lists: ${dd.options.map((o) => ctx.rel(o.href)).join(', ')}`);
      const opt = dd.options[idx];
      ctx.equal(squash(opt.title), target.title, `title of the dropdown entry for ${target.rel}`);
      ctx.equal(squash(opt.kind), target.kindLabel, `kind badge of the dropdown entry for ${target.rel}`);
      // The snippet quotes the section the entry links to: where that section's text holds the
      // query, the snippet marks it whole.
      const optHash = decodeURIComponent(new URL(opt.href).hash.slice(1));
      const optSec = target.sections.find((s) => s.id === optHash);
      if (optSec && normText(optSec.text).includes(normText(q))) {
        ctx.assert(
          opt.marks.some((m) => normText(squash(m)) === normText(q)),
          `the snippet of ${target.rel} in the dropdown marks ${JSON.stringify(opt.marks)}, not "${q}" (which its section #${optHash || '(top)'} holds)`,
        );
      } else {
        ctx.assert(opt.marks.length > 0, `the snippet of ${target.rel} in the dropdown marks nothing`);
        ctx.note(`the linked section #${optHash || '(top)'} holds "${q}" only in its heading; snippet marks ${JSON.stringify(opt.marks)}`);
      }
      ctx.assert(new Set(dd.options.map((o) => o.id)).size === dd.options.length && dd.options.every((o) => o.id), 'dropdown options lack unique ids');

      // ArrowDown walks the options down to the target (and one step further and back).
      const expectActive = async (i, how) => {
        const a = await activeOption(page);
        ctx.equal(a.focus, 'sy-q', `focus after ${how}`);
        ctx.equal(a.active, dd.options[i].id, `aria-activedescendant after ${how}`);
        ctx.assert(a.selected.length === 1 && a.selected[0] === dd.options[i].id, `after ${how} aria-selected="true" is on ${JSON.stringify(a.selected)}, expected only ${dd.options[i].id}`);
      };
      for (let i = 0; i <= idx; i++) {
        await page.keyboard.press('ArrowDown');
        await expectActive(i, `${i + 1}× ArrowDown`);
      }
      if (dd.options.length > 1) {
        const [there, back] = idx + 1 < dd.options.length ? ['ArrowDown', 'ArrowUp'] : ['ArrowUp', 'ArrowDown'];
        await page.keyboard.press(there);
        await expectActive(there === 'ArrowDown' ? idx + 1 : idx - 1, `one more ${there}`);
        await page.keyboard.press(back);
        await expectActive(idx, `${back} back`);
      }

      // Enter opens the active option.
      const before = page.url();
      await page.keyboard.press('Enter');
      try {
        await page.waitForURL((u) => u.href !== before, { timeout: 10_000 });
      } catch {
        ctx.fail(`Enter on the active dropdown option (${opt.href}) did not navigate`);
      }
      await ctx.settle(page);
      const url = page.url();
      ctx.note(`Enter opened ${url}`);
      ctx.equal(relOf(ctx, url), target.rel, 'page opened by Enter');
      ctx.equal(await ctx.h1(page), target.title, `<h1> of ${target.rel}`);

      // The URL names the best-matching section: one holding the query, in its heading if any does.
      const hash = decodeURIComponent(new URL(url).hash.slice(1));
      const holdingSecs = target.sections.filter((s) => sectionHolds(s, q));
      const inHeading = holdingSecs.filter((s) => normText(s.heading).includes(normText(q)));
      if (hash) {
        const sec = target.sections.find((s) => s.id === hash);
        ctx.assert(sec, `the URL names #${hash}, which is no heading of ${target.rel}`);
        ctx.assert(await page.evaluate((id) => !!document.getElementById(id), hash), `${target.rel} has no element with id "${hash}"`);
        ctx.assert(holdingSecs.includes(sec), `the URL names section #${hash} ("${sec.heading}"), which does not hold "${q}"; sections holding it: ${holdingSecs.map((s) => '#' + (s.id || '(top)')).join(', ')}`);
        if (inHeading.length) ctx.assert(inHeading.includes(sec), `"${q}" is in the heading of ${inHeading.map((s) => '#' + s.id).join(', ')}, but the URL names #${hash}`);
      } else {
        const anchored = holdingSecs.filter((s) => s.id);
        ctx.assert(
          holdingSecs.some((s) => !s.id) && !inHeading.length,
          `the URL has no #anchor though "${q}" is in section(s) ${anchored.map((s) => '#' + s.id).join(', ')} and not in the text before the first heading`,
        );
      }

      // The query is highlighted inside the article.
      const marks = await page.evaluate(() => ({
        inside: [...document.querySelectorAll('article.sy-content mark')].map((m) => m.textContent),
        outside: [...document.querySelectorAll('mark.sy-hl')].filter((m) => !m.closest('article.sy-content')).length,
      }));
      ctx.note(`marks in the article: ${JSON.stringify(marks.inside.slice(0, 10))}`);
      ctx.assert(marks.inside.length > 0, `no <mark> inside article.sy-content of ${url}`);
      ctx.assert(marks.inside.some((m) => normText(squash(m)) === normText(q)), `no <mark> in the article equals "${q}": ${JSON.stringify(marks.inside.slice(0, 10))}`);
      ctx.equal(marks.outside, 0, 'highlight marks outside article.sy-content');
    },
  },

  {
    name: 'search: search page keeps its state in the URL; kind facet and date sort',
    async run(page, ctx) {
      const S = site(ctx);
      const pick = pickFacetQuery(S);
      ctx.assert(pick, 'no two-character title word is held by pages of two kinds');
      const { q, kind } = pick;
      const want = pick.pages.map((p) => p.rel);
      const wantKind = pick.pages.filter((p) => p.kind === kind).map((p) => p.rel);
      ctx.note(`query "${q}": ${want.length} pages (${[...pick.kinds].map(([k, n]) => `${k} ${n}`).join(', ')}); facet kind=${kind}`);

      await ctx.goto(page, `search.html?q=${encodeURIComponent(q)}`);
      let r = await waitList(page, ctx);
      ctx.equal(await page.inputValue('#sy-sp-q'), q, 'search page input filled from ?q=');
      ctx.equal(summaryCount(ctx, r.summary), want.length, `result count for "${q}" (pages whose text holds it)`);
      ctx.equal(r.items.length, Math.min(want.length, 10), 'results listed on the first screen');
      r = await showAll(page, ctx);
      const got = r.items.map((it) => relOf(ctx, it.href));
      ctx.assert(sameSet(got, want) && got.length === want.length, () => `results for "${q}" differ from the pages holding it: ${diff(ctx, got, want)}`);
      for (const it of r.items) {
        const p = S.byRel.get(relOf(ctx, it.href));
        ctx.equal(squash(it.title), p.title, `title of the result for ${p.rel}`);
        ctx.equal(it.kind, p.kind, `kind badge class of the result for ${p.rel}`);
        ctx.equal(squash(it.kindLabel), p.kindLabel, `kind badge of the result for ${p.rel}`);
      }

      // The kind facet: loaded on request, shows the right count, narrows the results, and
      // lands in the URL.
      await page.locator('#sy-search-page .sy-load-facets').click();
      await page.waitForSelector('#sy-search-page button[data-param]');
      const button = page.locator(`#sy-search-page button[data-param="kind"][data-value="${kind}"]`);
      ctx.assert((await button.count()) === 1, `no facet button for kind=${kind}`);
      const label = squash(await button.textContent());
      const facetCount = Number(squash(await button.locator('.sy-count').textContent()));
      ctx.equal(facetCount, wantKind.length, `count on the facet button "${label}"`);
      ctx.equal(await button.getAttribute('aria-pressed'), 'false', `aria-pressed of "${label}" before clicking`);
      await rerender(page, () => button.click());
      const checkFiltered = async (how) => {
        let f = await waitList(page, ctx);
        const n = summaryCount(ctx, f.summary);
        ctx.equal(n, wantKind.length, `result count ${how}`);
        ctx.assert(n < want.length, `the count did not shrink ${how} (${n} of ${want.length})`);
        f = await showAll(page, ctx);
        const fr = f.items.map((it) => relOf(ctx, it.href));
        ctx.assert(sameSet(fr, wantKind) && fr.length === wantKind.length, () => `results ${how} differ from the ${kind} pages holding "${q}": ${diff(ctx, fr, wantKind)}`);
        const other = f.items.filter((it) => it.kind !== kind);
        ctx.assert(other.length === 0, () => `${how}, results of another kind are listed: ${other.map((it) => `${ctx.rel(it.href)} (${it.kind})`).join(', ')}`);
        const params = new URL(page.url()).searchParams;
        ctx.equal(params.get('kind'), kind, `kind= in the URL ${how} (${page.url()})`);
        ctx.equal(params.get('q'), q, `q= in the URL ${how}`);
        ctx.equal(await page.locator(`#sy-search-page button[data-param="kind"][data-value="${kind}"]`).getAttribute('aria-pressed'), 'true', `aria-pressed of "${label}" ${how}`);
        return f;
      };
      await checkFiltered(`after clicking "${label}"`);

      // Bookmarkable: a reload shows the same filtered results.
      await page.reload({ waitUntil: 'load' });
      await ctx.settle(page);
      ctx.equal(await page.inputValue('#sy-sp-q'), q, 'search page input after reload');
      await checkFiltered('after reloading the filtered page');

      // Sort by date, newest first: dates never increase; undated pages come last.
      await rerender(page, () => page.selectOption('#sy-sp-sort', 'date'));
      ctx.equal(new URL(page.url()).searchParams.get('sort'), 'date', `sort= in the URL after sorting by date (${page.url()})`);
      const sorted = await showAll(page, ctx);
      const dates = sorted.items.map((it) => it.date);
      ctx.note(`dates by date sort: ${dates.join(' ')}`);
      for (const it of sorted.items) {
        const p = S.byRel.get(relOf(ctx, it.href));
        ctx.equal(it.date, p.date, `date shown for ${p.rel}`);
      }
      for (let i = 1; i < dates.length; i++) {
        const ok = !dates[i] || (dates[i - 1] && dates[i - 1] >= dates[i]);
        ctx.assert(ok, `sorted by date, result ${i + 1} (${dates[i] || 'undated'}) follows ${dates[i - 1] || 'undated'}: ${dates.join(' ')}`);
      }
      ctx.equal(sorted.items.length, wantKind.length, 'results after sorting (the facet stays on)');
    },
  },

  {
    name: 'search: an exact phrase ranks its page first; document numbers in the text are found',
    async run(page, ctx) {
      const S = site(ctx);
      const pick = pickPhrase(S, pickTitleQuery(S)?.page.rel);
      ctx.assert(pick, 'no page has a 6–10 character Han phrase found on no other page');
      const { page: target, phrase } = pick;
      ctx.note(`phrase "${phrase}" from ${target.rel}${pick.section.id ? '#' + pick.section.id : ''}`);
      // Chinese quotes work as English ones do (the search page says so).
      for (const q of [phrase, `"${phrase}"`, `“${phrase}”`]) {
        await ctx.goto(page, `search.html?q=${encodeURIComponent(q)}`);
        const r = await waitList(page, ctx);
        ctx.assert(r.items.length > 0, `no results for ${q}: ${r.summary}`);
        const first = r.items[0];
        ctx.equal(relOf(ctx, first.href), target.rel, `first result for ${q}`);
        ctx.assert(first.marks.some((m) => normText(squash(m)) === normText(phrase)), `the first result's snippet for ${q} does not mark the whole phrase: marks ${JSON.stringify(first.marks)}`);
        const hash = decodeURIComponent(new URL(first.href).hash.slice(1));
        ctx.equal(hash, pick.section.id, `#anchor of the first result for ${q} (the section holding the phrase)`);
        ctx.equal(new URL(first.href).searchParams.get('hl'), q, `?hl= of the first result for ${q}`);
      }

      // Document numbers (〔2021〕16号) quoted in page text or shown in a page's information
      // panel: every page holding one is found, ahead of pages that do not.
      const cited = new Map();
      for (const p of S.pages) {
        for (const m of p.norm.match(DOC_NUMBER) || []) cited.set(m, [...(cited.get(m) || []), p.rel]);
      }
      for (const p of S.pages) {
        for (const m of normText(p.metaText).match(DOC_NUMBER) || []) {
          if (cited.has(m)) cited.set(m, [...cited.get(m), p.rel]);
        }
      }
      ctx.assert(cited.size > 0, 'no page text quotes a document number like 〔2021〕16号');
      for (const [num, pages] of [...cited].sort((a, b) => (a[0] < b[0] ? -1 : 1)).slice(0, 6)) {
        const holders = [...new Set(pages)];
        ctx.note(`document number ${num} is quoted by ${holders.join(', ')}`);
        await ctx.goto(page, `search.html?q=${encodeURIComponent(num)}`);
        const r = await showAll(page, ctx);
        const got = r.items.map((it) => relOf(ctx, it.href));
        const missing = holders.filter((h) => !got.includes(h));
        ctx.assert(missing.length === 0, `searching ${num} misses ${missing.join(', ')}, which quote it; found: ${got.join(', ') || 'nothing'}`);
        ctx.assert(sameSet(got.slice(0, holders.length), holders), `the pages holding ${num} are not ranked first: ${got.join(', ')}`);
        for (const it of r.items.slice(0, holders.length)) {
          ctx.assert(it.marks.some((m) => normText(squash(m)).includes(normText(num))), `the snippet of ${relOf(ctx, it.href)} for ${num} does not mark it: ${JSON.stringify(it.marks)}`);
        }
      }
    },
  },

  {
    name: "search: a policy's own document number (文号) finds the policy",
    async run(page, ctx) {
      const S = site(ctx);
      // The number as the page shows it in its information panel (e.g. 东办发〔2021〕16号).
      const own = [];
      for (const p of S.pages) {
        for (const m of p.metaText.matchAll(/([\u4e00-\u9fff]*〔\d{4}〕\d+号)/g)) own.push({ rel: p.rel, num: m[1] });
      }
      ctx.assert(own.length > 0, 'no page shows a document number (〔year〕N号) in its information panel');
      await ctx.goto(page, 'index.html');
      await page.waitForFunction(() => typeof window.__shuyuan?.search === 'function');
      const missing = [];
      for (const { rel, num } of own) {
        for (const q of [num, num.replace(/^[\u4e00-\u9fff]+/, '')]) {
          const res = await page.evaluate((q) => window.__shuyuan.search(q, 50), q);
          const got = res.map((x) => x.url.split('#')[0]);
          if (!got.includes(rel)) missing.push(`${q} (on ${rel}): found ${got.slice(0, 5).join(', ') || 'nothing'}`);
        }
      }
      ctx.note(`${own.length} document numbers: ${own.map((o) => o.num).join(' ')}`);
      ctx.assert(missing.length === 0, () => `${missing.length} of ${own.length * 2} document-number searches miss the page that carries the number:\n${missing.join('\n')}`);
    },
  },

  {
    name: 'search: a whole question with no exact match still gets answers',
    async run(page, ctx) {
      const S = site(ctx);
      // A question built from two rare words of one page, joined by question words.
      let built = null;
      for (const p of S.pages) {
        const words = [];
        for (const s of p.sections) {
          for (const run of s.text.match(HAN_RUN) || []) {
            if (run.length < 8) continue;
            const w = run.slice(2, 6);
            if (holding(S, w).length <= 2 && !words.some((x) => x.s === s)) words.push({ w, s });
          }
        }
        if (words.length >= 2) {
          const q = `请问${words[0].w}以后还要${words[words.length - 1].w}吗`;
          if (holding(S, q).length === 0) {
            built = { q, page: p };
            break;
          }
        }
      }
      ctx.assert(built, 'could not build a question from the pages');
      const questions = [{ q: built.q, expect: built.page.rel }];
      // A reader's own question, where the site shares some of its words.
      const reader = '物业公司中标以后还要和每位业主签合同吗';
      const bigrams = [...Array(reader.length - 1).keys()].map((i) => reader.slice(i, i + 2));
      if (holding(S, reader).length === 0 && S.pages.some((p) => bigrams.filter((b) => p.norm.includes(b)).length >= 3)) questions.push({ q: reader, expect: null });
      for (const { q, expect } of questions) {
        await ctx.goto(page, `search.html?q=${encodeURIComponent(q)}`);
        const r = await waitList(page, ctx);
        const got = r.items.map((it) => relOf(ctx, it.href));
        ctx.note(`"${q}": ${r.summary} — ${got.join(', ')}`);
        ctx.assert(r.items.length > 0 && summaryCount(ctx, r.summary) > 0, `the question "${q}" got no results: ${r.summary}`);
        if (expect) ctx.assert(got.includes(expect), `the question "${q}" was built from ${expect}, which is not among the first results: ${got.join(', ')}`);
      }
    },
  },

  {
    name: 'search: queries and results never inject HTML',
    async run(page, ctx) {
      const S = site(ctx);
      const word = pickFacetQuery(S)?.q || pickTitleQuery(S)?.q;
      ctx.assert(word, 'no word to search for');
      const dialogs = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        d.dismiss().catch(() => {});
      });
      // No quotes: a quoted phrase would (rightly) exclude every page lacking it.
      const evil = `<img src=x onerror=window.__syPwned=1><script>window.__syPwned=2</script>&amp;<b>`;
      const inspect = (sel) =>
        page.evaluate((sel) => {
          const root = document.querySelector(sel);
          const bad = [...root.querySelectorAll('script, img, iframe, object, embed, svg, style, link, input:not(#sy-sp-q)')].map((e) => e.outerHTML.slice(0, 80));
          const onAttrs = [...root.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name))).map((e) => e.outerHTML.slice(0, 80));
          const parts = [...root.querySelectorAll('.sy-hit-snippet, .sy-dd-title, .sy-result-title')].map((e) => e.innerHTML);
          return { bad, onAttrs, parts, text: root.textContent, pwned: window.__syPwned ?? null };
        }, sel);
      const judge = (where, x) => {
        ctx.assert(x.pwned === null, `${where}: injected script ran (window.__syPwned = ${x.pwned})`);
        ctx.assert(x.bad.length === 0, `${where}: markup from the query or a page became elements: ${x.bad.join(' | ')}`);
        ctx.assert(x.onAttrs.length === 0, `${where}: elements with event-handler attributes: ${x.onAttrs.join(' | ')}`);
        const impure = x.parts.filter((h) => !ONLY_TEXT_AND_MARK.test(h));
        ctx.assert(impure.length === 0, `${where}: titles/snippets hold more than text and <mark>: ${impure.slice(0, 3).join(' | ')}`);
      };

      // The search page: a query that finds pages, and one that finds nothing (it is echoed).
      for (const q of [`${word} ${evil}`, evil]) {
        await ctx.goto(page, `search.html?q=${encodeURIComponent(q)}`);
        await waitList(page, ctx);
        const x = await inspect('#sy-search-page');
        judge(`search page for ${JSON.stringify(q)}`, x);
        ctx.assert(x.text.includes(q), `the search page does not show the query ${JSON.stringify(q)} as text (summary: ${squash(x.text).slice(0, 200)})`);
        if (q !== evil) ctx.assert(x.parts.length > 0, `no results for ${JSON.stringify(q)}`);
      }

      // The header dropdown, likewise.
      await ctx.goto(page, 'index.html');
      for (const q of [`${word} ${evil}`, evil]) {
        const dd = await dropdownFor(page, ctx, q);
        const x = await inspect('#sy-dd');
        judge(`dropdown for ${JSON.stringify(q)}`, x);
        if (q === evil) ctx.assert(dd.empty !== null && dd.empty.includes(q), `the dropdown does not echo ${JSON.stringify(q)} as text: ${dd.empty}`);
        else {
          ctx.assert(dd.options.length > 0, `the dropdown lists nothing for ${JSON.stringify(q)}`);
          const more = await page.locator('#sy-dd .sy-dd-more').getAttribute('href');
          ctx.equal(new URL(more, page.url()).searchParams.get('q'), q, '"查看全部" link carries the query intact');
        }
      }
      ctx.assert(dialogs.length === 0, `dialogs opened: ${dialogs.join(' | ')}`);
    },
  },

  {
    name: 'search: index files load as <script> elements, never fetch or XHR',
    async run(page, ctx) {
      const S = site(ctx);
      const pick = pickFacetQuery(S) || { q: pickTitleQuery(S).q };
      await page.addInitScript(() => {
        window.__syNet = [];
        const f = window.fetch;
        window.fetch = function (input, ...rest) {
          window.__syNet.push(`fetch ${input && input.url ? input.url : input}`);
          return f.call(this, input, ...rest);
        };
        const open = XMLHttpRequest.prototype.open;
        XMLHttpRequest.prototype.open = function (method, url, ...rest) {
          window.__syNet.push(`xhr ${url}`);
          return open.call(this, method, url, ...rest);
        };
        // Elements that load something, as the page adds them (search.js removes its <script>
        // tags once loaded): what Firefox loads from file://, where it reports no requests.
        window.__syAdded = [];
        new MutationObserver((records) => {
          for (const r of records) for (const n of r.addedNodes) if (n.src || n.href) window.__syAdded.push({ url: n.src || n.href, type: n.tagName.toLowerCase() });
        }).observe(document, { childList: true, subtree: true });
      });
      const searchBase = ctx.url('search/');
      const seen = [];
      page.on('request', (req) => {
        if (req.url().startsWith(searchBase)) seen.push({ url: req.url(), type: req.resourceType() });
      });
      // The search page (meta, shards, fragments; the facets only once the reader asks for
      // filters), then the header dropdown on a content page.
      await ctx.goto(page, `search.html?q=${encodeURIComponent(pick.q)}`);
      await waitList(page, ctx);
      const beforeFilters = seen.map((s) => s.url).filter((u) => /\/facets\.js/.test(u));
      ctx.assert(beforeFilters.length === 0, `facets.js was loaded before the filters were asked for: ${beforeFilters.join(', ')}`);
      await page.locator('#sy-search-page .sy-load-facets').click();
      await page.waitForSelector('#sy-search-page button[data-param]');
      const perf = await page.evaluate((base) => performance.getEntriesByType('resource').filter((e) => e.name.startsWith(base)).map((e) => ({ url: e.name, type: e.initiatorType })), searchBase);
      const net = await page.evaluate(() => window.__syNet);
      const added = await page.evaluate(() => window.__syAdded);
      await ctx.goto(page, S.pages[0].rel);
      const dd = await dropdownFor(page, ctx, pick.q);
      ctx.assert(dd.options.length > 0, `the dropdown lists nothing for "${pick.q}"`);
      net.push(...(await page.evaluate(() => window.__syNet)));
      added.push(...(await page.evaluate(() => window.__syAdded)));
      if (ctx.engine === 'firefox' && ctx.mode === 'file') {
        ctx.assert(seen.length === 0, 'Firefox now reports file:// requests: drop the element watch in this check');
        seen.push(...added.filter((a) => a.url.startsWith(searchBase)));
        ctx.note('Firefox reports no file:// requests: the files are those of the elements the page added');
      }
      perf.push(...(await page.evaluate((base) => performance.getEntriesByType('resource').filter((e) => e.name.startsWith(base)).map((e) => ({ url: e.name, type: e.initiatorType })), searchBase)));

      const rel = (u) => ctx.rel(u.split('?')[0]) || u;
      ctx.note(`search files requested: ${seen.map((s) => `${rel(s.url)} (${s.type})`).join(', ')}`);
      ctx.assert(net.length === 0, `search used fetch/XHR: ${net.join(', ')}`);
      const names = seen.map((s) => rel(s.url));
      ctx.assert(names.includes('search/meta.js'), `search/meta.js was never requested (requested: ${names.join(', ') || 'nothing under search/'})`);
      for (const [what, re] of [['a shard', /^search\/[^/]+\/s\d+\/\d+\.js$/], ['a page fragment', /^search\/[^/]+\/p\d+\/\d+\.js$/], ['the facets', /^search\/[^/]+\/facets\.js$/]]) {
        ctx.assert(names.some((n) => re.test(n)), `${what} (${re}) was never requested; requested: ${names.join(', ')}`);
      }
      // Over HTTP every file of the index folder names the edition meta.js gives, so a cached
      // copy of an older edition is not read; file:// URLs stay plain.
      const metaText = fs.readFileSync(path.join(ctx.siteDir, 'search', 'meta.js'), 'utf8');
      const edition = (metaText.match(/"ed":"([0-9a-f]+)"/) || [])[1];
      ctx.assert(edition, `search/meta.js names no edition: ${metaText.slice(0, 120)}`);
      const indexFiles = seen.filter((s) => /^search\/[^/]+\//.test(rel(s.url)));
      const wrongQuery = indexFiles.filter((s) => {
        const query = s.url.includes('?') ? s.url.slice(s.url.indexOf('?')) : '';
        return query !== (ctx.mode === 'http' ? `?v=${edition}` : '');
      });
      ctx.assert(wrongQuery.length === 0, `index files not asked for with ${ctx.mode === 'http' ? `?v=${edition}` : 'no query'}: ${wrongQuery.map((s) => s.url).join(', ')}`);
      const notScript = seen.filter((s) => s.type !== 'script');
      ctx.assert(notScript.length === 0, `search files not loaded by <script>: ${notScript.map((s) => `${rel(s.url)} (${s.type})`).join(', ')}`);
      // Resource Timing names the initiator over HTTP (Chromium records no entries for file://).
      if (ctx.mode === 'http') ctx.assert(perf.length > 0, 'no Resource Timing entries for search/ files');
      const perfBad = perf.filter((e) => e.type !== 'script');
      ctx.assert(perfBad.length === 0, `Resource Timing: search files with initiatorType other than "script": ${perfBad.map((e) => `${rel(e.url)} (${e.type})`).join(', ')}`);
    },
  },
  {
    name: 'search: a highlighted arrival survives a malformed #fragment',
    async run(page, ctx) {
      const S = site(ctx);
      const pick = pickTitleQuery(S);
      ctx.assert(pick, 'no page title has a 2–4 character Han word that also occurs in its text');
      // `%E0%A4%A` is not valid percent-encoding; the page must still highlight and set up "/".
      await ctx.goto(page, `${pick.page.rel}?hl=${encodeURIComponent(pick.q)}#%E0%A4%A`);
      const marks = await page.evaluate(() => document.querySelectorAll('article.sy-content mark').length);
      ctx.assert(marks > 0, `no highlight for ${pick.q} on ${pick.page.rel}`);
      await page.locator('body').focus().catch(() => {});
      await page.keyboard.press('/');
      await page.waitForFunction(() => document.activeElement?.id === 'sy-q', null, { timeout: 3000 }).catch(() => {});
      ctx.equal(await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName), 'sy-q', 'element focused after pressing "/"');
    },
  },
  {
    name: 'search: a highlighted arrival marks synonyms too',
    async run(page, ctx) {
      const S = site(ctx);
      // The sample's content/_synonyms.md has 业委会 = 业主委员会: a page that says only the
      // full name, opened from a search for the short one, marks the full name.
      const [word, synonym] = ['业委会', '业主委员会'];
      const target = S.pages.find((p) => p.norm.includes(synonym) && !p.norm.includes(word));
      ctx.assert(target, `no page holds ${synonym} without ${word}`);
      await ctx.goto(page, `${target.rel}?hl=${encodeURIComponent(word)}`);
      await page.waitForFunction(() => document.querySelector('article.sy-content mark.sy-hl'), null, { timeout: 5000 }).catch(() => {});
      const marked = await page.evaluate(() => [...document.querySelectorAll('article.sy-content mark.sy-hl')].map((m) => m.textContent));
      ctx.assert(marked.includes(synonym), `?hl=${word} on ${target.rel} marked ${JSON.stringify(marked)}, not ${synonym}`);
    },
  },
];

// Shared with search_ui.mjs (the search page's layout and typing), kept apart to stay readable.
export { site, holding, pickTitleQuery, pickFacetQuery, waitList, readResults, rerender, relOf, summaryCount, sameSet };
