//! The facets file's columns: for every page, in page order, its kind, date, status, region,
//! tags and topics as numbers into sorted value lists, which the full search page filters by.

use std::collections::HashMap;

use serde::Serialize;

use crate::search::SearchDoc;
use crate::search::codec::push_varint;

/// The facets file: value lists, then per page (in page order) one varint column each:
/// `kind` (index into `kinds`), `date` (0 for none, else `((year - 1000) * 12 + month - 1) * 31
/// + day - 1 + 1` with missing month or day taken as 1), `status` and `region` (0 for none, else
/// index + 1), and `tags`, `topics` (a count, then that many indices).
#[derive(Serialize)]
pub(super) struct Facets {
    kinds: Vec<(String, String)>,
    statuses: Vec<String>,
    regions: Vec<String>,
    tags: Vec<String>,
    topics: Vec<String>,
    kind: String,
    date: String,
    status: String,
    region: String,
    tag: String,
    topic: String,
}

/// Sorted distinct values and an index lookup.
fn value_list<'a>(
    values: impl Iterator<Item = &'a String>,
) -> (Vec<String>, HashMap<&'a str, u64>) {
    let mut list: Vec<&str> = values.map(String::as_str).collect();
    list.sort_unstable();
    list.dedup();
    let index = list
        .iter()
        .enumerate()
        .map(|(i, v)| (*v, i as u64))
        .collect();
    (list.into_iter().map(String::from).collect(), index)
}

/// The year of a [`date_code`] (0 for a page without a date).
pub(in crate::search) fn date_code_year(code: u64) -> Option<u64> {
    (code > 0).then(|| (code - 1) / (12 * 31) + 1000)
}

/// Packs `YYYY-MM-DD` (or a prefix of it) as described on [`Facets`]; `None` when unreadable.
fn date_code(date: &str) -> Option<u64> {
    let part = |r: std::ops::Range<usize>| date.get(r).and_then(|s| s.parse::<u64>().ok());
    let year = part(0..4).filter(|y| (1000..=4000).contains(y))?;
    let month = part(5..7).filter(|m| (1..=12).contains(m)).unwrap_or(1);
    let day = part(8..10).filter(|d| (1..=31).contains(d)).unwrap_or(1);
    Some(((year - 1000) * 12 + month - 1) * 31 + day)
}

pub(super) fn facets(docs: &[&SearchDoc]) -> Facets {
    let mut kinds: Vec<(String, String)> = docs
        .iter()
        .map(|d| (d.kind.clone(), d.kind_label.clone()))
        .collect();
    kinds.sort_unstable();
    kinds.dedup_by(|a, b| a.0 == b.0);
    let (statuses, status_ix) = value_list(docs.iter().filter_map(|d| d.status.as_ref()));
    let (regions, region_ix) = value_list(docs.iter().filter_map(|d| d.region.as_ref()));
    let (tags, tag_ix) = value_list(docs.iter().flat_map(|d| &d.tags));
    let (topics, topic_ix) = value_list(docs.iter().flat_map(|d| &d.topics));
    let mut f = Facets {
        kind: String::new(),
        date: String::new(),
        status: String::new(),
        region: String::new(),
        tag: String::new(),
        topic: String::new(),
        kinds,
        statuses,
        regions,
        tags,
        topics,
    };
    let optional =
        |ix: &HashMap<&str, u64>, v: &Option<String>| v.as_deref().map_or(0, |v| ix[v] + 1);
    let list = |out: &mut String, ix: &HashMap<&str, u64>, vs: &[String]| {
        let mut distinct: Vec<u64> = vs.iter().map(|v| ix[v.as_str()]).collect();
        distinct.sort_unstable();
        distinct.dedup();
        push_varint(out, distinct.len() as u64);
        for v in distinct {
            push_varint(out, v);
        }
    };
    for d in docs {
        let kind = f.kinds.iter().position(|k| k.0 == d.kind).unwrap_or(0);
        push_varint(&mut f.kind, kind as u64);
        push_varint(
            &mut f.date,
            d.date.as_deref().and_then(date_code).unwrap_or(0),
        );
        push_varint(&mut f.status, optional(&status_ix, &d.status));
        push_varint(&mut f.region, optional(&region_ix, &d.region));
        list(&mut f.tag, &tag_ix, &d.tags);
        list(&mut f.topic, &topic_ix, &d.topics);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_pack_into_a_sortable_number() {
        assert!(date_code("2024-03-01") < date_code("2024-03-02"));
        assert!(date_code("2023-12-31") < date_code("2024-01-01"));
        assert_eq!(date_code("2024"), date_code("2024-01-01"));
        assert_eq!(date_code("soon"), None);
        for date in ["1000-01-01", "2024-12-31", "2024-01-01", "4000-06-15"] {
            let year: u64 = date[..4].parse().unwrap();
            assert_eq!(
                date_code_year(date_code(date).unwrap()),
                Some(year),
                "{date}"
            );
        }
        assert_eq!(date_code_year(0), None);
    }
}
