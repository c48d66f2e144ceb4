// The search core (search-core.js, as a built site carries it) against the shared vectors,
// under Node and without a browser: tests/vectors/tokenizer.json, tests/vectors/heavy.json (the
// tiered postings of heavy keys), tests/vectors/fragment_code.json (how fragment files pack
// their JSON), tests/vectors/marks.json (what a query marks in a text), and tests/vectors/ranking.json (the ranking, and the results
// as shown: fragments and their continuation files read as src/search/fragments.rs says)
// over the built fixture site tests/fixtures/ranking, read from its search/ folder the way the
// page reads it. Run by tests/search_vectors.rs:
//
//     node tests/node/core_vectors.js <built fixture output folder>
//
// Prints one line per mismatch and exits 1 if there is any.
"use strict";

const fs = require("fs");
const path = require("path");
const vm = require("vm");

const out = path.resolve(process.argv[2] || "");
const vectors = path.resolve(__dirname, "../vectors");
const core = require(path.join(out, "static/search-core.js"));
const TOLERANCE = 1e-9;
const failures = [];

// A script's text as a browser reads it: UTF-16 after a byte-order mark (the fragments), else
// UTF-8.
function scriptText(bytes) {
  if (bytes[0] === 0xFF && bytes[1] === 0xFE) return new TextDecoder("utf-16le").decode(bytes.subarray(2));
  return new TextDecoder("utf-8").decode(bytes);
}

// Page `id`'s fragment, and its continuation file `j`, unpacked as search.js does.
function fragment(id) {
  return JSON.parse(core.unpackFragment(call(path.join(build, indexFile("p", id, "")))[2]));
}
function continuation(id, j) {
  return JSON.parse(core.unpackFragment(call(path.join(build, indexFile("p", id, "-" + j)))[3]));
}

// Runs one index file (`window.__shuyuan.<kind>(…)`) and returns the arguments it passed.
function call(file) {
  let args = null;
  const record = function () { args = Array.from(arguments); };
  const sandbox = { window: { __shuyuan: { meta: record, shard: record, heavy: record, page: record, more: record } } };
  vm.runInNewContext(scriptText(fs.readFileSync(file)), sandbox, { filename: file });
  if (!args) throw new Error(file + " did not register");
  return args;
}

const meta = call(path.join(out, "search/meta.js"))[0];
if (core.indexFormat !== meta.v) {
  failures.push("search-core.js reads index format " + core.indexFormat + ", meta.js says " + meta.v);
}
const build = path.join(out, "search", meta.build);
const shards = new Map();

function shard(k) {
  if (!shards.has(k)) {
    const map = Object.create(null), data = call(path.join(build, indexFile("s", k, "")))[2];
    const parts = data ? data.split(" ") : [];
    for (let i = 0; i + 1 < parts.length; i += 2) map[parts[i]] = parts[i + 1];
    shards.set(k, map);
  }
  return shards.get(k);
}

// A numbered index file, a thousand to a folder (as search.js and src/search/export/mod.rs).
function indexFile(prefix, n, suffix) {
  return prefix + Math.floor(n / 1000) + "/" + n + suffix + ".js";
}

function shardValue(key) {
  return shard(core.keyHash(key) % meta.shards)[key];
}

function lookup(key) {
  const k = core.keyHash(key) % meta.shards;
  let value = shard(k)[key];
  const stub = core.heavyStub(value);
  if (stub) return core.heavyPostings(call(path.join(build, indexFile("s", k, "-" + stub[0])))[3]);
  return value ? core.postings(value) : { docs: new Int32Array(0), levels: new Uint8Array(0) };
}

const series = core.seriesOfPages(meta.series, meta.docs);

function ranked(ts) {
  if (!ts.length) return [];
  const settled = core.settle(core.plan(ts, core.expand(ts, meta.syn || [])), shardValue);
  return core.rank(ts, settled, lookup, meta.docs, series);
}

// As search.js's query(): a quoted query that finds nothing runs again without its quotes.
function topTen(q) {
  const ts = core.parseQuery(q);
  let results = ranked(ts);
  if (!results.length && ts.some(function (t) { return t.quoted; })) results = ranked(core.parseQuery(core.withoutQuotes(q)));
  return results.slice(0, 10).map(function (r) {
    return { url: fragment(r.id).u, held: r.held, score: r.score };
  });
}

