//! The build's caches under `.shuyuan/cache/`: the render memo (a file whose template variables
//! did not change is left where it is, unrendered) and the search index's key counts (a page
//! whose text did not change is not counted again). Whatever changed, and however the caches
//! or the output were tampered with, a rebuild equals a clean build.

mod common;

use std::collections::BTreeMap;

use common::{TestSite, assert_equals_a_clean_build};

/// The render memo's entries: output path → the rest of its line (variables' hash and stamp).
fn memo(site: &TestSite) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(site.root().join(".shuyuan/cache/render-memo")).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let (rest, path) = line.rsplit_once('\t').unwrap();
            (path.to_string(), rest.to_string())
        })
        .collect()
}

/// The key-count cache's manifest: the hash of each page's text, in page order.
fn counted(site: &TestSite) -> Vec<String> {
    let manifest = site.root().join(".shuyuan/cache/postings/manifest");
    let text = std::fs::read_to_string(manifest).unwrap();
    let hash = |line: &str| line.split(' ').next().unwrap().to_string();
    text.lines().skip(1).map(hash).collect()
}

fn site_with_lists() -> TestSite {
    let site = TestSite::fixture("basic");
    site.write_cases("more", 40, "社区, 议事");
    site
}

#[test]
fn a_rebuild_renders_and_counts_again_only_what_an_edit_changed() {
    let site = site_with_lists();
    site.build_ok();
    let (memo_before, counted_before) = (memo(&site), counted(&site));
    let pages = std::fs::read_dir(site.root().join("content/cases"))
        .unwrap()
        .count();
    assert!(
        counted_before.len() > pages,
        "every page is in the manifest"
    );

    let source = site.root().join("content/cases/qinghe.md");
    let text = std::fs::read_to_string(&source).unwrap();
    site.write(
        "content/cases/qinghe.md",
        &format!("{text}\n新增一段：走访记录。\n"),
    );
    site.build_ok();
    assert_equals_a_clean_build(&site, "a body edited");

    let memo_after = memo(&site);
    assert_eq!(memo_before.len(), memo_after.len());
    let changed: Vec<&String> = memo_after
        .iter()
        .filter(|(path, entry)| memo_before.get(*path) != Some(entry))
        .map(|(path, _)| path)
        .collect();
    // The edited page, and the home page, which shows the edition (a hash of every source);
    // an unchanged page keeps its entry, stamp and all: it was left where it was.
    assert!(
        changed.contains(&&"cases/qinghe.html".to_string()),
        "{changed:?}"
    );
    assert!(changed.contains(&&"index.html".to_string()), "{changed:?}");
    assert!(
        !changed.contains(&&"cases/more-05.html".to_string()),
        "{changed:?}"
    );
    assert!(!changed.contains(&&"policies/xiachen-2021.html".to_string()));
    assert!(changed.len() * 4 < memo_after.len(), "{changed:?}");

    // One page's text changed: one line of the manifest.
    let counted_after = counted(&site);
    let new_lines = counted_after
        .iter()
        .filter(|line| !counted_before.contains(line))
        .count();
    assert_eq!(new_lines, 1, "{counted_before:?} → {counted_after:?}");
}

#[test]
fn an_output_file_changed_by_hand_is_made_again() {
    let site = site_with_lists();
    site.build_ok();
    std::fs::write(site.out().join("cases/more-05.html"), "手改的页面").unwrap();
    // The same length as before, but another file: a new modification time and inode.
    let kept = site.out().join("cases/more-06.html");
    let bytes = std::fs::read(&kept).unwrap();
    std::fs::remove_file(&kept).unwrap();
    std::fs::write(&kept, vec![b'x'; bytes.len()]).unwrap();
    site.build_ok();
    assert_equals_a_clean_build(&site, "output files edited");
}

#[test]
fn a_changed_template_or_setting_renders_every_file_again() {
    let site = site_with_lists();
    site.build_ok();
    let template = site.root().join("themes/default/templates/page.html");
    let text = std::fs::read_to_string(&template).unwrap();
    let changed = text.replacen(
        "</article>",
        "<p class=\"sy-note\">模板改过</p></article>",
        1,
    );
    assert_ne!(changed, text, "page.html has an article");
    std::fs::write(&template, changed).unwrap();
    site.build_ok();
    assert!(site.read("cases/more-05.html").contains("模板改过"));
    assert_equals_a_clean_build(&site, "a template changed");

    let settings = std::fs::read_to_string(site.root().join("site.toml")).unwrap();
    let retitled = settings.replacen("title = \"", "title = \"新标题", 1);
    assert_ne!(retitled, settings);
    site.write("site.toml", &retitled);
    site.build_ok();
    assert!(site.read("cases/more-05.html").contains("新标题"));
    assert_equals_a_clean_build(&site, "the site's title changed");
}

