// The search page and the header box as readers meet them on a phone and with a Chinese input
// method: the first result on the first screen (filters folded behind "筛选" on narrow screens),
// one search box on the search page, no search while an input method is still composing pinyin,
// and messages that fit what the reader did (filters named only when one is set, both kinds of
// quotes), status badges with the class each page names for its status, and the words of a
// link that shows its target's title in the search text and snippets (issue #13, item 3), and a
// meta.js of another index format refused before any index file is read.
// Queries come from the built site, through the helpers of search.mjs.
import fs from 'node:fs';
import path from 'node:path';
import { site, holding, pickTitleQuery, pickFacetQuery, waitList, readResults, rerender, summaryCount } from './search.mjs';

const PHONE = { width: 390, height: 844 };
const NARROW = { width: 360, height: 740 };
const WIDE = { width: 1366, height: 768 };
/** Index files only a query loads: shards, page fragments, facets. */
const QUERY_FILE = /\/search\/[^/]+\/(?:[sp]\d+\/\d+(?:-\d+)?|facets)\.js(?:\?|$)/;
/** What Microsoft Pinyin shows inline, step by step, while a word is spelled. */
const PINYIN_STEPS = ['w', 'wang', "wang'g", "wang'ge"];
/** Between composition steps: longer than either debounce (120 ms header, 240 ms page). */
const STEP_MS = 350;

/** Boxes (viewport coordinates) and states of the search page's parts; null for what is not shown. */
async function layout(page) {
  return page.evaluate(() => {
    const box = (el) => {
      if (!el) return null;
      const r = el.getBoundingClientRect();
      return r.width || r.height ? { top: r.top, bottom: r.bottom, left: r.left, right: r.right } : null;
    };
    const root = document.getElementById('sy-search-page');
    const toggle = root.querySelector('.sy-filter-toggle');
    const controls = toggle?.getAttribute('aria-controls') ?? null;
    const panel = controls ? document.getElementById(controls) : root.querySelector('.sy-facets');
    const active = document.activeElement;
    return {
      vh: innerHeight,
      scrollY,
      title: box(root.querySelector('.sy-result-title')),
      summary: box(root.querySelector('.sy-summary')),
      toggle: box(toggle),
      toggleText: toggle?.textContent.trim() ?? null,
      expanded: toggle?.getAttribute('aria-expanded') ?? null,
      controls,
      panel: box(panel),
      panelIsFilters: !!panel?.querySelector('button[data-param], .sy-load-facets'),
      facetsShown: [...root.querySelectorAll('button[data-param]')].filter((b) => box(b)).length,
      searchBoxes: [...document.querySelectorAll('input[type=search]')].filter((i) => box(i)).map((i) => i.id),
      focus: active ? { cls: active.className, param: active.getAttribute('data-param'), value: active.getAttribute('data-value') } : null,
    };
  });
}

const px = (b) => (b ? `${Math.round(b.top)}–${Math.round(b.bottom)}` : 'not shown');

/** Records every text `selector` shows from now on (on each change of it or below it). */
async function recordTexts(page, selector) {
  await page.evaluate((sel) => {
    const el = document.querySelector(sel);
    window.__syShown = [];
    new MutationObserver(() => window.__syShown.push(el.hidden ? '' : el.textContent)).observe(el, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
    });
  }, selector);
}

/**
 * Spells PINYIN_STEPS into the focused box through Chromium's real IME path (the DevTools
 * protocol's Input.imeSetComposition: compositionstart/update and input with isComposing), pausing
 * after each step, then presses `keys` (an IME's candidate keys, seen with isComposing); returns
 * what happened meanwhile and a function that commits `text` as the IME does when the reader
 * picks the characters (compositionend).
 */
async function composePinyin(page, boxId, keys = []) {
  const loads = [];
  page.on('request', (req) => {
    if (QUERY_FILE.test(req.url())) loads.push(req.url());
  });
  const cdp = await page.context().newCDPSession(page);
  for (const text of PINYIN_STEPS) {
    await cdp.send('Input.imeSetComposition', { text, selectionStart: text.length, selectionEnd: text.length });
    await page.waitForTimeout(STEP_MS);
  }
  for (const key of keys) await page.keyboard.press(key);
  await page.waitForTimeout(STEP_MS);
  const value = await page.inputValue(`#${boxId}`);
  const shown = await page.evaluate(() => window.__syShown.filter(Boolean));
  return {
    value,
    loads: [...loads],
    shown,
    loadsNow: () => loads.length,
    commit: async (text) => {
      await cdp.send('Input.insertText', { text });
      await cdp.detach();
    },
  };
}

