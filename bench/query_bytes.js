// Bytes a browser loads per query, measured on a built site: runs the site's own
// static/search.js (its tokenizer, key choice, shard hashing and ranking) in a bare
// JavaScript context whose <script> loader reads files from the output folder, and adds up
// the size of every file a query loads: search.js, search/meta.js, the shards and the
// fragments of the first ten results. Each query starts cold, as in a fresh tab.
//
//   node bench/query_bytes.js SITE_OUTPUT_DIR QUERY...      prints one JSON object per query
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");

const SHOWN = 10; // results on the first page of the full search page

function measure(out, query) {
  const loaded = [];
  let context;
  const load = (src) => {
    const file = path.join(out, src.split("?")[0]);
    const code = fs.readFileSync(file, "utf8");
    loaded.push({ file: path.relative(out, file), bytes: fs.statSync(file).size });
    vm.runInContext(code, context, { filename: file });
  };
  const document = {
    readyState: "complete",
    head: {
      appendChild(script) {
        setImmediate(() => {
          try {
            load(script.src);
          } catch (err) {
            script.onerror(err);
            return;
          }
          script.onload();
        });
      },
    },
    createElement: () => ({ remove() {} }),
    getElementById: () => null,
    querySelector: () => null,
    addEventListener() {},
  };
  const window = { __shuyuanRoot: "" };
  context = vm.createContext({ window, document, location: { protocol: "file:", search: "", hash: "" }, URLSearchParams });
  load("static/search.js");
  return window.__shuyuan.search(query, SHOWN).then((results) => {
    const count = (re) => loaded.filter((f) => re.test(f.file)).length;
    return {
      query,
      bytes: loaded.reduce((n, f) => n + f.bytes, 0),
      shards: count(/\/s\d+\.js$/),
      fragments: count(/\/p\d+\.js$/),
      top: results.length ? results[0].url : null,
      files: loaded,
    };
  });
}

(async () => {
  const [out, ...queries] = process.argv.slice(2);
  if (!out || !queries.length) {
    console.error("usage: node bench/query_bytes.js SITE_OUTPUT_DIR QUERY...");
    process.exit(2);
  }
  for (const q of queries) console.log(JSON.stringify(await measure(out, q)));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
