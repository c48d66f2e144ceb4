// Core navigation checks: generic over the content (no words of the sample site are hard-coded).
// Each check gets a fresh page and the ctx from ../lib/harness.mjs; it throws (ctx.assert /
// ctx.fail) to fail, and also fails if the page had a JS error, a failed same-site request or a
// request to any other host while it ran.
import fs from 'node:fs';
import { MAIN_SELECTOR } from '../lib/harness.mjs';

/** Font names that mean "the stylesheet asked for a CJK font". */
const CJK_FONT =
  /Noto (Sans|Serif) (CJK|SC|TC)|Source Han|思源|PingFang|Hiragino|Microsoft YaHei|微软雅黑|Microsoft JhengHei|SimSun|宋体|SimHei|黑体|STHeiti|STSong|STKaiti|Heiti|Songti|Kaiti|楷体|FangSong|仿宋|WenQuanYi|文泉驿|Droid Sans Fallback|Sarasa|LXGW|霞鹜/i;

// ---------------------------------------------------------------------------------------------
// Discovery helpers (results cached in ctx.state, so later checks reuse what earlier ones found,
// but every check still works alone with --grep).

/** A nav entry's text without a trailing count like "案例 (12)" / "案例（12）" / "案例 12". */
function stripCount(s) {
  return s.replace(/\s*[（(]?\s*\d+\s*[)）]?\s*$/u, '').trim();
}

function isFolderIndex(ctx, href) {
  const rel = ctx.rel(href);
  return rel !== null && rel !== 'index.html' && /(^|\/)index\.html$/.test(rel);
}

/** Nav links of the home page that lead to a folder's index.html (sections, taxonomy indexes). */
async function sections(page, ctx) {
  if (ctx.state.sections) return ctx.state.sections;
  await ctx.goto(page, 'index.html');
  const nav = await ctx.navLinks(page);
  ctx.note(`home nav: ${nav.map((l) => `${l.text} -> ${l.raw}`).join(' | ')}`);
  for (const l of nav) {
    const rel = ctx.rel(l.href);
    if (rel !== null && !rel.split('#')[0].endsWith('.html') && !/^[a-z]+:/i.test(l.raw)) {
      ctx.fail(`nav link "${l.text}" has href="${l.raw}", which is not an .html file (folder links break on file://)`);
    }
  }
  const seen = new Set();
  const out = [];
  for (const l of nav) {
    const key = l.href.split('#')[0];
    if (!isFolderIndex(ctx, l.href) || seen.has(key)) continue;
    seen.add(key);
    out.push(l);
  }
  ctx.assert(out.length > 0, `the home page navigation has no links to sections (<dir>/index.html); links found: ${nav.map((l) => l.raw).join(', ') || 'none'}`);
  ctx.state.sections = out;
  return out;
}

/**
 * Does a page's <h1> show the title a list entry promised? Equal (ignoring a trailing count on the
 * entry), or the title after a label and a colon, as term pages do ("标签：X", "Tag: X").
 */
function sameTitle(h1, title) {
  const t = stripCount(title);
  if (h1 === title || h1 === t) return true;
  return [`：${t}`, `: ${t}`, `:${t}`].some((suffix) => h1.endsWith(suffix) && h1.length > suffix.length);
}

/** Text a list entry shows as its title: the heading inside the link if any, else the link text. */
async function entryTitle(page, ctx, scope, index) {
  const loc = ctx.linkLocator(page, scope, index);
  return loc.evaluate((a) => {
    const h = a.querySelector('h1, h2, h3, h4, h5, h6, .title, [class*="title"]');
    return (h || a).textContent.replace(/[\s\u00a0\u3000]+/g, ' ').trim();
  });
}

/**
 * The entries a list page (section, term page) shows in its main area: links that are not
 * navigation, breadcrumbs, tags/metadata, pagination or prose links. Links to plain pages come
 * first, links to folder indexes (subsections) after them.
 */