/** The status badge in each content page's header: { rel, title, status, cls }, one page per badge class. */
function statusBadges(ctx) {
  const byClass = new Map();
  for (const p of site(ctx).pages) {
    const html = fs.readFileSync(path.join(ctx.siteDir, ...p.rel.split('/')), 'utf8');
    const header = /<header class="sy-doc-header">([\s\S]*?)<\/header>/.exec(html)?.[1] ?? '';
    const badge = /<span class="sy-status sy-status-([\w-]+)">([^<]*)<\/span>/.exec(header);
    if (badge && !byClass.has(badge[1])) byClass.set(badge[1], { rel: p.rel, title: p.title, status: badge[2], cls: badge[1] });
  }
  return [...byClass.values()];
}

/**
 * Phrases of an article's text that run into a link showing its target's title (what a
 * `[[slug]]` link shows): the two Han characters before the link, then the first two to four
 * Han characters of the title, with the page they are on.
 */
function linkPhrases(ctx) {
  const S = site(ctx);
  const out = [];
  for (const p of S.pages) {
    const html = fs.readFileSync(path.join(ctx.siteDir, ...p.rel.split('/')), 'utf8');
    const article = /<article class="sy-content">([\s\S]*?)<\/article>/.exec(html)?.[1] ?? '';
    for (const m of article.matchAll(/(\p{Script=Han}{2})<a href="([^"#]+\.html)(?:#[^"]*)?"[^>]*>([^<]+)<\/a>/gu)) {
      const target = ctx.rel(new URL(m[2], ctx.url(p.rel)).href);
      const title = S.byRel.get(target)?.title;
      const start = /^\p{Script=Han}{2,4}/u.exec(m[3])?.[0];
      if (title && start && m[3].trim() === title) out.push({ rel: p.rel, phrase: m[1] + start, link: title });
    }
  }
  return out;
}

export default [
  {
    name: 'search: a result shows its status with the badge class its page has, which the page names (meta shuyuan-statuses)',
    async run(page, ctx) {
      const badges = statusBadges(ctx);
      ctx.assert(badges.length >= 2, `the site's pages show fewer than two kinds of status badge: ${JSON.stringify(badges)}`);
      for (const b of badges) {
        await ctx.goto(page, `search.html?q=${encodeURIComponent(b.title)}`);
        const r = await waitList(page, ctx);
        const at = r.items.findIndex((item) => item.href && ctx.rel(item.href.split(/[?#]/)[0]) === b.rel);
        ctx.assert(at >= 0, `searching the title “${b.title}” does not list ${b.rel}: ${r.summary}`);
        const shown = await page.evaluate((i) => {
          const badge = document.querySelectorAll('#sy-search-page li.sy-result')[i].querySelector('.sy-status');
          return badge ? { cls: badge.className, text: badge.textContent } : null;
        }, at);
        ctx.note(`${b.rel}: ${b.status} → ${shown?.cls}`);
        ctx.equal(shown && shown.text, b.status, `the status the result for ${b.rel} shows`);
        ctx.equal(shown && shown.cls, `sy-status sy-status-${b.cls}`, `the badge class of ${b.status} on the result for ${b.rel}`);
      }
    },
  },

  {
    name: 'search page on a phone: the first result is on the first screen; filters fold behind 筛选',
    viewport: PHONE,
    async run(page, ctx) {
      const S = site(ctx);
      const pick = pickFacetQuery(S);
      ctx.assert(pick, 'no two-character title word is held by pages of two kinds');
      const { q, kind } = pick;
      const wantKind = pick.pages.filter((p) => p.kind === kind).length;

      // Other pages keep the header box; the search page shows only its own.
      await ctx.goto(page, S.pages[0].rel);
      ctx.assert(await page.locator('#sy-q').isVisible(), `no header search box on ${S.pages[0].rel} at 390px`);

      await ctx.goto(page, `search.html?q=${encodeURIComponent(q)}`);
      const r = await waitList(page, ctx);
      ctx.equal(summaryCount(ctx, r.summary), pick.pages.length, `result count for "${q}"`);
      let L = await layout(page);
      ctx.note(`"${q}", ${pick.pages.length} results, 390×844: summary y=${px(L.summary)}, 筛选 y=${px(L.toggle)}, first title y=${px(L.title)}`);
      ctx.assert(L.title && L.scrollY === 0 && L.title.bottom <= L.vh, `the first result's title is not on the first screen: y=${px(L.title)} in a ${L.vh}px viewport`);
      ctx.equal(L.searchBoxes.join(' '), 'sy-sp-q', 'visible search boxes on search.html (ids)');
      ctx.assert(L.toggle, 'no visible 筛选 button on a phone');
      ctx.assert(/^筛选/.test(L.toggleText), `the filter button says "${L.toggleText}"`);
      ctx.equal(L.expanded, 'false', 'aria-expanded of 筛选 at first');
      ctx.assert(L.panelIsFilters, `aria-controls="${L.controls}" of 筛选 names no panel of filters`);
      ctx.equal(L.facetsShown, 0, 'filter buttons shown before 筛选 is opened');
      ctx.assert(L.toggle.top >= L.summary.bottom - 1 && L.toggle.bottom <= L.title.top, `筛选 (y=${px(L.toggle)}) is not between the result count (y=${px(L.summary)}) and the first result (y=${px(L.title)})`);

      // The keyboard opens and closes it; the panel opens between the button and the results.
      await page.locator('#sy-search-page .sy-filter-toggle').focus();
      await page.keyboard.press('Enter');
      // The first opening loads the facet data.
      await page.waitForSelector('#sy-search-page button[data-param]');
      L = await layout(page);
      ctx.equal(L.expanded, 'true', 'aria-expanded after Enter on 筛选');
      ctx.assert(L.facetsShown > 0 && L.panel, 'Enter on 筛选 showed no filters');
      ctx.assert(L.panel.top >= L.toggle.bottom - 1 && L.title.top >= L.panel.bottom - 1, `the open panel (y=${px(L.panel)}) is not between 筛选 (y=${px(L.toggle)}) and the first result (y=${px(L.title)})`);
      await page.keyboard.press('Space');
      L = await layout(page);
      ctx.equal(L.expanded, 'false', 'aria-expanded after Space on the open 筛选');
      ctx.equal(L.facetsShown, 0, 'filter buttons shown after closing 筛选');
      await page.keyboard.press('Enter');
      await page.keyboard.press('Tab');
      L = await layout(page);
      ctx.assert(L.focus?.param, `Tab from the open 筛选 lands on "${L.focus?.cls}", not on a filter`);
      await page.keyboard.press('Escape');
      L = await layout(page);
      ctx.equal(L.expanded, 'false', 'aria-expanded after Escape in the panel');
      ctx.equal(L.focus?.cls, 'sy-filter-toggle', 'focus after Escape in the panel');

      // Choosing a filter: the panel stays open with the focus on the choice, counts update, and
      // "查看 N 条结果" folds it away, leaving the first result on screen.
      await page.keyboard.press('Enter');
      const button = page.locator(`#sy-search-page button[data-param="kind"][data-value="${kind}"]`);
      await rerender(page, () => button.click());
      const f = await readResults(page);
      ctx.equal(summaryCount(ctx, f.summary), wantKind, `result count after choosing kind=${kind}`);
      L = await layout(page);
      ctx.equal(L.expanded, 'true', 'aria-expanded right after choosing a filter');
      ctx.assert(/已选\s*1\s*项/.test(L.toggleText), `筛选 does not say one filter is set: "${L.toggleText}"`);
      ctx.assert(L.focus?.param === 'kind' && L.focus?.value === kind, `focus after choosing kind=${kind}: ${JSON.stringify(L.focus)}`);
      const done = page.locator('#sy-search-page .sy-filter-done');
      ctx.assert(await done.isVisible(), 'no visible button to close the panel and see the results');
      const doneText = (await done.textContent()).trim();
      ctx.assert(doneText.includes(`${wantKind} 条结果`), `the close button says "${doneText}", not ${wantKind} 条结果`);
      await done.click();
      L = await layout(page);
      ctx.note(`after choosing kind=${kind} and "${doneText}": first title y=${px(L.title)}`);
      ctx.equal(L.expanded, 'false', `aria-expanded after "${doneText}"`);
      ctx.equal(L.focus?.cls, 'sy-filter-toggle', `focus after "${doneText}"`);
      ctx.assert(L.title && L.title.top >= 0 && L.title.bottom <= L.vh, `after "${doneText}" the first result is off screen: y=${px(L.title)}`);
      ctx.equal(new URL(page.url()).searchParams.get('kind'), kind, 'kind= in the URL');
    },
  },

  {
    // Firefox gives an input a minimum width of its own, so the search box ran past the edge
    // of a 360px phone there; the home page's cards did at the largest text size.
    name: 'the narrowest phone (360px), standard and largest text: the search page with results and the home page fit',
    viewport: NARROW,
    modes: ['file'],
    async run(page, ctx) {
      const S = site(ctx);
      const pick = pickFacetQuery(S);
      ctx.assert(pick, 'no two-character title word is held by pages of two kinds');
      const wide = [];
      for (const size of [null, '130']) {
        for (const rel of [`search.html?q=${encodeURIComponent(pick.q)}`, 'index.html']) {
          await ctx.goto(page, rel);
          if (rel.startsWith('search.html')) await waitList(page, ctx);
          const r = await page.evaluate((size) => {
            if (size) document.documentElement.setAttribute('data-sy-text', size);
            const vw = document.documentElement.clientWidth;
            const over = [...document.body.querySelectorAll('input, .sy-card, main, header')]
              .map((el) => [el, el.getBoundingClientRect()])
              .filter(([, b]) => b.width && b.right > vw + 1)
              .map(([el, b]) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className} (right edge ${Math.round(b.right)}px)`);
            const sw = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
            return { vw, sw, over: over.slice(0, 3) };
          }, size);
          if (r.sw > r.vw + 1 || r.over.length) wide.push(`${rel} at text size ${size || 'standard'}: ${r.sw}px in ${r.vw}px; ${r.over.join('; ')}`);
        }
      }
      ctx.assert(wide.length === 0, () => `too wide for a 360px phone:\n${wide.join('\n')}`);
    },
  },

  {
    name: 'search page on a wide screen: filters beside the results; the first result on the first screen',
    viewport: WIDE,
    async run(page, ctx) {
      const S = site(ctx);
      const pick = pickFacetQuery(S);
      ctx.assert(pick, 'no two-character title word is held by pages of two kinds');
      await ctx.goto(page, `search.html?q=${encodeURIComponent(pick.q)}`);
      await waitList(page, ctx);
      // The filter column offers the filters; asking loads the facet data.
      await page.locator('#sy-search-page .sy-load-facets').click();
      await page.waitForSelector('#sy-search-page button[data-param]');
      const L = await layout(page);
      ctx.note(`"${pick.q}", 1366×768: first title y=${px(L.title)}, filters x≤${Math.round(L.panel?.right)}`);
      ctx.assert(L.title && L.scrollY === 0 && L.title.bottom <= L.vh, `the first result's title is not on the first screen: y=${px(L.title)} in a ${L.vh}px viewport`);
      ctx.equal(L.searchBoxes.join(' '), 'sy-sp-q', 'visible search boxes on search.html (ids)');
      ctx.equal(L.toggle, null, 'the 筛选 button on a wide screen');
      ctx.assert(L.facetsShown > 0, 'no filters shown on a wide screen');
      ctx.assert(L.panel.right <= L.title.left, `the filters (right edge ${Math.round(L.panel.right)}) are not beside the results (left edge ${Math.round(L.title.left)})`);
    },
  },

  {
    name: 'search: with an input method the header box searches the chosen characters, not the pinyin',
    // Composition is driven over the DevTools protocol, which Firefox does not speak.
    engines: ['chromium'],
    async run(page, ctx) {
      const S = site(ctx);
      const pick = pickTitleQuery(S);
      ctx.assert(pick, 'no page title has a 2–4 character Han word that also occurs in its text');
      await ctx.goto(page, pick.page.rel);
      await page.locator('#sy-q').focus();
      await recordTexts(page, '#sy-dd');
      // ArrowDown picks a candidate in the IME; outside composition it would open the dropdown.
      const ime = await composePinyin(page, 'sy-q', ['ArrowDown']);
      ctx.equal(ime.value, PINYIN_STEPS.at(-1), 'the header box while composing (the inline pinyin)');
      ctx.assert(ime.loads.length === 0, `the header box searched while composing; loaded: ${ime.loads.map((u) => ctx.rel(u.split('?')[0])).join(', ')}`);
      ctx.assert(ime.shown.length === 0, `the dropdown showed something while composing: ${JSON.stringify(ime.shown)}`);
      ctx.equal(await page.evaluate(() => document.getElementById('sy-dd').hidden), true, 'dropdown hidden while composing');

      await ime.commit(pick.q);
      await page
        .waitForFunction((q) => {
          const more = document.querySelector('#sy-dd:not([hidden]) .sy-dd-more');
          return more && new URL(more.href).searchParams.get('q') === q;
        }, pick.q)
        .catch(() => ctx.fail(`after committing "${pick.q}" (compositionend) the dropdown never listed its results`));
      const after = await page.evaluate(() => ({ options: document.querySelectorAll('#sy-dd [role=option]').length, shown: window.__syShown.filter(Boolean) }));
      ctx.note(`composed ${PINYIN_STEPS.join(' → ')}, committed "${pick.q}": ${after.options} options, ${ime.loadsNow()} index files loaded after the commit`);
      ctx.assert(after.options > 0, `the dropdown lists nothing for the committed "${pick.q}"`);
      ctx.assert(ime.loadsNow() > 0, 'no index file was seen loading after the commit (the request watch is blind)');
      const stale = after.shown.filter((t) => /没有找到|wang/.test(t));
      ctx.assert(stale.length === 0, `the dropdown showed the pinyin's search: ${JSON.stringify(stale)}`);
    },
  },

  {
    name: 'search: with an input method the search page searches the chosen characters, not the pinyin',
    // Composition is driven over the DevTools protocol, which Firefox does not speak.
    engines: ['chromium'],
    async run(page, ctx) {
      const S = site(ctx);
      const pick = pickTitleQuery(S);
      ctx.assert(pick, 'no page title has a 2–4 character Han word that also occurs in its text');
      await ctx.goto(page, 'search.html');
      await page.waitForFunction(() => document.querySelector('#sy-search-page .sy-summary')?.textContent);
      const hint = await page.locator('#sy-search-page .sy-summary').textContent();
      await page.locator('#sy-sp-q').focus();
      await recordTexts(page, '#sy-search-page .sy-sp-body');
      const ime = await composePinyin(page, 'sy-sp-q');
      ctx.equal(ime.value, PINYIN_STEPS.at(-1), 'the search page box while composing (the inline pinyin)');
      ctx.assert(ime.loads.length === 0, `the search page searched while composing; loaded: ${ime.loads.map((u) => ctx.rel(u.split('?')[0])).join(', ')}`);
      ctx.assert(ime.shown.length === 0, `the search page changed while composing: ${JSON.stringify(ime.shown.slice(0, 3))}`);
      ctx.equal(await page.locator('#sy-search-page .sy-summary').textContent(), hint, 'the summary while composing');
      ctx.equal(new URL(page.url()).searchParams.get('q'), null, 'q= in the URL while composing');

      await ime.commit(pick.q);
      await page
        .waitForFunction(() => document.querySelector('#sy-search-page .sy-result-list'))
        .catch(() => ctx.fail(`after committing "${pick.q}" (compositionend) the search page never listed results`));
      const r = await waitList(page, ctx);
      ctx.note(`composed ${PINYIN_STEPS.join(' → ')}, committed "${pick.q}": ${r.summary}`);
      ctx.assert(r.items.length > 0 && r.summary.includes(`“${pick.q}”`), `no results for the committed "${pick.q}": ${r.summary}`);
      ctx.equal(new URL(page.url()).searchParams.get('q'), pick.q, 'q= in the URL after the commit');
      const stale = (await page.evaluate(() => window.__syShown)).filter((t) => /没有找到|wang/.test(t));
      ctx.assert(stale.length === 0, `the search page showed the pinyin's search: ${JSON.stringify(stale.slice(0, 3))}`);
    },
  },

  {
    name: 'search page: filters are named only when set and can always be unset; both quotes are explained',
    async run(page, ctx) {
      const S = site(ctx);
      const summaryText = () => page.locator('#sy-search-page .sy-summary').textContent();
      await ctx.goto(page, 'search.html');
      await page.waitForFunction(() => document.querySelector('#sy-search-page .sy-summary')?.textContent);
      const hint = await summaryText();
      ctx.assert(hint.includes('“…”') && hint.includes('"…"'), `the start hint does not show both Chinese and English quotes: "${hint}"`);

      // Nothing found, no filter: the message must not tell the reader to remove filters.
      const nothing = 'zqxjvk';
      ctx.assert(holding(S, nothing).length === 0, `the site holds "${nothing}"; pick another word no page has`);
      await ctx.goto(page, `search.html?q=${nothing}`);
      let r = await waitList(page, ctx);
      ctx.equal(r.items.length, 0, `results for "${nothing}"`);
      ctx.assert(r.summary.includes(`没有找到“${nothing}”`), `the empty result says "${r.summary}"`);
      ctx.assert(!/筛选/.test(r.summary), `no filter is set, yet the empty result says "${r.summary}"`);
      ctx.equal(await page.locator('#sy-search-page .sy-clear-filters').count(), 0, '"去掉筛选条件" buttons without a filter');

      // A quoted phrase no page holds, made of two words pages do hold: the page runs it again
      // without the quotes and says so.
      const title = S.pages.find((p) => /^\p{Script=Han}{4,}/u.test(p.title)).title;
      const phrase = [...title].slice(2, 4).join('') + [...title].slice(0, 2).join('');
      ctx.assert(holding(S, phrase).length === 0, `the site holds "${phrase}"; the check needs a phrase no page has`);
      await ctx.goto(page, `search.html?q=${encodeURIComponent(`“${phrase}”`)}`);
      r = await waitList(page, ctx);
      ctx.assert(r.items.length > 0, `no results for “${phrase}” without its quotes: ${r.summary}`);
      ctx.assert(r.summary.includes('去掉引号后的') && r.summary.includes(phrase), `the relaxed result does not say so: "${r.summary}"`);

      // Nothing found with a filter set: the message names it, and both the chosen filter's own
      // button (shown though no result has it) and "去掉筛选条件" unset it.
      const kind = S.pages[0].kind;
      const filtered = `search.html?q=${nothing}&kind=${encodeURIComponent(kind)}`;
      for (const how of ['its button', '去掉筛选条件']) {
        await ctx.goto(page, filtered);
        r = await waitList(page, ctx);
        ctx.assert(r.items.length === 0 && r.summary.includes('去掉筛选条件'), `with kind=${kind} the empty result says "${r.summary}"`);
        const chosen = page.locator(`#sy-search-page button[data-param="kind"][data-value="${kind}"]`);
        ctx.assert(await chosen.isVisible(), `the chosen kind=${kind} has no button when no result has it`);
        ctx.equal(await chosen.getAttribute('aria-pressed'), 'true', `aria-pressed of the chosen kind=${kind}`);
        ctx.equal((await chosen.locator('.sy-count').textContent()).trim(), '0', `count on the chosen kind=${kind}`);
        await rerender(page, () => (how === 'its button' ? chosen.click() : page.locator('#sy-search-page .sy-clear-filters').click()));
        ctx.equal(new URL(page.url()).searchParams.get('kind'), null, `kind= in the URL after unsetting it with ${how}`);
        const now = await summaryText();
        ctx.assert(!/筛选/.test(now), `after unsetting the filter with ${how} the summary says "${now}"`);
      }
    },
  },

  {
    name: "search page: text that runs into a link is found as written, and the snippet shows the link's words",
    async run(page, ctx) {
      // A link's words belong to the plain text the index holds, so the exact phrase across the
      // link's edge finds its page and shows in its snippet.
      const S = site(ctx);
      const picked = [];
      for (const c of linkPhrases(ctx)) {
        if (picked.some((p) => p.rel === c.rel) || holding(S, c.phrase).length > 3) continue;
        picked.push(c);
        if (picked.length === 3) break;
      }
      ctx.assert(picked.length > 0, 'no article has a link right after two Han characters');
      for (const { rel, phrase, link } of picked) {
        await ctx.goto(page, `search.html?q=${encodeURIComponent(`“${phrase}”`)}`);
        const r = await waitList(page, ctx);
        const item = r.items.find((it) => it.href && ctx.rel(it.href.split(/[?#]/)[0]) === rel);
        const snippet = (item?.snippetHtml ?? '').replace(/<[^>]*>/g, '');
        ctx.note(`“${phrase}” (link ${link}) on ${rel}: ${r.summary}; snippet: ${snippet.slice(0, 60)}`);
        ctx.assert(!r.summary.includes('去掉引号'), `“${phrase}” is not found as written: ${r.summary}`);
        ctx.assert(item, `“${phrase}” does not list ${rel}: ${r.items.map((it) => it.title).join('、')}`);
        ctx.assert(snippet.includes(phrase), `the snippet of ${rel} for “${phrase}” does not show it: ${snippet}`);
        ctx.assert(!/[\uE000-\uF8FF]/u.test(snippet + r.summary), `a private-use character in the result for “${phrase}”: ${snippet}`);
      }
    },
  },

  {
    name: 'search page: a browser that cannot read \\p{…} regexes says so in Chinese; other pages still work',
    async run(page, ctx) {
      const S = site(ctx);
      const pick = pickTitleQuery(S);
      ctx.assert(pick, 'no page title has a 2–4 character Han word that also occurs in its text');
      // Such a browser (Chrome before 64, Firefox before 78) rejects \p{…} with the u flag.
      await page.addInitScript(() => {
        const Native = RegExp;
        const Old = function RegExp(pattern, flags) {
          if (/\\p\{/.test(String(pattern)) && /u/.test(flags || '')) throw new SyntaxError('invalid property name in regular expression');
          return new Native(pattern, flags);
        };
        Old.prototype = Native.prototype;
        window.RegExp = Old;
      });
      const shown = async () => {
        await page.waitForFunction(() => document.getElementById('sy-search-page')?.textContent.trim(), null, { timeout: 5000 }).catch(() => {});
        return page.evaluate(() => ({
          text: document.getElementById('sy-search-page').textContent.replace(/\s+/g, ' ').trim().slice(0, 200),
          results: document.querySelectorAll('#sy-search-page .sy-result').length,
        }));
      };
      await ctx.goto(page, `search.html?q=${encodeURIComponent(pick.q)}`);
      let r = await shown();
      ctx.assert(/浏览器/.test(r.text) && /搜索/.test(r.text), `without \\p{…} the search page shows: "${r.text}"`);
      ctx.equal(r.results, 0, 'results listed without \\p{…}');
      // A content page loads without errors (the monitor watches), and its header box still
      // takes the reader to the search page, which says the same.
      await ctx.goto(page, S.pages[0].rel);
      const before = page.url();
      await page.locator('#sy-q').fill(pick.q);
      await page.keyboard.press('Enter');
      await page.waitForURL((u) => u.href !== before).catch(() => ctx.fail(`Enter in the header box of ${S.pages[0].rel} did not open the search page`));
      await ctx.settle(page);
      ctx.equal(ctx.rel(page.url()), 'search.html', 'page opened by Enter in the header box');
      r = await shown();
      ctx.assert(/浏览器/.test(r.text), `after the header box, the search page shows: "${r.text}"`);
    },
  },

  {
    name: 'search page: a meta.js of another index format is refused before any index file loads, and the reader is told',
    async run(page, ctx) {
      const S = site(ctx);
      const pick = pickTitleQuery(S);
      ctx.assert(pick, 'no page title has a 2–4 character Han word that also occurs in its text');
      // A browser holding an older search-core.js beside a newer index (or the other way
      // round) sees this: meta.js registers (the page API) with a format the core does not read.
      await page.addInitScript(() => {
        const NS = (window.__shuyuan = window.__shuyuan || {});
        let register = null;
        Object.defineProperty(NS, 'meta', {
          configurable: true,
          get: () => register,
          set: (own) => { register = (m) => own({ ...m, v: m.v + 1 }); },
        });
      });
      const seen = ctx.expectConsoleError(/index format \d+, search-core\.js reads \d+/);
      const first = ctx.monitor.requests.length;
      await ctx.goto(page, `search.html?q=${encodeURIComponent(pick.q)}`);
      const summary = page.locator('#sy-search-page .sy-summary');
      await page.waitForFunction(() => !/正在搜索/.test(document.querySelector('#sy-search-page .sy-summary')?.textContent ?? '正在搜索'), null, { timeout: 10_000 })
        .catch(() => ctx.fail('the search page was still searching after 10 s'));
      ctx.equal((await summary.textContent()).trim(), '搜索索引加载失败，请重新生成站点。', 'the summary with a meta.js of another format');
      ctx.equal(await page.locator('#sy-search-page .sy-result').count(), 0, 'results listed');
      const read = ctx.monitor.requests.slice(first).filter((u) => QUERY_FILE.test(u));
      ctx.assert(read.length === 0, `index files were read with a meta.js of another format: ${read.join(' ')}`);
      ctx.assert(seen.length > 0, 'the console did not say which format meta.js has and which the core reads');
      ctx.note(`console: ${seen[0]}`);
    },
  },
];
