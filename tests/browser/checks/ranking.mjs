// The ranking vectors in the browser: search.js ranks the fixture site tests/fixtures/ranking
// exactly as tests/vectors/ranking.json says, the file tests/search_vectors.rs checks the Rust
// ranking against. tests/browser.rs builds the fixture and names it in SHUYUAN_RANKING_SITE.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const VECTORS = path.join(HERE, '..', '..', 'vectors', 'ranking.json');
const TOLERANCE = 1e-9;

export default [
  {
    name: 'search.js ranks the fixture as the ranking vectors say',
    modes: ['file'],
    async run(page, ctx) {
      const dir = process.env.SHUYUAN_RANKING_SITE;
      ctx.assert(dir, 'SHUYUAN_RANKING_SITE is not set: run through `cargo test --test browser`, or build tests/fixtures/ranking and set it to the output folder');
      const vectors = JSON.parse(fs.readFileSync(VECTORS, 'utf8'));
      await ctx.goto(page, pathToFileURL(path.join(dir, 'index.html')).href);
      const constants = await page.evaluate(() => window.__shuyuan.rankingConstants);
      for (const [name, value] of Object.entries(vectors.constants)) {
        ctx.assert(constants[name] === value, `search.js has ${name} = ${constants[name]}, Rust has ${value}`);
      }
      ctx.assert(Object.keys(constants).length === Object.keys(vectors.constants).length, `search.js names other constants: ${Object.keys(constants).join(', ')}`);
      const got = await page.evaluate(async (queries) => {
        const out = [];
        for (const q of queries) out.push(await window.__shuyuan.ranked(q, 10));
        return out;
      }, vectors.queries.map((c) => c.q));
      const shown = await page.evaluate(async (queries) => {
        const out = [];
        for (const [q, n] of queries) out.push((await window.__shuyuan.search(q, n)).map((x) => x.url));
        return out;
      }, vectors.queries.map((c) => [c.q, c.limit || 10]));
      let compared = 0;
      vectors.queries.forEach((c, i) => {
        const g = got[i];
        ctx.assert(g.length === c.top.length, `${c.q}: ${g.length} results, the vectors have ${c.top.length}`);
        c.top.forEach((w, r) => {
          ctx.assert(g[r].url === w.url, `${c.q}: rank ${r} is ${g[r].url}, the vectors have ${w.url}`);
          ctx.assert(g[r].held === w.held, `${c.q}: rank ${r} holds ${g[r].held} terms, the vectors say ${w.held}`);
          ctx.assert(Math.abs(g[r].score - w.score) < TOLERANCE, `${c.q}: rank ${r} scores ${g[r].score}, the vectors have ${w.score}`);
          compared++;
        });
        const want = c.shown.map((x) => x.url);
        ctx.assert(JSON.stringify(shown[i]) === JSON.stringify(want), `${c.q}: shows ${shown[i].join(' ')}, the vectors have ${want.join(' ')}`);
      });
      ctx.note(`${vectors.queries.length} queries, ${compared} ranked pages compared`);
    },
  },
];