async function listedEntries(page, ctx) {
  const scope = (await page.locator(MAIN_SELECTOR).count()) > 0 ? MAIN_SELECTOR : 'body';
  const here = page.url().split('#')[0];
  const all = await ctx.links(page, scope);
  const ok = all.filter((l) => {
    const rel = ctx.rel(l.href);
    return (
      l.visible &&
      l.text &&
      !l.inside.nav &&
      !l.inside.breadcrumbs &&
      !l.inside.header &&
      !l.inside.footer &&
      !l.inside.content &&
      !l.inside.tagish &&
      !(l.raw || '').startsWith('#') &&
      rel !== null &&
      rel !== 'index.html' &&
      rel.endsWith('.html') &&
      l.href.split('#')[0] !== here
    );
  });
  const rank = (l) => (isFolderIndex(ctx, l.href) ? 2 : 0) + (l.inside.heading || l.inside.listItem ? 0 : 1);
  const sorted = ok.map((l, i) => ({ l, i })).sort((a, b) => rank(a.l) - rank(b.l) || a.i - b.i).map((x) => x.l);
  return { scope, entries: sorted };
}

/** For each section: the section page and its first listed page (cached). */
async function firstPages(page, ctx) {
  if (ctx.state.firstPages) return ctx.state.firstPages;
  const out = [];
  for (const s of await sections(page, ctx)) {
    await ctx.goto(page, s.href);
    const { entries } = await listedEntries(page, ctx);
    out.push({ section: s, first: entries[0] || null, entries: entries.slice(0, 5).map((e) => e.href) });
  }
  ctx.state.firstPages = out;
  return out;
}

/** Content pages worth visiting: the first few entries of every section. */
async function samplePages(page, ctx) {
  const urls = [];
  for (const f of await firstPages(page, ctx)) for (const u of f.entries) if (!urls.includes(u)) urls.push(u);
  return urls;
}

// ---------------------------------------------------------------------------------------------
// Checks

