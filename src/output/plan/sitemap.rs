//! The sitemap: every section, every page with its date, and the training pages but the
//! handouts (they repeat pages listed already), as the sitemaps protocol writes them;
//! absolute when `base_url` is configured, otherwise relative to the site's root.
//!
//! The protocol lets one file list at most 50,000 addresses. A site with more than
//! [`PER_FILE`] gets its addresses in parts, `sitemap-1.xml`, `sitemap-2.xml` …, and
//! `sitemap.xml` becomes the index naming them. Parts keep a file of the sitemap small, so a
//! preview's date edit at 100,000 pages writes the part holding the page (about 1 MB), not
//! one file of 10 MB.

use std::hash::{Hash, Hasher};

use rayon::prelude::*;
use rustc_hash::FxHasher;

use super::{Job, What};
use crate::model::{Site, encode_path_into};
use crate::schema::Date;

/// The sitemap, or the index of its parts.
pub const FILE: &str = "sitemap.xml";
/// The most addresses one file lists; the protocol's limit is 50,000.
pub const PER_FILE: usize = 10_000;

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
const XMLNS: &str = "xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"";

/// The addresses of a site and the files that list them.
pub struct Sitemap<'a> {
    base: &'a str,
    /// Address (as the output names it) and date, in the order the files list them.
    entries: Vec<(&'a str, Option<Date>)>,
    /// [`FILE`], then the parts, if there are any.
    pub paths: Vec<String>,
}

impl<'a> Sitemap<'a> {
    /// The sitemap of `site`, whose render jobs are `jobs`.
    pub fn of(site: &'a Site, jobs: &'a [Job]) -> Sitemap<'a> {
        let mut entries = Vec::with_capacity(site.sections.len() + site.pages.len() + 16);
        entries.extend(site.sections.iter().map(|section| (&*section.url, None)));
        entries.extend(site.pages.iter().map(|page| (&*page.url, page.sort_date())));
        entries.extend(
            jobs.iter()
                .filter(|job| listed_training(job))
                .map(|job| (&*job.path, None)),
        );
        let base = site.config.base_url.as_deref().unwrap_or("");
        Sitemap::from_entries(base, entries)
    }

    fn from_entries(base: &'a str, entries: Vec<(&'a str, Option<Date>)>) -> Sitemap<'a> {
        let paths = file_paths(entries.len());
        Sitemap {
            base,
            entries,
            paths,
        }
    }

    /// What file `k` of [`Self::paths`] lists: every address for a lone sitemap, none for
    /// the index.
    fn listed(&self, k: usize) -> &[(&'a str, Option<Date>)] {
        match (k, self.paths.len()) {
            (0, 1) => &self.entries,
            (0, _) => &[],
            (k, _) => {
                let start = (k - 1) * PER_FILE;
                &self.entries[start..(start + PER_FILE).min(self.entries.len())]
            }
        }
    }

    /// A hash of what file `k` shows: its addresses and dates, or the index's parts.
    pub fn fingerprint(&self, k: usize) -> u64 {
        let mut h = FxHasher::default();
        self.paths.len().hash(&mut h);
        self.listed(k).hash(&mut h);
        h.finish()
    }

    /// File `k` of [`Self::paths`].
    pub fn render(&self, k: usize) -> String {
        let mut xml = String::with_capacity(HEAD.len() + 100 * self.listed(k).len());
        xml.push_str(HEAD);
        let mut loc = String::new();
        if k == 0 && self.paths.len() > 1 {
            xml.push_str(&format!("<sitemapindex {XMLNS}>\n"));
            for part in &self.paths[1..] {
                self.line(&mut xml, &mut loc, "sitemap", part, None);
            }
            xml.push_str("</sitemapindex>\n");
        } else {
            xml.push_str(&format!("<urlset {XMLNS}>\n"));
            for &(url, date) in self.listed(k) {
                self.line(&mut xml, &mut loc, "url", url, date);
            }
            xml.push_str("</urlset>\n");
        }
        xml
    }

    /// Every file, path and text, made in parallel.
    pub fn render_all(&self) -> Vec<(&str, String)> {
        (0..self.paths.len())
            .into_par_iter()
            .map(|k| (self.paths[k].as_str(), self.render(k)))
            .collect()
    }

    /// One `<url>` or `<sitemap>`, made in `loc`, which is reused from line to line.
    fn line(&self, xml: &mut String, loc: &mut String, tag: &str, url: &str, date: Option<Date>) {
        use std::fmt::Write as _;
        loc.clear();
        loc.push_str(self.base);
        encode_path_into(url, loc);
        // The protocol wants addresses as RFC 3986 spells them: a Chinese name percent-encoded
        // (UTF-8), which links in pages leave as it is. (`base_url` comes encoded already.)
        if !loc.is_ascii() {
            *loc = crate::html::percent_encode_non_ascii(loc);
        }
        let _ = write!(xml, "  <{tag}><loc>");
        crate::html::escape_into(loc, xml);
        xml.push_str("</loc>");
        if let Some(date) = date {
            let _ = write!(xml, "<lastmod>{date}</lastmod>");
        }
        let _ = writeln!(xml, "</{tag}>");
    }
}

