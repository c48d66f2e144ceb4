//! The tantivy index: schema, indexing of [`SearchDoc`]s, and the tiered search.
//!
//! Text goes into three fields (title, headings, body; positions kept for phrases) with the terms
//! tokenizer and into three matching grams fields with the grams tokenizer, less Han characters:
//! a query gram that is one Han character is looked up as the terms holding it. A search runs in
//! tiers so that pages holding the query text come first:
//! 1. every term matched strictly (its exact tokens as a phrase, its grams present) in one field;
//!    these pages are then checked against their stored text and those containing every term
//!    verbatim go first;
//! 2. only when that leaves room: the loose query, BM25 over all query tokens with title and
//!    heading boosts, whole-term and adjacent-token phrase boosts for closeness, ranked by how
//!    many terms each page holds verbatim and then by score.

use std::collections::{BTreeSet, HashSet};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};

use tantivy::collector::TopDocs;
use tantivy::indexer::NoMergePolicy;
use tantivy::query::{BooleanQuery, BoostQuery, EmptyQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{
    Document, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
    Value,
};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument,
    Term as TantivyTerm,
};
use tantivy_fst::Automaton;

use super::query::{self, Term};
use super::snippet::{best_section, snippet};
use super::tokenizer::{
    CharClass, GRAMS_TOKENIZER, GramTokenizer, TERMS_TOKENIZER, TermTokenizer, classify, normalize,
};
use super::{SearchDoc, SearchError, SearchHit, SearchQuery};

/// Field boosts: a title hit outweighs a heading hit, which outweighs a body hit.
const TITLE_BOOST: f32 = 3.0;
const HEADINGS_BOOST: f32 = 2.0;
const BODY_BOOST: f32 = 1.0;
/// In the loose tier, holding a whole term counts this much more than holding its pieces.
const WHOLE_TERM_BOOST: f32 = 2.0;
/// Adjacent query tokens found adjacent in the page (a longer shared run) add this, per field boost.
const ADJACENT_BOOST: f32 = 0.5;
/// Two terms within this many tokens of each other add closeness.
const NEAR_SLOP: u32 = 8;
/// Memory per indexing thread.
const WRITER_BYTES_PER_THREAD: usize = 64 << 20;

/// The fields of the schema.
#[derive(Clone, Copy)]
struct Fields {
    title: Field,
    headings: Field,
    body: Field,
    title_g: Field,
    headings_g: Field,
    body_g: Field,
    kind: Field,
    tag: Field,
    topic: Field,
    region: Field,
    year: Field,
    status: Field,
    /// The whole [`SearchDoc`] as JSON, for hits and snippets.
    stored: Field,
}

impl Fields {
    /// (terms field, grams field, boost) for title, headings and body.
    fn text(&self) -> [(Field, Field, f32); 3] {
        [
            (self.title, self.title_g, TITLE_BOOST),
            (self.headings, self.headings_g, HEADINGS_BOOST),
            (self.body, self.body_g, BODY_BOOST),
        ]
    }

    fn from_schema(schema: &Schema) -> Result<Fields, SearchError> {
        let f = |name: &str| schema.get_field(name).map_err(SearchError::from);
        Ok(Fields {
            title: f("title")?,
            headings: f("headings")?,
            body: f("body")?,
            title_g: f("title_g")?,
            headings_g: f("headings_g")?,
            body_g: f("body_g")?,
            kind: f("kind")?,
            tag: f("tag")?,
            topic: f("topic")?,
            region: f("region")?,
            year: f("year")?,
            status: f("status")?,
            stored: f("doc")?,
        })
    }
}

fn schema() -> Schema {
    let terms = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(TERMS_TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let grams = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(GRAMS_TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let mut b = Schema::builder();
    for name in ["title", "headings", "body"] {
        b.add_text_field(name, terms.clone());
        b.add_text_field(&format!("{name}_g"), grams.clone());
    }
    for facet in ["kind", "tag", "topic", "region", "year", "status"] {
        b.add_text_field(facet, STRING);
    }
    b.add_text_field("doc", STORED);
    b.build()
}

fn register_tokenizers(index: &Index) {
    index.tokenizers().register(TERMS_TOKENIZER, TermTokenizer);
    index.tokenizers().register(GRAMS_TOKENIZER, GramTokenizer);
}

/// Empties `dir` for a fresh index, refusing to touch a directory that is not one of ours.
fn prepare_dir(dir: &Path) -> Result<(), SearchError> {
    if dir.exists() {
        let empty = std::fs::read_dir(dir)
            .map_err(SearchError::io(dir))?
            .next()
            .is_none();
        if !empty && !dir.join("meta.json").is_file() {
            return Err(SearchError::NotOurs(dir.to_path_buf()));
        }
        std::fs::remove_dir_all(dir).map_err(SearchError::io(dir))?;
    }
    std::fs::create_dir_all(dir).map_err(SearchError::io(dir))
}

fn dir_bytes(dir: &Path) -> Result<u64, SearchError> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).map_err(SearchError::io(dir))? {
        let meta = entry
            .and_then(|e| e.metadata())
            .map_err(SearchError::io(dir))?;
        total += meta.len();
    }
    Ok(total)
}

