//! Ranking, filters, escaping and output of `shuyuan search` (the static index read back), and
//! the static index's
//! housekeeping (build ids, shard counts, replacing an earlier build), on small hand-made sites.

#[path = "common/corpus.rs"]
mod corpus;

use std::path::Path;

use shuyuan::search::{
    SearchDoc, SearchError, SearchHit, SearchQuery, SearchSection, build, hits_to_json, print_hits,
    search,
};

fn page(url: &str, title: &str, kind: &str, sections: &[(&str, &str)]) -> SearchDoc {
    SearchDoc {
        url: url.into(),
        title: title.into(),
        kind: kind.into(),
        kind_label: match kind {
            "case" => "案例",
            "guide" => "操作指南",
            _ => "政策摘编",
        }
        .into(),
        date: Some("2024-03-01".into()),
        breadcrumbs: vec!["案例".into()],
        sections: sections
            .iter()
            .map(|(heading, text)| SearchSection {
                anchor: heading.replace(' ', "-"),
                heading: heading.to_string(),
                text: text.to_string(),
            })
            .collect(),
        ..SearchDoc::default()
    }
}

/// Filler that shares no bigram with the queries below.
fn filler(n: usize) -> String {
    "春夏秋冬，东南西北。".repeat(n)
}

struct Site {
    _tmp: tempfile::TempDir,
    index: std::path::PathBuf,
}

fn site(docs: &[SearchDoc]) -> Site {
    let tmp = tempfile::tempdir().unwrap();
    let index = tmp.path().join("public");
    build(docs, &[], &index, tmp.path().join("work")).unwrap();
    Site { _tmp: tmp, index }
}

fn query(site: &Site, text: &str) -> Vec<SearchHit> {
    search(
        &site.index,
        &SearchQuery {
            text: text.into(),
            limit: 20,
            ..SearchQuery::default()
        },
    )
    .unwrap()
    .hits
}

fn urls(hits: &[SearchHit]) -> Vec<&str> {
    hits.iter()
        .map(|h| h.url.split('#').next().unwrap())
        .collect()
}

#[test]
fn title_hit_outranks_body_hit() {
    let f = filler(5);
    let docs = [
        page(
            "a.html",
            "工作简报",
            "case",
            &[("", &format!("{f}加装电梯{f}"))],
        ),
        page("b.html", "加装电梯工作", "case", &[("", &f)]),
        page("c.html", "简报", "case", &[("", &f), ("加装电梯 流程", &f)]),
    ];
    let s = site(&docs);
    assert_eq!(urls(&query(&s, "加装电梯")), ["b.html", "c.html", "a.html"]);
}

#[test]
fn phrase_outranks_scattered_characters_and_pieces() {
    let f = filler(3);
    let docs = [
        page(
            "scattered.html",
            "一",
            "case",
            &[("", &format!("社区{f}治理{f}区治{f}社{f}理"))],
        ),
        page(
            "phrase.html",
            "二",
            "case",
            &[("", &format!("{f}社区治理{f}"))],
        ),
        page("none.html", "三", "case", &[("", &f)]),
    ];
    let s = site(&docs);
    let hits = query(&s, "社区治理");
    assert_eq!(urls(&hits), ["phrase.html", "scattered.html"]);
    assert!(hits[0].exact && !hits[1].exact);
    assert!(hits[0].snippet.contains("<mark>社区治理</mark>"));
}

#[test]
fn whole_question_never_comes_back_empty() {
    let q = "物业公司中标以后还要和每位业主签合同吗";
    let f = filler(2);
    let docs = [
        page(
            "few.html",
            "业主须知",
            "guide",
            &[("", &format!("{f}业主{f}"))],
        ),
        page(
            "many.html",
            "物业服务",
            "guide",
            &[("", &format!("{f}物业公司中标后，业主大会签合同。{f}"))],
        ),
        page(
            "exact.html",
            "常见问题",
            "guide",
            &[("问答", &format!("{f}问：{q}？答：不需要。{f}"))],
        ),
        page("none.html", "其他", "guide", &[("", &f)]),
    ];
    let s = site(&docs);
    let hits = query(&s, q);
    assert_eq!(urls(&hits), ["exact.html", "many.html", "few.html"]);
    assert_eq!(hits[0].url, "exact.html#问答");
    assert!(hits[1].snippet.contains("<mark>物业公司中标</mark>"));
    assert!(hits[1].snippet.contains("<mark>签合同</mark>"));
}

