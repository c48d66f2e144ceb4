//! The facets file `facets.js` read back (the export module docs give its layout), for the
//! filters of `shuyuan search` and `/api/search`: the same values the search page filters on.

use super::codec::decode_varints;
use super::{SearchError, SearchQuery};

/// Every page's facet values, decoded.
pub(super) struct Facets {
    kinds: Vec<String>,
    kind: Vec<u64>,
    year: Vec<Option<String>>,
    status: Vec<Option<String>>,
    region: Vec<Option<String>>,
    tags: Vec<Vec<String>>,
    topics: Vec<Vec<String>>,
}

/// A list of strings from the facets object.
fn strings(value: &serde_json::Value, name: &str) -> Vec<String> {
    value[name]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

impl Facets {
    pub(super) fn decode(value: &serde_json::Value, docs: u32) -> Result<Facets, SearchError> {
        let n = docs as usize;
        let column = |name: &str| -> Result<Vec<u64>, SearchError> {
            let v = decode_varints(value[name].as_str().unwrap_or_default());
            if v.len() < n {
                return Err(SearchError::Corrupt(format!("facets.js：{name} 列不完整")));
            }
            Ok(v)
        };
        let kinds = value["kinds"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|k| k[0].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default();
        let optional = |codes: Vec<u64>, names: &[String]| -> Vec<Option<String>> {
            codes
                .iter()
                .take(n)
                .map(|&c| {
                    c.checked_sub(1)
                        .and_then(|i| names.get(i as usize).cloned())
                })
                .collect()
        };
        let lists = |name: &str, names: &[String]| -> Vec<Vec<String>> {
            let v = decode_varints(value[name].as_str().unwrap_or_default());
            let mut at = 0;
            let mut out = Vec::with_capacity(n);
            for _ in 0..n {
                let count = v.get(at).copied().unwrap_or(0) as usize;
                let end = (at + 1 + count).min(v.len());
                out.push(
                    v[(at + 1).min(end)..end]
                        .iter()
                        .filter_map(|&i| names.get(i as usize).cloned())
                        .collect(),
                );
                at = end;
            }
            out
        };
        let year = column("date")?
            .iter()
            .take(n)
            .map(|&v| super::export::date_code_year(v).map(|y| y.to_string()))
            .collect();
        Ok(Facets {
            kind: column("kind")?,
            year,
            status: optional(column("status")?, &strings(value, "statuses")),
            region: optional(column("region")?, &strings(value, "regions")),
            tags: lists("tag", &strings(value, "tags")),
            topics: lists("topic", &strings(value, "topics")),
            kinds,
        })
    }

    /// Whether page `page` carries every filter value the query sets.
    pub(super) fn passes(&self, page: u32, q: &SearchQuery) -> bool {
        let d = page as usize;
        let one = |want: &Option<String>, have: Option<&String>| {
            want.as_ref().is_none_or(|w| have == Some(w))
        };
        let many =
            |want: &Option<String>, have: &[String]| want.as_ref().is_none_or(|w| have.contains(w));
        one(&q.kind, self.kinds.get(self.kind[d] as usize))
            && one(&q.year, self.year[d].as_ref())
            && one(&q.status, self.status[d].as_ref())
            && one(&q.region, self.region[d].as_ref())
            && many(&q.tag, &self.tags[d])
            && many(&q.topic, &self.topics[d])
    }
}