/// Builds a fresh index of `docs` in `dir`; returns its size in bytes.
pub(super) fn build(docs: &[&SearchDoc], dir: &Path) -> Result<u64, SearchError> {
    prepare_dir(dir)?;
    let index = Index::create_in_dir(dir, schema())?;
    register_tokenizers(&index);
    let f = Fields::from_schema(&index.schema())?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let mut writer: IndexWriter<Queued> =
        index.writer_with_num_threads(threads, threads * WRITER_BYTES_PER_THREAD)?;
    // The index is written once and replaced whole by the next build: merging its segments
    // would write it a second time (a gigabyte on a 100,000-page site) for queries that are
    // already a few milliseconds.
    writer.set_merge_policy(Box::new(NoMergePolicy));
    let queue = Queue::new(threads * QUEUED_PER_THREAD);
    for doc in docs {
        let mut d = TantivyDocument::new();
        d.add_text(f.title, &doc.title);
        d.add_text(f.title_g, &doc.title);
        for s in &doc.sections {
            if !s.heading.is_empty() {
                d.add_text(f.headings, &s.heading);
                d.add_text(f.headings_g, &s.heading);
            }
            d.add_text(f.body, &s.text);
            d.add_text(f.body_g, &s.text);
        }
        d.add_text(f.kind, &doc.kind);
        for tag in &doc.tags {
            d.add_text(f.tag, tag);
        }
        for topic in &doc.topics {
            d.add_text(f.topic, topic);
        }
        let year = doc.date.as_deref().and_then(|d| d.get(..4));
        for (field, value) in [
            (f.region, &doc.region.as_deref()),
            (f.year, &year),
            (f.status, &doc.status.as_deref()),
        ] {
            if let Some(v) = value {
                d.add_text(field, v);
            }
        }
        let json = serde_json::to_string(doc).expect("SearchDoc serialises to JSON");
        d.add_text(f.stored, json);
        writer.add_document(Queued {
            doc: d,
            _place: queue.place(),
        })?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    dir_bytes(dir)
}

/// Documents handed to tantivy and not yet indexed, per indexing thread. tantivy itself queues
/// up to 10,000, which on a large site is a second copy of all its text.
const QUEUED_PER_THREAD: usize = 16;

/// Bounds the documents waiting for tantivy's indexing threads (see [`QUEUED_PER_THREAD`]).
struct Queue(Arc<(Mutex<usize>, Condvar)>);

impl Queue {
    fn new(limit: usize) -> Queue {
        Queue(Arc::new((Mutex::new(limit), Condvar::new())))
    }

    /// Waits for a free place in the queue.
    fn place(&self) -> Place {
        let (free, freed) = &*self.0;
        let mut free = free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Place(Arc::clone(&self.0))
    }
}

/// A place in the [`Queue`], given back when the document holding it has been indexed.
struct Place(Arc<(Mutex<usize>, Condvar)>);

impl Drop for Place {
    fn drop(&mut self) {
        let (free, freed) = &*self.0;
        *free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        freed.notify_one();
    }
}

/// A document holding its place in the queue until tantivy has indexed (and dropped) it.
struct Queued {
    doc: TantivyDocument,
    _place: Place,
}

impl Document for Queued {
    type Value<'a> = <TantivyDocument as Document>::Value<'a>;
    type FieldsValuesIter<'a> = <TantivyDocument as Document>::FieldsValuesIter<'a>;

    fn iter_fields_and_values(&self) -> Self::FieldsValuesIter<'_> {
        self.doc.iter_fields_and_values()
    }
}

/// An open index, reusable across searches (what a long-running server keeps).
pub struct SearchIndex {
    reader: IndexReader,
    fields: Fields,
}

/// A page found by one of the tiers, before it becomes a [`SearchHit`].
struct Candidate {
    doc: SearchDoc,
    score: f32,
    /// 0: every term verbatim; 1: strict match not verbatim; 2: loose match.
    tier: u8,
    /// Terms the page holds verbatim.
    held: usize,
}