export default [
  {
    name: 'home page has a title, an h1 and a language',
    async run(page, ctx) {
      await ctx.goto(page, 'index.html');
      const info = await page.evaluate(() => ({
        title: document.title,
        lang: document.documentElement.lang,
        charset: document.characterSet,
        viewport: document.querySelector('meta[name="viewport"]')?.content || '',
      }));
      ctx.assert(ctx.norm(info.title), 'the home page <title> is empty');
      await ctx.h1(page);
      ctx.assert(info.lang, '<html> has no lang attribute');
      ctx.equal(info.charset, 'UTF-8', 'document character set');
      ctx.assert(/width=device-width/.test(info.viewport), `no <meta name="viewport" content="width=device-width…"> (got "${info.viewport}")`);
    },
  },

  {
    name: 'stylesheets load and ask for a CJK font',
    async run(page, ctx) {
      await ctx.goto(page, 'index.html');
      const r = await page.evaluate(() => {
        const links = [...document.querySelectorAll('link[rel~="stylesheet"]')].map((l) => {
          let rules = null;
          try {
            rules = l.sheet ? l.sheet.cssRules.length : null;
          } catch {
            rules = -1; // not readable (file:// origin rules); the request monitor still checks it loaded
          }
          return { href: l.getAttribute('href'), loaded: !!l.sheet, rules };
        });
        const body = getComputedStyle(document.body);
        return { links, font: body.fontFamily, margin: body.margin };
      });
      ctx.note(`stylesheets: ${JSON.stringify(r.links)}; body font-family: ${r.font}`);
      ctx.assert(r.links.length > 0, 'the home page links no stylesheet');
      for (const l of r.links) {
        ctx.assert(l.loaded, `stylesheet ${l.href} did not load`);
        ctx.assert(l.rules !== 0, `stylesheet ${l.href} is empty`);
      }
      ctx.assert(CJK_FONT.test(r.font), `body font-family names no CJK font (got: ${r.font}); is the theme stylesheet applied?`);
    },
  },

  {
    name: 'nav links reach their sections',
    async run(page, ctx) {
      const secs = await sections(page, ctx);
      let marked = 0;
      for (const s of secs) {
        await ctx.goto(page, 'index.html');
        const homeUrl = page.url();
        const homeCrumbs = await ctx.breadcrumbs(page);
        const nav = await ctx.navLinks(page);
        const i = nav.findIndex((l) => l.href === s.href);
        ctx.assert(i >= 0, `nav link ${s.raw} vanished`);
        const url = await ctx.clickAndWait(page, await ctx.navLink(page, i));
        ctx.assert(url !== homeUrl, `clicking "${s.text}" did not change the URL`);
        ctx.equal(url.split('#')[0], s.href.split('#')[0], `URL after clicking "${s.text}"`);
        const h1 = await ctx.h1(page);
        const wanted = [s.text, stripCount(s.text), s.title].filter(Boolean);
        ctx.assert(wanted.includes(h1), `after clicking nav link "${s.text}" the <h1> is "${h1}"`);
        const crumbs = await ctx.breadcrumbs(page);
        if (crumbs && homeCrumbs) ctx.assert(crumbs.text !== homeCrumbs.text, `breadcrumbs did not change after clicking "${s.text}" (${crumbs.text})`);
        // The nav marks where we are: never another entry, and (checked after the loop) at least
        // the sections get marked. Taxonomy entries may or may not be marked.
        const after = await ctx.navLinks(page);
        const me = after.find((l) => l.href.split('#')[0] === url.split('#')[0]);
        ctx.assert(me, `on ${ctx.rel(url)} the navigation has no link to the page itself`);
        const wrong = after.filter((l) => l.active && l.href.split('#')[0] !== url.split('#')[0] && ctx.rel(l.href) !== 'index.html');
        ctx.assert(wrong.length === 0, `on ${ctx.rel(url)} the nav marks another entry as current: ${wrong.map((l) => l.raw).join(', ')}`);
        if (me.active) marked++;
        ctx.note(`${s.text} -> ${ctx.rel(url)} h1="${h1}" breadcrumbs="${crumbs?.text ?? '(none)'}" marked current: ${me.active}`);
      }
      ctx.assert(marked > 0, 'no section page marks its own nav link as current (aria-current="page" or an "active"/"current" class)');
    },
  },

  {
    name: 'each section opens its first listed page',
    async run(page, ctx) {
      const secs = await sections(page, ctx);
      let opened = 0;
      for (const s of secs) {
        await ctx.goto(page, s.href);
        const sectionUrl = page.url();
        const { scope, entries } = await listedEntries(page, ctx);
        if (entries.length === 0) {
          ctx.note(`${ctx.rel(s.href)} lists no pages`);
          continue;
        }
        const first = entries[0];
        const title = await entryTitle(page, ctx, scope, first.index);
        const url = await ctx.clickAndWait(page, ctx.linkLocator(page, scope, first.index));
        const h1 = await ctx.h1(page);
        ctx.assert(sameTitle(h1, title) || (first.title && sameTitle(h1, first.title)), `${ctx.rel(sectionUrl)}: first entry "${title}" (${first.raw}) opened ${ctx.rel(url)} whose <h1> is "${h1}"`);
        // The page's breadcrumb trail leads back to the section.
        const crumbs = await ctx.breadcrumbs(page);
        ctx.assert(crumbs, `${ctx.rel(url)} has no breadcrumb trail`);
        ctx.assert(
          crumbs.hrefs.some((h) => h.split('#')[0] === sectionUrl.split('#')[0]),
          `the breadcrumbs of ${ctx.rel(url)} ("${crumbs.text}") do not link back to ${ctx.rel(sectionUrl)}`,
        );
        ctx.note(`${ctx.rel(sectionUrl)} -> "${title}" -> ${ctx.rel(url)}`);
        opened++;
      }
      ctx.assert(opened > 0, 'no section lists any page');
    },
  },

  {
    name: 'a link inside an article reaches its target page',
    async run(page, ctx) {
      // Find a content page whose article links to another page of the site.
      const candidates = await samplePages(page, ctx);
      const queue = [...candidates];
      const seen = new Set(queue);
      let found = null;
      for (let n = 0; queue.length && n < 60 && !found; n++) {
        const url = queue.shift();
        await ctx.goto(page, url);
        const links = await ctx.links(page, 'article.sy-content');
        const here = page.url().split('#')[0];
        for (const l of links) {
          const rel = ctx.rel(l.href);
          if (l.visible && rel && rel.endsWith('.html') && l.href.split('#')[0] !== here && !(l.raw || '').startsWith('#')) {
            found = { from: page.url(), link: l };
            break;
          }
        }
        // Widen the search along the listed entries of this page, if any.
        if (!found) {
          for (const l of (await listedEntries(page, ctx)).entries) {
            if (!seen.has(l.href)) {
              seen.add(l.href);
              queue.push(l.href);
            }
          }
        }
      }
      ctx.assert(found, `no page among ${seen.size} visited has a link to another page inside <article class="sy-content">`);
      const { link } = found;
      ctx.note(`from ${ctx.rel(found.from)} following "${link.text}" (href="${link.raw}")`);
      const url = await ctx.clickAndWait(page, ctx.linkLocator(page, 'article.sy-content', link.index));
      ctx.equal(url, link.href, 'URL reached');
      ctx.assert(ctx.fileFor(url), `${url} is not a file of the site`);
      const h1 = await ctx.h1(page);
      const title = ctx.norm(await page.title());
      ctx.assert(title, `${ctx.rel(url)} has an empty <title>`);
      const hash = new URL(url).hash;
      if (hash) {
        const id = decodeURIComponent(hash.slice(1));
        const exists = await page.evaluate((id) => !!document.getElementById(id), id);
        ctx.assert(exists, `${ctx.rel(url)} has no element with id "${id}" (link "${link.raw}")`);
      }
      ctx.note(`reached ${ctx.rel(url)}${hash ? ' ' + decodeURIComponent(hash) : ''}: h1="${h1}" title="${title}"`);
      ctx.state.articleLink = { from: found.from, to: url };
    },
  },

  {
    name: 'a tag link opens its tag page, which lists the page',
    async run(page, ctx) {
      const pages = await samplePages(page, ctx);
      let found = null;
      for (const url of pages.slice(0, 30)) {
        await ctx.goto(page, url);
        const links = await ctx.links(page, 'body');
        const tag = links.find((l) => {
          const rel = ctx.rel(l.href);
          return l.visible && l.text && rel && /^tags\/[^/]+\.html$/.test(rel) && rel !== 'tags/index.html';
        });
        if (tag) {
          found = { from: page.url(), tag };
          break;
        }
      }
      ctx.assert(found, `none of ${Math.min(pages.length, 30)} content pages links to a tag page (tags/<term>.html)`);
      const { tag, from } = found;
      const name = stripCount(tag.text.replace(/^#\s*/, ''));
      ctx.note(`from ${ctx.rel(from)} following tag "${tag.text}" (href="${tag.raw}")`);
      const url = await ctx.clickAndWait(page, ctx.linkLocator(page, 'body', tag.index));
      const h1 = await ctx.h1(page);
      ctx.assert(h1.includes(name), `tag page ${ctx.rel(url)} has <h1> "${h1}", which does not mention "${name}"`);
      const { entries } = await listedEntries(page, ctx);
      ctx.assert(entries.length > 0, `tag page ${ctx.rel(url)} lists no pages`);
      ctx.assert(
        entries.some((e) => e.href.split('#')[0] === from.split('#')[0]),
        `tag page ${ctx.rel(url)} does not list ${ctx.rel(from)}, which carries the tag (it lists: ${entries.map((e) => ctx.rel(e.href)).join(', ')})`,
      );
    },
  },

  {
    name: '404 page renders with the site style',
    async run(page, ctx) {
      ctx.assert(ctx.fileFor(ctx.url('404.html')), '404.html is missing from the site root');
      await ctx.goto(page, '404.html');
      await ctx.h1(page);
      const r = await page.evaluate(() => ({
        sheets: [...document.querySelectorAll('link[rel~="stylesheet"]')].map((l) => ({ href: l.getAttribute('href'), loaded: !!l.sheet })),
        font: getComputedStyle(document.body).fontFamily,
        home: [...document.querySelectorAll('a[href]')].some((a) => /(^|\/)index\.html$/.test(a.getAttribute('href'))),
      }));
      ctx.assert(r.sheets.length > 0 && r.sheets.every((s) => s.loaded), `404.html stylesheets did not all load: ${JSON.stringify(r.sheets)}`);
      ctx.assert(CJK_FONT.test(r.font), `404.html is unstyled (body font-family: ${r.font})`);
      ctx.assert(r.home, '404.html has no link back to index.html');
      const problems = await ctx.linkProblems(page);
      ctx.assert(problems.length === 0, () => problems.join('\n'));
    },
  },

  {
    name: 'no horizontal overflow at 390px',
    viewport: { width: 390, height: 844 },
    // Layout does not depend on how the page was reached: Firefox sweeps the site once.
    modes: { firefox: ['file'] },
    timeout: 300_000,
    async run(page, ctx) {
      const MAX = 400;
      const files = ctx.htmlFiles();
      // Every page when the site is small; otherwise the home page, sections and a spread sample.
      const pick = files.length <= MAX ? files : ['index.html', ...files.filter((f) => f.endsWith('/index.html')), ...files.filter((_, i) => i % Math.ceil(files.length / MAX) === 0)].slice(0, MAX);
      const bad = [];
      for (const rel of [...new Set(pick)]) {
        await ctx.goto(page, rel);
        const r = await page.evaluate(() => {
          const vw = document.documentElement.clientWidth;
          const sw = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
          const culprits = [];
          if (sw > vw + 1) {
            const clipped = (el) => {
              for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
                if (getComputedStyle(p).overflowX !== 'visible') return true;
              }
              return false;
            };
            const path = (el) => {
              const parts = [];
              for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
                parts.unshift(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\s+/).join('.') : ''));
              }
              return parts.join(' > ');
            };
            for (const el of document.body.querySelectorAll('*')) {
              const rc = el.getBoundingClientRect();
              if (rc.width && rc.right > vw + 1 && !clipped(el)) culprits.push(`${path(el)} (right edge ${Math.round(rc.right)}px)`);
              if (culprits.length >= 3) break;
            }
          }
          return { vw, sw, culprits };
        });
        if (r.sw > r.vw + 1) bad.push(`${rel}: ${r.sw}px wide in a ${r.vw}px viewport; first too-wide elements: ${r.culprits.join('; ') || '?'}`);
      }
      ctx.note(`checked ${pick.length} of ${files.length} pages`);
      ctx.assert(bad.length === 0, () => `${bad.length} pages overflow horizontally:\n` + bad.slice(0, 20).join('\n'));
    },
  },

  {
    name: 'crawl: every page loads and every link and asset resolves',
    // Links are the same HTML in both engines; Firefox loads every page once, from file://.
    modes: { firefox: ['file'] },
    timeout: 300_000,
    async run(page, ctx) {
      const MAX = 400;
      const start = ctx.url('index.html');
      const queue = [start, ctx.url('404.html')];
      const seen = new Set(queue);
      const problems = new Map(); // problem -> pages (site-relative) it was found on
      let visited = 0;
      let redirects = 0;
      let orphanCount = 0;
      const orphans = ctx.htmlFiles().map((f) => ctx.url(f));
      while ((queue.length || orphans.length) && visited < MAX) {
        // Breadth-first from the home page; then the files no link led to (e.g. alias redirects).
        if (!queue.length) {
          const u = orphans.shift();
          if (!seen.has(u)) {
            seen.add(u);
            queue.push(u);
            orphanCount++;
          }
          continue;
        }
        const url = queue.shift();
        // A redirect page (written for `aliases`) is checked as a file: its target must exist.
        const file = ctx.fileFor(url);
        const refresh = file && /<meta[^>]+http-equiv=["']?refresh["']?[^>]*content=["']?\s*\d+\s*;\s*url=([^"'>]+)/i.exec(fs.readFileSync(file, 'utf8'));
        if (refresh) {
          const to = new URL(refresh[1].trim(), url).href;
          if (!ctx.fileFor(to)) problems.set(`redirect page ${ctx.rel(url)} points to a missing file: ${refresh[1]}`, [ctx.rel(url)]);
          else if (!seen.has(to.split('#')[0])) {
            seen.add(to.split('#')[0]);
            queue.push(to.split('#')[0]);
          }
          redirects++;
          continue;
        }
        await ctx.goto(page, url);
        visited++;
        for (const p of await ctx.linkProblems(page)) {
          if (!problems.has(p)) problems.set(p, []);
          problems.get(p).push(ctx.rel(page.url()));
        }
        const hrefs = await page.evaluate(() => [...document.querySelectorAll('a[href]')].map((a) => a.href));
        for (const h of hrefs) {
          const u = h.split('#')[0];
          if (seen.has(u)) continue;
          const rel = ctx.rel(u);
          if (rel === null || !rel.endsWith('.html') || !ctx.fileFor(u)) continue;
          seen.add(u);
          queue.push(u);
        }
      }
      ctx.note(`visited ${visited} pages and ${redirects} redirect pages (${orphanCount} reached by no link from the home page)${queue.length ? ` (stopped at ${MAX}, ${queue.length} not visited)` : ''}`);
      const lines = [...problems].map(([p, pages]) => `${p}  [on ${pages.length === 1 ? pages[0] : `${pages.length} pages, e.g. ${pages[0]}`}]`);
      ctx.assert(lines.length === 0, () => `${lines.length} link problems:\n` + lines.slice(0, 40).join('\n') + (lines.length > 40 ? `\n… and ${lines.length - 40} more` : ''));
    },
  },
];