#[test]
fn pages_holding_all_terms_come_first_and_quotes_mean_order() {
    let f = filler(2);
    let docs = [
        page(
            "one.html",
            "一",
            "case",
            &[("", &format!("{f}加装电梯{f}"))],
        ),
        page(
            "both.html",
            "二",
            "case",
            &[("", &format!("{f}加装电梯{f}业主大会{f}"))],
        ),
        page(
            "reversed.html",
            "三",
            "case",
            &[("", &format!("{f}业主大会{f}"))],
        ),
    ];
    let s = site(&docs);
    let hits = query(&s, "电梯 业主");
    assert_eq!(urls(&hits)[0], "both.html");
    assert_eq!(hits.len(), 3);
    // A quoted term is required: pages without it are not returned at all.
    assert_eq!(
        urls(&query(&s, "\"加装电梯\" 业主")),
        ["both.html", "one.html"]
    );
    // A quoted phrase no page holds: the query runs again without its quotes, and says so.
    let found = |text: &str| {
        search(
            &s.index,
            &SearchQuery {
                text: text.into(),
                limit: 20,
                ..SearchQuery::default()
            },
        )
        .unwrap()
    };
    let (quoted, plain) = (found("\"电梯加装\""), found("电梯加装"));
    assert!(quoted.relaxed && !plain.relaxed);
    assert!(!quoted.hits.is_empty());
    assert_eq!(urls(&quoted.hits), urls(&plain.hits));
    assert!(!found("\"加装电梯\"").relaxed, "a phrase some page holds");
}

#[test]
fn numbers_and_document_numbers_are_searchable() {
    let docs = [
        page(
            "p.html",
            "关于加强社区工作的意见",
            "policy",
            &[(
                "",
                "国办发〔2021〕16号 文件，2023年起施行，编号12345，参照GB50016-2014。",
            )],
        ),
        page(
            "q.html",
            "另一份文件",
            "policy",
            &[("", "民发〔2020〕3号，2022年。")],
        ),
    ];
    let s = site(&docs);
    for q in [
        "〔2021〕16号",
        "2021",
        "16号",
        "2023",
        "12345",
        "gb50016",
        "ＧＢ５００１６",
        "021〕16",
        "5001",
        "国办发",
    ] {
        assert_eq!(urls(&query(&s, q)), ["p.html"], "query {q}");
    }
    assert_eq!(urls(&query(&s, "号")).len(), 2);
}

#[test]
fn facet_filters_restrict_results() {
    let mut docs = vec![
        page("case.html", "居委会换届", "case", &[("", "居委会换届选举")]),
        page(
            "guide.html",
            "居委会换届指南",
            "guide",
            &[("", "居委会换届步骤")],
        ),
        page(
            "policy.html",
            "居委会组织法",
            "policy",
            &[("", "居委会换届的规定")],
        ),
    ];
    docs[1].tags = vec!["选举".into()];
    docs[2].tags = vec!["选举".into(), "法规".into()];
    docs[0].topics = vec!["基层民主".into()];
    docs[0].region = Some("浙江省".into());
    docs[0].date = Some("2021-05-01".into());
    docs[2].status = Some("已废止".into());
    let s = site(&docs);
    let run = |filter: SearchQuery| {
        let query = SearchQuery {
            text: "换届".into(),
            limit: 10,
            ..filter
        };
        let hits = search(&s.index, &query).unwrap().hits;
        let mut u: Vec<String> = urls(&hits).into_iter().map(String::from).collect();
        u.sort();
        u
    };
    let some = |v: &str| Some(v.to_string());
    let none = SearchQuery::default;
    assert_eq!(run(none()), ["case.html", "guide.html", "policy.html"]);
    assert_eq!(
        run(SearchQuery {
            kind: some("guide"),
            ..none()
        }),
        ["guide.html"]
    );
    assert_eq!(
        run(SearchQuery {
            tag: some("选举"),
            ..none()
        }),
        ["guide.html", "policy.html"]
    );
    let nothing: Vec<String> = Vec::new();
    assert_eq!(
        run(SearchQuery {
            kind: some("case"),
            tag: some("选举"),
            ..none()
        }),
        nothing
    );
    assert_eq!(
        run(SearchQuery {
            topic: some("基层民主"),
            ..none()
        }),
        ["case.html"]
    );
    assert_eq!(
        run(SearchQuery {
            region: some("浙江省"),
            ..none()
        }),
        ["case.html"]
    );
    assert_eq!(
        run(SearchQuery {
            year: some("2021"),
            ..none()
        }),
        ["case.html"]
    );
    assert_eq!(
        run(SearchQuery {
            year: some("2024"),
            ..none()
        }),
        ["guide.html", "policy.html"]
    );
    assert_eq!(
        run(SearchQuery {
            status: some("已废止"),
            ..none()
        }),
        ["policy.html"]
    );
}

#[test]
fn snippets_escape_page_text() {
    let docs = [page(
        "x.html",
        "<b>标题</b>",
        "case",
        &[(
            "",
            "示例 <script>alert(\"社区\")</script> & 'quote' 社区治理",
        )],
    )];
    let s = site(&docs);
    let hits = query(&s, "社区");
    assert_eq!(hits.len(), 1);
    let snippet = &hits[0].snippet;
    assert!(!snippet.contains("<script"), "{snippet}");
    assert_eq!(
        snippet,
        "示例 &lt;script&gt;alert(&quot;<mark>社区</mark>&quot;)&lt;/script&gt; &amp; &#39;quote&#39; <mark>社区</mark>治理"
    );
    // The JSON keeps the title as data; the terminal form turns marks into brackets.
    assert!(hits_to_json(&hits).contains("\"title\": \"<b>标题</b>\""));
    let mut out = Vec::new();
    print_hits(&mut out, &hits, false).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("[案例] <b>标题</b>"), "{text}");
    assert!(
        text.contains("<script>alert(\"【社区】\")</script> & 'quote' 【社区】治理"),
        "{text}"
    );
}

