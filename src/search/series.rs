//! Series: pages that are numbered parts of one document, such as the articles of one law
//! (`劳动合同法 第四十六条`, `劳动合同法 第四十七条`) or the lessons of one course (`第3讲`).
//!
//! Owns what makes a series (titles equal up to an ordinal designation `第…条`), how the
//! exporter writes them into `meta.js` (runs of neighbouring pages, which keeps the cost a few
//! numbers per series), and how both engines read them back: one series number per page. The
//! ranking uses them in [`super::rank::lift_series`].

/// Units that follow `第` and a number in an ordinal designation.
const ORDINAL_UNITS: &[char] = &['条', '章', '节', '款', '项', '编', '部', '讲', '课', '篇'];

/// Characters that can write the number of an ordinal designation.
fn is_ordinal_digit(c: char) -> bool {
    c.is_ascii_digit() || "〇零一二三四五六七八九十百千万两".contains(c)
}

/// The document a page title is a numbered part of: the title before its last ordinal
/// designation (`第` + number + unit, optionally after an opening bracket), without trailing
/// spaces. `None` when the title has no such designation or nothing before it.
pub(crate) fn series_name(title: &str) -> Option<&str> {
    for (at, _) in title.rmatch_indices('第') {
        let rest = &title[at + '第'.len_utf8()..];
        let digits = rest.chars().take_while(|&c| is_ordinal_digit(c)).count();
        let unit = rest.chars().nth(digits);
        if digits == 0 || !unit.is_some_and(|u| ORDINAL_UNITS.contains(&u)) {
            continue;
        }
        let name = title[..at]
            .trim_end_matches(['（', '('])
            .trim_end_matches(|c: char| c.is_whitespace() || c == '\u{3000}');
        return (!name.is_empty()).then_some(name);
    }
    None
}

/// The series of pages in index order, as `meta.js` carries them: for each run of at least
/// two neighbouring pages with the same [`series_name`], the number of pages since the end of
/// the previous run, then the run's length.
pub(crate) fn runs<'a>(titles: impl Iterator<Item = &'a str>) -> Vec<u32> {
    let names: Vec<Option<&str>> = titles.map(series_name).collect();
    let mut out = Vec::new();
    let (mut start, mut previous_end) = (0usize, 0usize);
    for end in 1..=names.len() {
        if end < names.len() && names[end].is_some() && names[end] == names[start] {
            continue;
        }
        if names[start].is_some() && end - start >= 2 {
            out.push((start - previous_end) as u32);
            out.push((end - start) as u32);
            previous_end = end;
        }
        start = end;
    }
    out
}

/// One series number per page from [`runs`]: 0 for a page in no series, then 1, 2, … in page
/// order. Runs that point past `docs` pages are cut there.
pub(crate) fn per_page(runs: &[u32], docs: u32) -> Vec<u32> {
    let mut out = vec![0u32; docs as usize];
    let mut at = 0usize;
    for (number, pair) in runs.chunks_exact(2).enumerate() {
        let start = at.saturating_add(pair[0] as usize).min(out.len());
        let end = start.saturating_add(pair[1] as usize).min(out.len());
        out[start..end].fill(number as u32 + 1);
        at = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_is_the_title_before_its_ordinal_designation() {
        assert_eq!(
            series_name("中华人民共和国劳动合同法 第四十七条"),
            Some("中华人民共和国劳动合同法")
        );
        assert_eq!(
            series_name("物业管理条例（第二十一条）"),
            Some("物业管理条例")
        );
        assert_eq!(series_name("网格员培训第3讲 入户走访"), Some("网格员培训"));
        assert_eq!(
            series_name("第一条"),
            None,
            "nothing before the designation"
        );
        assert_eq!(
            series_name("第一书记的一天"),
            None,
            "第 without a number and unit"
        );
        assert_eq!(series_name("社区议事规则"), None);
    }

    #[test]
    fn runs_round_trip_to_one_number_per_page() {
        let titles = [
            "甲法 第一条",
            "甲法 第二条",
            "随笔",
            "乙法 第一条",
            "丙法 第一条",
            "丙法 第二条",
            "丙法 第三条",
            "甲法 第三条",
        ];
        let runs = runs(titles.into_iter());
        assert_eq!(runs, [0, 2, 2, 3], "a lone page of a series is no run");
        assert_eq!(per_page(&runs, 8), [1, 1, 0, 0, 2, 2, 2, 0]);
        assert_eq!(per_page(&runs, 5), [1, 1, 0, 0, 2], "cut at the page count");
    }
}