fn term_query(field: Field, text: &str, option: IndexRecordOption) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        TantivyTerm::from_field_text(field, text),
        option,
    ))
}

fn boost(q: Box<dyn Query>, by: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(q, by))
}

/// All of `queries` must match (a single one is returned as is).
fn all_of(mut queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    if queries.len() == 1 {
        return queries.pop().expect("one query");
    }
    Box::new(BooleanQuery::intersection(queries))
}

impl SearchIndex {
    /// Opens the index in `dir`.
    pub fn open(dir: &Path) -> Result<SearchIndex, SearchError> {
        if !dir.join("meta.json").is_file() {
            return Err(SearchError::NoIndex(dir.to_path_buf()));
        }
        let index = Index::open_in_dir(dir)?;
        register_tokenizers(&index);
        let fields = Fields::from_schema(&index.schema())?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex { reader, fields })
    }

    /// A term held strictly: in some text field, its exact tokens as a phrase and its grams.
    fn strict(&self, searcher: &Searcher, term: &Term) -> Result<Box<dyn Query>, SearchError> {
        let mut per_field = Vec::new();
        for (field, grams_field, by) in self.fields.text() {
            let mut must: Vec<Box<dyn Query>> = Vec::new();
            match term.exact.as_slice() {
                [] => {}
                [(_, token)] => must.push(term_query(field, token, IndexRecordOption::WithFreqs)),
                tokens => must.push(Box::new(PhraseQuery::new_with_offset(
                    tokens
                        .iter()
                        .map(|(p, t)| (*p, TantivyTerm::from_field_text(field, t)))
                        .collect(),
                ))),
            }
            for g in &term.grams {
                must.push(match lone_han(g) {
                    Some(c) => holding_han(searcher, field, c)?,
                    None => term_query(grams_field, g, IndexRecordOption::WithFreqs),
                });
            }
            per_field.push((Occur::Should, boost(all_of(must), by)));
        }
        Ok(Box::new(BooleanQuery::new(per_field)))
    }

    /// Optional clauses for edge-cut words found whole.
    fn boosts(&self, terms: &[Term]) -> Vec<(Occur, Box<dyn Query>)> {
        let mut out = Vec::new();
        for t in terms {
            for b in &t.boosts {
                for (field, _, by) in self.fields.text() {
                    out.push((
                        Occur::Should,
                        boost(term_query(field, b, IndexRecordOption::WithFreqs), by),
                    ));
                }
            }
        }
        out
    }

    /// The loose tier's scoring clauses: whole terms, every token, adjacency and nearness.
    fn loose(
        &self,
        searcher: &Searcher,
        terms: &[Term],
    ) -> Result<Vec<Box<dyn Query>>, SearchError> {
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        let mut seen = HashSet::new();
        let f = self.fields;
        let unquoted: Vec<&Term> = terms.iter().filter(|t| !t.quoted).collect();
        for t in &unquoted {
            out.push(boost(self.strict(searcher, t)?, WHOLE_TERM_BOOST));
            // Grams are left out: a page sharing only characters (or the digits of a number)
            // with a term is not a partial answer.
            let tokens = t.exact.iter().map(|(_, tok)| tok).chain(&t.boosts);
            for token in tokens {
                if !seen.insert(token.clone()) {
                    continue;
                }
                for (field, _, by) in f.text() {
                    out.push(boost(
                        term_query(field, token, IndexRecordOption::WithFreqs),
                        by,
                    ));
                }
            }
            for w in t.exact.windows(2).filter(|w| w[1].0 == w[0].0 + 1) {
                for (field, by) in [(f.title, TITLE_BOOST), (f.body, BODY_BOOST)] {
                    let pair = vec![
                        TantivyTerm::from_field_text(field, &w[0].1),
                        TantivyTerm::from_field_text(field, &w[1].1),
                    ];
                    out.push(boost(Box::new(PhraseQuery::new(pair)), by * ADJACENT_BOOST));
                }
            }
        }
        for pair in unquoted.windows(2) {
            let (first, second) = (&pair[0].exact, &pair[1].exact);
            if let (Some((start, a)), Some((end, _)), Some((_, b))) =
                (first.first(), first.last(), second.first())
            {
                // Offset of the second term's first token if it followed the first term directly.
                let gap = end - start + 1;
                out.push(Box::new(PhraseQuery::new_with_offset_and_slop(
                    vec![
                        (0, TantivyTerm::from_field_text(f.body, a)),
                        (gap, TantivyTerm::from_field_text(f.body, b)),
                    ],
                    NEAR_SLOP,
                )));
            }
        }
        Ok(out)
    }

    fn filters(&self, q: &SearchQuery) -> Vec<(Occur, Box<dyn Query>)> {
        let f = self.fields;
        [
            (f.kind, &q.kind),
            (f.tag, &q.tag),
            (f.topic, &q.topic),
            (f.region, &q.region),
            (f.year, &q.year),
            (f.status, &q.status),
        ]
        .into_iter()
        .filter_map(|(field, value)| {
            let value = value.as_deref()?;
            Some((
                Occur::Must,
                term_query(field, value, IndexRecordOption::Basic),
            ))
        })
        .collect()
    }

    fn load(&self, searcher: &Searcher, addr: DocAddress) -> Result<SearchDoc, SearchError> {
        let doc: TantivyDocument = searcher.doc(addr)?;
        let json = doc
            .get_first(self.fields.stored)
            .and_then(|v| v.as_str())
            .ok_or_else(|| SearchError::Corrupt(format!("no stored page for {addr:?}")))?;
        serde_json::from_str(json).map_err(|e| SearchError::Corrupt(e.to_string()))
    }

    /// Runs a query; hits come in rank order, at most `query.limit` (at least 1) of them.
    pub fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>, SearchError> {
        let terms = query::parse(&query.text);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let limit = query.limit.max(1);
        let searcher = self.reader.searcher();

        let mut strict: Vec<(Occur, Box<dyn Query>)> = terms
            .iter()
            .map(|t| Ok((Occur::Must, self.strict(&searcher, t)?)))
            .collect::<Result<_, SearchError>>()?;
        strict.extend(self.filters(query));
        strict.extend(self.boosts(&terms));
        let strict_top = TopDocs::with_limit(limit * 2 + 20).order_by_score();
        let tier_a = searcher.search(&BooleanQuery::new(strict), &strict_top)?;

        let mut seen: HashSet<DocAddress> = HashSet::new();
        let mut found = Vec::new();
        for (score, addr) in tier_a {
            seen.insert(addr);
            let doc = self.load(&searcher, addr)?;
            let held = held_terms(&doc, &terms);
            let tier = if held == terms.len() { 0 } else { 1 };
            found.push(Candidate {
                doc,
                score,
                tier,
                held,
            });
        }

        let loose = self.loose(&searcher, &terms)?;
        if found.len() < limit && !loose.is_empty() {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = terms
                .iter()
                .filter(|t| t.quoted)
                .map(|t| Ok((Occur::Must, self.strict(&searcher, t)?)))
                .collect::<Result<_, SearchError>>()?;
            // Without quoted terms, some loose clause must match; with them, the quoted terms
            // select the pages and the loose clauses only rank them.
            let occur = if clauses.is_empty() {
                Occur::Must
            } else {
                Occur::Should
            };
            clauses.extend(self.filters(query));
            clauses.push((occur, Box::new(BooleanQuery::union(loose))));
            clauses.extend(self.boosts(&terms));
            let top = TopDocs::with_limit(limit + seen.len()).order_by_score();
            for (score, addr) in searcher.search(&BooleanQuery::new(clauses), &top)? {
                if seen.contains(&addr) {
                    continue;
                }
                let doc = self.load(&searcher, addr)?;
                let held = held_terms(&doc, &terms);
                found.push(Candidate {
                    doc,
                    score,
                    tier: 2,
                    held,
                });
            }
        }

        found.sort_by(|a, b| {
            a.tier
                .cmp(&b.tier)
                .then(b.held.cmp(&a.held))
                .then(b.score.total_cmp(&a.score))
        });
        found.truncate(limit);
        Ok(found.into_iter().map(|c| hit(c, &terms)).collect())
    }
}