#[test]
fn one_character_queries_use_unigrams() {
    let docs = [
        page("a.html", "党建工作", "case", &[("", "加强党的建设")]),
        page("b.html", "其他", "case", &[("", "没有那个字")]),
        page("c.html", "其他", "case", &[("", "基层党组织")]),
    ];
    let s = site(&docs);
    let hits = query(&s, "党");
    assert_eq!(urls(&hits)[0], "a.html");
    assert_eq!(hits.len(), 2);
}

fn meta(out: &Path) -> String {
    std::fs::read_to_string(out.join("search/meta.js")).unwrap()
}

#[test]
fn an_index_in_another_format_is_refused_with_a_rebuild_asked_for() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    build(
        &corpus::pages(1, 3, 20..40),
        &[],
        &out,
        tmp.path().join("work"),
    )
    .unwrap();
    assert!(shuyuan::search::StaticIndex::open(&out).is_ok());
    let current = meta(&out);
    assert!(current.contains("\"v\":6"), "{current}");
    // Format 5 wrote fragments as plain JSON, format 4 spelled grams and pair keys with control
    // characters: read as format 6, their files would be misread or match less. The first
    // indexes had no "v" at all.
    for older in [
        current.replace("\"v\":6", "\"v\":5"),
        current.replace("\"v\":6", "\"v\":4"),
        current.replace(",\"v\":6", ""),
    ] {
        std::fs::write(out.join("search/meta.js"), &older).unwrap();
        let Err(e) = shuyuan::search::StaticIndex::open(&out) else {
            panic!("opened {older}");
        };
        let message = e.to_string();
        assert!(
            message.contains("另一版本") && message.contains("shuyuan build"),
            "{message}"
        );
    }
}

#[test]
fn static_index_is_sharded_by_size_and_replaces_the_old_build() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    std::fs::create_dir_all(out.join("search")).unwrap();
    std::fs::write(out.join("search/keep.txt"), "not ours").unwrap();

    let small = corpus::pages(1, 1, 20..40);
    let first = build(&small, &[], &out, tmp.path().join("work")).unwrap();
    assert_eq!(first.shards, 1, "a small site has one shard");
    assert!(meta(&out).contains(&first.build_id));
    assert!(
        out.join("search")
            .join(&first.build_id)
            .join("s0/0.js")
            .is_file()
    );

    // Same content, same folder and edition: the edition is a content hash.
    let again = build(&small, &[], &out, tmp.path().join("work")).unwrap();
    assert_eq!(
        (&again.build_id, &again.edition),
        (&first.build_id, &first.edition)
    );

    let large = corpus::pages(2, 200, 1500..2500);
    let second = build(&large, &[], &out, tmp.path().join("work")).unwrap();
    assert_ne!(second.build_id, first.build_id);
    assert!(second.shards > 4, "{} shards", second.shards);
    let avg = second.shard_bytes / second.shards as u64;
    assert!(avg < 8 * 1024, "average shard {avg} bytes");
    assert!(
        !out.join("search").join(&first.build_id).exists(),
        "old build left behind"
    );
    assert!(
        out.join("search/keep.txt").is_file(),
        "a file we did not write was removed"
    );
    assert!(meta(&out).contains(&format!("\"shards\":{}", second.shards)));
    assert!(second.keys > 1000);
}

/// Numbered index files go a thousand to a folder: a USB stick's FAT32 holds at most 65,534
/// entries in one folder (fewer with long names), and a 100,000-page site has 300,000 files.
#[test]
fn static_index_files_go_a_thousand_to_a_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("public");
    let docs = corpus::pages(3, 1100, 5..20);
    let built = build(&docs, &[], &out, tmp.path().join("work")).unwrap();
    let dir = out.join("search").join(&built.build_id);
    let mut folders = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().unwrap().is_file() {
            assert_eq!(name, "facets.js", "a numbered file outside its folder");
            continue;
        }
        let files: Vec<String> = std::fs::read_dir(entry.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        let group: usize = name[1..].parse().unwrap();
        for file in &files {
            let n: usize = file
                .trim_end_matches(".js")
                .split('-')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(n / 1000, group, "{name}/{file}");
        }
        folders.insert(name, files.len());
    }
    assert_eq!(folders.get("p0"), Some(&1000));
    assert_eq!(folders.get("p1"), Some(&100));
    assert!(folders.values().all(|&n| n <= 2000), "{folders:?}");
}

#[test]
fn an_empty_site_builds_and_finds_nothing() {
    let s = site(&[]);
    assert!(query(&s, "社区").is_empty());
    assert!(query(&s, "，。").is_empty());
}

#[test]
fn searching_a_site_that_was_not_built_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let err = search(&tmp.path().join("missing"), &SearchQuery::default());
    assert!(matches!(err, Err(SearchError::NoIndex(_))));
    assert!(
        err.unwrap_err()
            .to_string()
            .contains("请先运行 shuyuan build")
    );
}
