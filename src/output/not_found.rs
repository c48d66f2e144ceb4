//! The 404 page: where its links start from. A server shows `404.html` for a missing address
//! in any folder (`/kb/cases/sub/missing.html`), where links relative to the site root would
//! miss, so the page cannot link relatively as every other page does.
//!
//! With a `base_url` its links start from that address's path. Without one they stay relative
//! (right from file://, where the page is only ever opened at the root), and the template finds
//! the root at run time in the address it is shown at: the folder before the first segment
//! that names something the site's root holds ([`top_names`]), looked for first among the
//! last [`depth`] segments (a server's own folders before the site, `/static/kb/`, may share
//! a name with one of the site's), or the root an earlier page of the site recorded in the
//! browser.

use std::collections::BTreeSet;

use crate::model::Site;

/// The root the 404 page links from: `base_url`'s path (`https://host/kb/` → `/kb/`), or
/// empty (relative) without one.
pub fn root(base_url: Option<&str>) -> String {
    let Some(base) = base_url else {
        return String::new();
    };
    let path = match base.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |at| &rest[at..]),
        None => base,
    };
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    }
}

/// Files and folders the output's root holds, as they appear in an address (not encoded):
/// what the output plan generates at the root ([`crate::output::plan::ROOT_GENERATED`]) and the first
/// segment of every page, section, alias, asset and taxonomy. Sorted, so the page is the same
/// from build to build.
pub fn top_names(site: &Site) -> Vec<String> {
    let first = |url: &str| url.split('/').next().unwrap_or("").to_string();
    let mut names: BTreeSet<String> = crate::output::plan::ROOT_GENERATED
        .iter()
        .map(|name| first(name))
        .collect();
    names.extend(site.pages.iter().map(|p| first(&p.url)));
    names.extend(site.sections.iter().map(|s| first(&s.url)));
    names.extend(site.aliases.iter().map(|(url, _)| first(url)));
    names.extend(site.assets.iter().map(|a| first(&a.rel)));
    names.extend(site.taxonomies.iter().map(|t| t.name.clone()));
    names.retain(|name| !name.is_empty());
    names.into_iter().collect()
}

/// The most segments any address of the site has (`cases/sub/page.html`: 3): a missing
/// address inside the site has its root at most this many segments from its end, unless it
/// is deeper than any file.
pub fn depth(site: &Site) -> usize {
    let segments = |url: &str| url.split('/').filter(|s| !s.is_empty()).count();
    site.pages
        .iter()
        .map(|p| segments(&p.url))
        .chain(site.sections.iter().map(|s| segments(&s.url)))
        .chain(site.aliases.iter().map(|(url, _)| segments(url)))
        .chain(site.assets.iter().map(|a| segments(&a.rel)))
        .chain(
            crate::output::plan::ROOT_GENERATED
                .iter()
                .map(|n| segments(n)),
        )
        .max()
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn base_url_gives_the_root_path() {
        assert_eq!(super::root(Some("http://intranet/kb/")), "/kb/");
        assert_eq!(super::root(Some("https://host")), "/");
        assert_eq!(super::root(Some("kb/")), "/kb/");
        assert_eq!(super::root(None), "");
    }
}