/// The character of a gram that is one Han character.
fn lone_han(gram: &str) -> Option<char> {
    let mut chars = gram.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if classify(c) == CharClass::Han => Some(c),
        _ => None,
    }
}

/// Pages whose `field` holds the Han character `c`, scored as the terms holding it: the grams
/// fields leave Han characters out (see [`GramTokenizer`]), and in a terms field `c` is a term
/// of its own or the first or second character of a bigram term.
fn holding_han(searcher: &Searcher, field: Field, c: char) -> Result<Box<dyn Query>, SearchError> {
    let first = c.to_string();
    let after = char::from_u32(c as u32 + 1)
        .unwrap_or(char::MAX)
        .to_string();
    let mut terms = BTreeSet::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field)?;
        let dictionary = inverted.terms();
        let mut starting = dictionary
            .range()
            .ge(&first)
            .lt(&after)
            .into_stream()
            .map_err(tantivy::TantivyError::from)?;
        while starting.advance() {
            terms.insert(term_text(starting.key())?);
        }
        let mut ending = dictionary
            .search(EndsWith::new(c))
            .into_stream()
            .map_err(tantivy::TantivyError::from)?;
        while ending.advance() {
            terms.insert(term_text(ending.key())?);
        }
    }
    let clauses: Vec<(Occur, Box<dyn Query>)> = terms
        .into_iter()
        .map(|text| {
            (
                Occur::Should,
                term_query(field, &text, IndexRecordOption::WithFreqs),
            )
        })
        .collect();
    Ok(match clauses.is_empty() {
        true => Box::new(EmptyQuery),
        false => Box::new(BooleanQuery::new(clauses)),
    })
}