/// The sitemap's files for `site`, whose render jobs are `jobs`: what [`Sitemap::of`] names,
/// without gathering the addresses.
pub fn paths(site: &Site, jobs: &[Job]) -> Vec<String> {
    let training = jobs.iter().filter(|job| listed_training(job)).count();
    file_paths(site.sections.len() + site.pages.len() + training)
}

/// Whether the sitemap lists the job's page: a training page, but not a handout.
fn listed_training(job: &Job) -> bool {
    matches!(job.what, What::Training(_)) && job.template != "handout.html"
}

fn file_paths(addresses: usize) -> Vec<String> {
    let parts = if addresses > PER_FILE {
        addresses.div_ceil(PER_FILE)
    } else {
        0
    };
    let parts = (1..=parts).map(|k| format!("sitemap-{k}.xml"));
    std::iter::once(FILE.to_string()).chain(parts).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(day: u8) -> Option<Date> {
        Some(Date {
            year: 2024,
            month: 3,
            day,
        })
    }

    #[test]
    fn a_small_site_has_one_file() {
        let entries = vec![
            ("index.html", None),
            ("a b/c&d.html", date(1)),
            ("网格.html", None),
        ];
        let sitemap = Sitemap::from_entries("https://x.cn/kb/", entries);
        assert_eq!(sitemap.paths, [FILE]);
        assert_eq!(
            sitemap.render(0),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n  \
             <url><loc>https://x.cn/kb/index.html</loc></url>\n  \
             <url><loc>https://x.cn/kb/a%20b/c%26d.html</loc><lastmod>2024-03-01</lastmod></url>\n  \
             <url><loc>https://x.cn/kb/%E7%BD%91%E6%A0%BC.html</loc></url>\n\
             </urlset>\n"
        );
    }

    #[test]
    fn past_the_limit_the_addresses_go_into_parts_named_by_an_index() {
        let urls: Vec<String> = (0..2 * PER_FILE + 1)
            .map(|n| format!("p/{n}.html"))
            .collect();
        let entries = urls.iter().map(|url| (url.as_str(), date(2))).collect();
        let sitemap = Sitemap::from_entries("", entries);
        assert_eq!(
            sitemap.paths,
            [FILE, "sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml"]
        );
        let index = sitemap.render(0);
        assert!(index.contains("<sitemapindex "));
        assert!(index.contains("<sitemap><loc>sitemap-3.xml</loc></sitemap>"));
        assert!(!index.contains("<url>"));
        let files = sitemap.render_all();
        let listed: Vec<usize> = files
            .iter()
            .map(|(_, xml)| xml.matches("<url>").count())
            .collect();
        assert_eq!(listed, [0, PER_FILE, PER_FILE, 1]);
        assert!(files[1].1.contains("<loc>p/0.html</loc>"));
        assert!(files[3].1.contains("<loc>p/20000.html</loc>"));
        // An edit in one part changes that part's fingerprint alone.
        let mut edited = sitemap.entries.clone();
        edited[PER_FILE + 5].1 = date(3);
        let edited = Sitemap::from_entries("", edited);
        let changed: Vec<usize> = (0..4)
            .filter(|&k| edited.fingerprint(k) != sitemap.fingerprint(k))
            .collect();
        assert_eq!(changed, [2]);
    }
}