// As search.js's NS.search(q, n) (pickShown): of the shortest start of the ranking holding n
// pages whose fragments (with the continuation files the terms read) hold every term verbatim,
// at most 2n deep (n with a loose term), the holders first, each linking to its best section.
function shown(q, n) {
  let ts = core.parseQuery(q);
  let results = ranked(ts);
  if (!results.length && ts.some(function (t) { return t.quoted; })) {
    ts = core.parseQuery(core.withoutQuotes(q));
    results = ranked(ts);
  }
  const alts = ts.length ? core.expand(ts, meta.syn || []) : [];
  const marked = ts.concat.apply(ts, alts.map(function (as) {
    return as.map(function (a) { return Object.assign({}, a, { quoted: true }); });
  }));
  const loose = ts.length > 0 && core.plan(ts, alts).loose.some(Boolean);
  const deepest = Math.min(results.length, loose ? n : 2 * n), read = [];
  let held = 0;
  for (const r of results.slice(0, deepest)) {
    if (read.length >= n && held === n) break;
    const p = fragment(r.id);
    const most = read.length < n ? undefined : 0; // past the first n: the fragment alone
    const got = core.piecesRead(ts, p, function (j) { return continuation(r.id, j); }, most);
    const section = got.s[core.bestSection(marked, got.s).index];
    read.push({ url: p.u + (section && section[0] ? "#" + section[0] : ""), exact: got.held });
    if (got.held) held++;
  }
  return read.filter(function (x) { return x.exact; }).concat(read.filter(function (x) { return !x.exact; })).slice(0, n);
}

const tokenizer = JSON.parse(fs.readFileSync(path.join(vectors, "tokenizer.json"), "utf8"));
for (const v of tokenizer) {
  const got = core.tokenize(v.text);
  if (JSON.stringify(got) !== JSON.stringify(v.tokens)) {
    failures.push("tokenize " + JSON.stringify(v.text) + ": " + JSON.stringify(got) + ", vectors say " + JSON.stringify(v.tokens));
  }
}

const ranking = JSON.parse(fs.readFileSync(path.join(vectors, "ranking.json"), "utf8"));
for (const [name, value] of Object.entries(ranking.constants)) {
  if (core.constants[name] !== value) failures.push("constant " + name + ": " + core.constants[name] + ", Rust has " + value);
}
if (Object.keys(core.constants).length !== Object.keys(ranking.constants).length) {
  failures.push("search-core.js names other constants: " + Object.keys(core.constants).join(", "));
}
for (const v of ranking.queries) {
  const got = topTen(v.q);
  const same = got.length === v.top.length && got.every(function (r, i) {
    const want = v.top[i];
    return r.url === want.url && r.held === want.held && Math.abs(r.score - want.score) <= TOLERANCE;
  });
  if (!same) failures.push("rank " + JSON.stringify(v.q) + ": " + JSON.stringify(got) + ", vectors say " + JSON.stringify(v.top));
  const seen = shown(v.q, v.limit || 10), key = function (x) { return x.url + (x.exact ? " (verbatim)" : ""); };
  if (seen.map(key).join("\n") !== v.shown.map(key).join("\n")) {
    failures.push("shown " + JSON.stringify(v.q) + ": " + JSON.stringify(seen) + ", vectors say " + JSON.stringify(v.shown));
  }
}

const heavy = JSON.parse(fs.readFileSync(path.join(vectors, "heavy.json"), "utf8"));
for (const v of heavy) {
  const got = core.heavyPostings(v.heavy);
  const same = got.docs.length === v.pages.length &&
    v.pages.every(function (p, i) { return got.docs[i] === p && got.levels[i] === v.levels[i]; });
  if (!same) failures.push("heavy postings " + v.name + ": decoded differently from src/search/codec.rs");
}

const fragmentCode = JSON.parse(fs.readFileSync(path.join(vectors, "fragment_code.json"), "utf8"));
if (core.gbkTable() !== fragmentCode.gbk_table) failures.push("search-core.js's GBK table differs from src/search/fragment_code.rs");
fragmentCode.cases.forEach(function (v, i) {
  let got;
  try {
    got = core.unpackFragment(v.packed);
  } catch (e) {
    got = String(e);
  }
  if (got !== v.text) failures.push("fragment code case " + i + ": unpacked differently from src/search/fragment_code.rs");
});

const marks = JSON.parse(fs.readFileSync(path.join(vectors, "marks.json"), "utf8"));
for (const v of marks) {
  const got = core.mark(core.parseQuery(v.q), v.text).ranges;
  if (JSON.stringify(got) !== JSON.stringify(v.ranges)) {
    failures.push("mark " + JSON.stringify(v.q) + " in " + JSON.stringify(v.text) + ": " + JSON.stringify(got) + ", src/search/snippet.rs marks " + JSON.stringify(v.ranges));
  }
}

if (failures.length) {
  console.log(failures.join("\n"));
  process.exit(1);
}
console.log("search-core.js matches " + tokenizer.length + " tokenizer, " + ranking.queries.length + " ranking, " + marks.length + " mark and " + heavy.length + " heavy-postings vectors");