/// A text field's dictionary key as the text it was indexed from.
fn term_text(key: &[u8]) -> Result<String, SearchError> {
    String::from_utf8(key.to_vec())
        .map_err(|_| SearchError::Corrupt("a term of a text field is not UTF-8".into()))
}

/// Matches two-character terms ending with one given character, byte by byte.
struct EndsWith {
    last: [u8; 4],
    len: u8,
}

/// Where [`EndsWith`] is in a term.
#[derive(Clone, Copy)]
enum Read {
    /// At the start of the first character.
    Start,
    /// Inside the first character, with this many bytes of it to come.
    First(u8),
    /// This many bytes of the last character matched.
    Last(u8),
    Failed,
}

impl EndsWith {
    fn new(c: char) -> EndsWith {
        let mut last = [0; 4];
        let len = c.encode_utf8(&mut last).len() as u8;
        EndsWith { last, len }
    }
}

impl Automaton for EndsWith {
    type State = Read;

    fn start(&self) -> Read {
        Read::Start
    }

    fn is_match(&self, state: &Read) -> bool {
        matches!(state, Read::Last(n) if *n == self.len)
    }

    fn can_match(&self, state: &Read) -> bool {
        !matches!(state, Read::Failed)
    }

    fn accept(&self, state: &Read, byte: u8) -> Read {
        match *state {
            Read::Start => match byte.leading_ones() {
                0 => Read::Last(0),
                n @ 2..=4 => Read::First(n as u8 - 1),
                _ => Read::Failed,
            },
            Read::First(1) => Read::Last(0),
            Read::First(n) => Read::First(n - 1),
            Read::Last(n) if n < self.len && self.last[n as usize] == byte => Read::Last(n + 1),
            Read::Last(_) | Read::Failed => Read::Failed,
        }
    }
}

/// How many terms occur verbatim (after normalisation) in the page's title, headings or text.
fn held_terms(doc: &SearchDoc, terms: &[Term]) -> usize {
    let texts: Vec<String> = std::iter::once(&doc.title)
        .chain(doc.sections.iter().flat_map(|s| [&s.heading, &s.text]))
        .map(|t| normalize(t))
        .collect();
    terms
        .iter()
        .filter(|t| texts.iter().any(|x| x.contains(&t.text)))
        .count()
}

fn hit(c: Candidate, terms: &[Term]) -> SearchHit {
    let doc = c.doc;
    let sections = doc
        .sections
        .iter()
        .map(|s| (s.heading.as_str(), s.text.as_str()));
    let (best, marks) = best_section(terms, sections);
    let section = doc.sections.get(best);
    let anchor = section.map_or("", |s| s.anchor.as_str());
    let url = if anchor.is_empty() {
        doc.url
    } else {
        format!("{}#{anchor}", doc.url)
    };
    SearchHit {
        title: doc.title,
        url,
        kind: doc.kind,
        kind_label: doc.kind_label,
        date: doc.date,
        breadcrumbs: doc.breadcrumbs,
        section: section.map_or(String::new(), |s| s.heading.clone()),
        score: c.score,
        exact: c.held == terms.len(),
        snippet: section.map_or(String::new(), |s| snippet(&s.text, &marks)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ends_with(c: char, term: &str) -> bool {
        let automaton = EndsWith::new(c);
        let mut state = automaton.start();
        for byte in term.bytes() {
            if !automaton.can_match(&state) {
                return false;
            }
            state = automaton.accept(&state, byte);
        }
        automaton.is_match(&state)
    }

    #[test]
    fn ends_with_takes_two_character_terms_ending_with_the_character() {
        assert!(ends_with('治', "政治"));
        assert!(ends_with('治', "a治"));
        assert!(ends_with('𠀀', "政𠀀"));
        assert!(!ends_with('治', "治"));
        assert!(!ends_with('治', "治理"));
        assert!(!ends_with('治', "政治理"));
        assert!(!ends_with('治', "自治治"));
    }
}
