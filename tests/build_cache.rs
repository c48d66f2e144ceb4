//! The build's caches under `.shuyuan/cache/`: the Markdown memo (a body whose text did not
//! change is not rendered again), the render memo (a file whose template variables did not
//! change is left where it is, unrendered) and the search index's key counts and merged
//! postings (a page whose text did not change is not counted again, and the postings of the
//! pages that changed are patched into the last merge). Whatever changed, and however the caches
//! or the output were tampered with, a rebuild equals a clean build.

mod common;

use std::collections::BTreeMap;

use common::{TestSite, assert_equals_a_clean_build};

/// The render memo's entries: output path → the rest of its line (variables' hash and stamp).
fn memo(site: &TestSite) -> BTreeMap<String, String> {
    memo_file(site, "render-memo")
}

/// The index memo's entries: output path → the rest of its line (the hash of what the file
/// is made from, and its stamp).
fn index_memo(site: &TestSite) -> BTreeMap<String, String> {
    memo_file(site, "index-memo")
}

fn memo_file(site: &TestSite, name: &str) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(site.root().join(".shuyuan/cache").join(name)).unwrap();
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

/// The Markdown memo's records: the hash of what each body was rendered from.
fn rendered(site: &TestSite) -> std::collections::BTreeSet<String> {
    let manifest = site.root().join(".shuyuan/cache/markdown/manifest");
    let text = std::fs::read_to_string(manifest).unwrap();
    let lines = text
        .lines()
        .skip(1)
        .filter(|line| !line.starts_with("end "));
    lines
        .map(|line| line.split(' ').next().unwrap().to_string())
        .collect()
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
    let (rendered_before, index_before) = (rendered(&site), index_memo(&site));
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
    // The section's handout holds the edited body: made again, the policies' handout not.
    assert!(changed.contains(&&"cases/handout.html".to_string()));
    assert!(!changed.contains(&&"policies/handout.html".to_string()));

    // The index's files: the edited page's fragment and the shards of the keys it gained are
    // made again; every other file is left as it was, unread.
    let index_after = index_memo(&site);
    assert!(index_after.keys().all(|path| path.starts_with("search/")));
    assert_eq!(index_before.len(), index_after.len());
    let made_again: Vec<&String> = index_after
        .iter()
        .filter(|(path, entry)| index_before.get(*path) != Some(entry))
        .map(|(path, _)| path)
        .collect();
    assert!(
        made_again.iter().any(|path| path.contains("/p0/")),
        "{made_again:?}"
    );
    assert!(
        made_again.iter().any(|path| path.contains("/s0/")),
        "{made_again:?}"
    );
    assert!(made_again.len() * 4 < index_after.len(), "{made_again:?}");

    // One body changed: one record of the Markdown memo is new.
    let rendered_after = rendered(&site);
    assert_eq!(rendered_after.len(), rendered_before.len());
    let new_records = rendered_after.difference(&rendered_before).count();
    assert_eq!(new_records, 1, "{rendered_before:?} → {rendered_after:?}");

    // One page's text changed: one line of the manifest.
    let counted_after = counted(&site);
    let new_lines = counted_after
        .iter()
        .filter(|line| !counted_before.contains(line))
        .count();
    assert_eq!(new_lines, 1, "{counted_before:?} → {counted_after:?}");
}

/// A page's search fragment shows more than its text: its date, and its section's title in
/// its breadcrumbs. An edit of those alone (the text, which the key counts hash, unchanged)
/// makes the fragment again.
#[test]
fn an_edit_outside_the_text_makes_the_search_fragments_again() {
    let site = site_with_lists();
    site.build_ok();
    let section = site.root().join("content/cases/_index.md");
    let text = std::fs::read_to_string(&section).unwrap();
    site.write(
        "content/cases/_index.md",
        &text.replacen("title: 案例", "title: 典型案例", 1),
    );
    site.build_ok();
    assert_equals_a_clean_build(&site, "the section's title edited");
    let page = site.root().join("content/cases/more-07.md");
    let text = std::fs::read_to_string(&page).unwrap();
    let date = text.lines().find(|l| l.starts_with("date:")).unwrap();
    site.write(
        "content/cases/more-07.md",
        &text.replacen(date, "date: 2001-01-01", 1),
    );
    site.build_ok();
    assert_equals_a_clean_build(&site, "a date edited");
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
    // The same for a file of the search index, and one left as it was but for its time.
    let index: Vec<String> = index_memo(&site).into_keys().collect();
    let shard = site
        .out()
        .join(index.iter().find(|p| p.contains("/s0/")).unwrap());
    let bytes = std::fs::read(&shard).unwrap();
    std::fs::write(&shard, vec![b'x'; bytes.len()]).unwrap();
    let fragment = site
        .out()
        .join(index.iter().find(|p| p.contains("/p0/")).unwrap());
    let file = std::fs::File::options()
        .write(true)
        .open(&fragment)
        .unwrap();
    file.set_modified(std::time::SystemTime::UNIX_EPOCH)
        .unwrap();
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
        if path.is_file() && path.file_name().unwrap() != "manifest" {
            let bytes = std::fs::read(&path).unwrap();
            std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        }
    }
    // The rendered bodies garbled every 97 bytes: each is rendered again.
    let bodies = cache.join("markdown/bodies");
    let mut bytes = std::fs::read(&bodies).unwrap();
    for at in (0..bytes.len()).step_by(97) {
        bytes[at] ^= 0x55;
    }
    std::fs::write(&bodies, bytes).unwrap();
    site.write(
        "content/cases/more-02.md",
        "---\ntitle: 改过\n---\n\n新的正文。\n",
    );
    site.build_ok();
    assert_equals_a_clean_build(&site, "key counts cut short, bodies garbled");

    // A page's BM25 length changed in the manifest (it weighs every key of the page): the
    // manifest's seal no longer holds, and every page is counted again.
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
    std::fs::write(cache.join("markdown/manifest"), "不是清单").unwrap();
    std::fs::write(cache.join("render-memo"), "也不是备忘\n乱码\t1\t2\n").unwrap();
    site.write(
        "content/cases/more-03.md",
        "---\ntitle: 又改过\n---\n\n正文。\n",
    );
    site.build_ok();
    assert_equals_a_clean_build(&site, "manifest and memo replaced");
}

