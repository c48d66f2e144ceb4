// Traditional and simplified characters find each other on the real search page, from file://
// (and the page a result opens highlights the words in its own script):
// tests/fixtures/fold has a page in simplified characters (网格), one in traditional characters
// (網格) and an unrelated one. tests/browser.rs builds it and names it in SHUYUAN_FOLD_SITE;
// tests/search_fold.rs asks `shuyuan search` the same questions.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const SIMPLIFIED_PAGE = 'guides/jianti.html';
const TRADITIONAL_PAGE = 'guides/fanti.html';

/** The search page's results for `q`: each result's page (site-relative, no anchor) and snippet HTML. */
async function results(page, ctx, dir, q) {
  const url = `${pathToFileURL(path.join(dir, 'search.html')).href}?q=${encodeURIComponent(q)}`;
  await ctx.goto(page, url);
  await page
    .waitForFunction(() => document.querySelector('#sy-search-page .sy-result-list'))
    .catch(() => ctx.fail(`the search page never listed results for "${q}"`));
  const base = pathToFileURL(dir + path.sep).href;
  return page.evaluate((root) => [...document.querySelectorAll('#sy-search-page .sy-result')].map((li) => ({
    href: li.querySelector('.sy-result-title').href,
    page: decodeURIComponent(li.querySelector('.sy-result-title').href.split(/[?#]/)[0].slice(root.length)),
    snippet: li.querySelector('.sy-hit-snippet')?.innerHTML ?? '',
  })), base);
}

const pagesOf = (list) => list.map((r) => r.page).sort();

export default [
  {
    name: 'search page: traditional and simplified characters find each other',
    modes: ['file'],
    async run(page, ctx) {
      const dir = process.env.SHUYUAN_FOLD_SITE;
      ctx.assert(dir, 'SHUYUAN_FOLD_SITE is not set: run through `cargo test --test browser`, or build tests/fixtures/fold and set it to the output folder');
      const both = [TRADITIONAL_PAGE, SIMPLIFIED_PAGE].sort();

      const fromTraditional = await results(page, ctx, dir, '網格');
      ctx.note(`網格: ${JSON.stringify(fromTraditional)}`);
      ctx.equal(JSON.stringify(pagesOf(fromTraditional)), JSON.stringify(both), 'pages found by 網格');
      const simplifiedHit = fromTraditional.find((r) => r.page === SIMPLIFIED_PAGE);
      ctx.assert(simplifiedHit?.snippet.includes('<mark>网格</mark>'), `the simplified page's snippet does not mark 网格: ${simplifiedHit?.snippet}`);

      const fromSimplified = await results(page, ctx, dir, '网格');
      ctx.note(`网格: ${JSON.stringify(fromSimplified)}`);
      ctx.equal(JSON.stringify(pagesOf(fromSimplified)), JSON.stringify(both), 'pages found by 网格');
      const traditionalHit = fromSimplified.find((r) => r.page === TRADITIONAL_PAGE);
      ctx.assert(traditionalHit?.snippet.includes('<mark>網格</mark>'), `the traditional page's snippet does not mark 網格: ${traditionalHit?.snippet}`);

      // The result opens with ?hl=網格 and marks the simplified page's 网格.
      await ctx.goto(page, simplifiedHit.href);
      await page
        .waitForFunction(() => document.querySelector('article.sy-content mark'))
        .catch(() => ctx.fail(`${simplifiedHit.href} marks nothing`));
      const marked = await page.evaluate(() => [...document.querySelectorAll('article.sy-content mark')].map((m) => m.textContent));
      ctx.assert(marked.length > 0 && marked.every((t) => t === '网格'), `${simplifiedHit.href} marks ${JSON.stringify(marked)}`);

      for (const q of ['網格化管理辦法', '网格化管理办法']) {
        const list = await results(page, ctx, dir, q);
        ctx.equal(list[0]?.page, TRADITIONAL_PAGE, `first result for ${q}`);
      }
      const walk = await results(page, ctx, dir, '走訪責任網格');
      ctx.equal(walk[0]?.page, SIMPLIFIED_PAGE, 'first result for 走訪責任網格');
    },
  },
];