#[test]
fn pages_renamed_or_swapped_are_counted_right() {
    let site = site_with_lists();
    site.build_ok();
    // A page moves to the end of the URL order, past every other.
    std::fs::rename(
        site.root().join("content/cases/more-00.md"),
        site.root().join("content/cases/zz-moved.md"),
    )
    .unwrap();
    site.build_ok();
    assert_equals_a_clean_build(&site, "a page renamed");

    // Two pages trade their text: both texts are in the cache, in the other order.
    let (a, b) = (
        site.root().join("content/cases/more-01.md"),
        site.root().join("content/cases/more-30.md"),
    );
    let (text_a, text_b) = (
        std::fs::read_to_string(&a).unwrap(),
        std::fs::read_to_string(&b).unwrap(),
    );
    std::fs::write(&a, text_b).unwrap();
    std::fs::write(&b, &text_a).unwrap();
    site.build_ok();
    assert_equals_a_clean_build(&site, "two pages swapped");

    // A page moves to the front, and two pages say the same.
    std::fs::rename(
        site.root().join("content/cases/more-20.md"),
        site.root().join("content/cases/aa-first.md"),
    )
    .unwrap();
    std::fs::write(site.root().join("content/cases/more-21.md"), &text_a).unwrap();
    site.build_ok();
    assert_equals_a_clean_build(&site, "a page moved to the front, two pages alike");
}

#[test]
fn a_damaged_cache_is_not_trusted() {
    let site = site_with_lists();
    site.build_ok();
    let cache = site.root().join(".shuyuan/cache");
    // Each key-count file cut in half: the index counts every page again.
    for entry in std::fs::read_dir(cache.join("postings")).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() != "manifest" {
            let bytes = std::fs::read(&path).unwrap();
            std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        }
    }
    site.write(
        "content/cases/more-02.md",
        "---\ntitle: 改过\n---\n\n新的正文。\n",
    );
    site.build_ok();
    assert_equals_a_clean_build(&site, "key counts cut short");

    // A page's BM25 length changed in the manifest (it weighs every key of the page): that
    // page is counted again.
    let manifest = cache.join("postings/manifest");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(n, line)| match line.rsplit_once(' ') {
            Some((rest, len)) if n == 3 => {
                format!("{rest} {}", len.parse::<u32>().unwrap() * 50 + 100)
            }
            _ => line.to_string(),
        })
        .collect();
    std::fs::write(&manifest, lines.join("\n") + "\n").unwrap();
    site.write(
        "content/cases/more-05.md",
        "---\ntitle: 三改\n---\n\n正文。\n",
    );
    site.build_ok();
    assert_equals_a_clean_build(&site, "a length changed in the manifest");

    std::fs::write(cache.join("postings/manifest"), "不是清单").unwrap();
    std::fs::write(cache.join("render-memo"), "也不是备忘\n乱码\t1\t2\n").unwrap();
    site.write(
        "content/cases/more-03.md",
        "---\ntitle: 又改过\n---\n\n正文。\n",
    );
    site.build_ok();
    assert_equals_a_clean_build(&site, "manifest and memo replaced");
}

#[test]
fn no_output_goes_into_the_caches() {
    let site = site_with_lists();
    site.build_ok();
    let before = common::tree(&site.root().join(".shuyuan/cache"));
    for output in [
        ".shuyuan/cache",
        ".shuyuan/cache/postings",
        ".shuyuan/cache/x/y",
    ] {
        let run = site.run(&["build", "--output", output]);
        assert_eq!(run.status.code(), Some(1), "{output}");
        let printed = common::diagnostics(&run);
        assert_eq!(printed[0].code, "unsafe-output", "{output}: {printed:?}");
    }
    assert_eq!(common::tree(&site.root().join(".shuyuan/cache")), before);
}