/// Changes one character of a key in the key-count cache's records of the first page, in
/// place, leaving the file's length and the manifest as they were.
fn spoil_a_key_of_the_first_page(site: &TestSite) {
    let cache = site.root().join(".shuyuan/cache/postings");
    let manifest = std::fs::read_to_string(cache.join("manifest")).unwrap();
    let entry: Vec<usize> = manifest
        .lines()
        .nth(1)
        .unwrap()
        .split(' ')
        .collect::<Vec<_>>()[1..3]
        .iter()
        .map(|n| n.parse().unwrap())
        .collect();
    let (offset, bytes) = (entry[0], entry[1]);
    let path = cache.join("pages");
    let mut pages = std::fs::read(&path).unwrap();
    // The second byte of a three-byte character: a key's text, not a length or a count.
    let at = (offset + bytes / 2..offset + bytes)
        .find(|&i| pages[i - 1] >= 0xE0 && (0x80..0xC0).contains(&pages[i]))
        .unwrap();
    pages[at] ^= 1;
    std::fs::write(&path, pages).unwrap();
}

/// How the index's merged postings kept in the cache were made: `made by merging` or `made by
/// patching N pages`.
fn merge_made(site: &TestSite) -> String {
    let manifest = site.root().join(".shuyuan/cache/postings/merged/manifest");
    let text = std::fs::read_to_string(manifest).unwrap();
    text.lines().nth(1).unwrap().to_string()
}

/// `chars` characters of made-up Chinese text, a sentence every 23, the same for the same `seed`.
fn text(seed: u64, chars: usize) -> String {
    let pool: Vec<char> = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研质"
        .chars()
        .collect();
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut out = String::new();
    for n in 1..=chars {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.push(pool[(state % pool.len() as u64) as usize]);
        if n % 23 == 0 {
            out.push('。');
        }
    }
    out
}

/// A site whose text is long enough for the index to merge its keys in several partitions.
fn site_with_long_pages() -> TestSite {
    let site = TestSite::fixture("basic");
    for n in 0..150 {
        site.write(
            &format!("content/cases/long-{n:03}.md"),
            &format!("---\ntitle: 长文第{n}篇\n---\n\n{}\n", text(n, 1500)),
        );
    }
    site
}

#[test]
fn a_rebuild_patches_the_last_merge_of_the_index() {
    let site = site_with_long_pages();
    site.build_ok();
    assert_eq!(merge_made(&site), "made by merging");
    let merged = site.root().join(".shuyuan/cache/postings/merged");
    let partitions = std::fs::read_dir(&merged).unwrap().count() - 1;
    assert!(partitions >= 4, "{partitions} partitions");
    let page = |n: usize| format!("content/cases/long-{n:03}.md");
    let source = |rel: &str| std::fs::read_to_string(site.root().join(rel)).unwrap();

    // A sentence of keys no page had, added to one page.
    site.write(
        &page(7),
        &format!("{}\n新增一句：鲲鹏翱翔。\n", source(&page(7))),
    );
    site.build_ok();
    assert_eq!(merge_made(&site), "made by patching 1 pages");
    assert_equals_a_clean_build(&site, "a sentence added");

    // Another title and a sentence less; two pages swapping their texts.
    let edited = source(&page(20)).replace("长文第20篇", "改了题目");
    let (body, cut) = (
        edited.find("\n\n").unwrap() + 2,
        edited.find('。').unwrap() + '。'.len_utf8(),
    );
    site.write(&page(20), &format!("{}{}", &edited[..body], &edited[cut..]));
    let (a, b) = (source(&page(30)), source(&page(31)));
    site.write(&page(30), &b).write(&page(31), &a);
    site.build_ok();
    assert_eq!(merge_made(&site), "made by patching 3 pages");
    assert_equals_a_clean_build(&site, "a title changed, a sentence gone, two pages swapped");

    // A byte changed in a kept partition: every partition is merged again.
    let file = merged.join("2");
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&file, bytes).unwrap();
    site.write(&page(40), &format!("{}\n再加一句。\n", source(&page(40))));
    site.build_ok();
    assert_eq!(merge_made(&site), "made by merging");
    assert_equals_a_clean_build(&site, "a kept partition changed");

    // A page much longer than the rest moves BM25's average: every key's levels may move.
    // The first page's stored key counts were changed meanwhile (a character of a key): a
    // rebuild that patches leaves an unchanged page's records unread, so this one finds them
    // changed only when it reads them back to merge, counts every page again and keeps no
    // cache that lists them.
    spoil_a_key_of_the_first_page(&site);
    site.write(
        &page(50),
        &format!("---\ntitle: 长\n---\n\n{}\n", text(50, 30_000)),
    );
    site.build_ok();
    assert!(!site.root().join(".shuyuan/cache/postings").exists());
    assert_equals_a_clean_build(&site, "the average length moved, a record changed");

    // A page more: every page after it has another number.
    site.write(
        "content/cases/long-000a.md",
        "---\ntitle: 插入\n---\n\n插入的页。\n",
    );
    site.build_ok();
    assert_eq!(merge_made(&site), "made by merging");
    assert_equals_a_clean_build(&site, "a page added");
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
