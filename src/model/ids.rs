//! Typed ids: a page is named by a [`PageId`] and a section by a [`SectionId`], each its
//! place in the site's list of its kind, and such a list — or any list with one entry per
//! page or section — is an [`IdVec`], which only its own kind of id indexes. The numbers
//! themselves are converted here and nowhere else.
//!
//! A page's id is its place in file order (the path relative to `content/`). A preview that
//! removes and adds pages keeps that order ([`IdVec::replace_pages`]), so the ids of the
//! pages after a change move; the [`Renumbering`] it returns maps every old id to its new
//! one, and whatever holds page ids across the change goes through it.

use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

use crate::model::{Page, Section};

/// An id that names an entry of an [`IdVec`] by its place.
pub trait Id: Copy {
    fn from_index(index: usize) -> Self;
    fn index(self) -> usize;
}

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u32);

        impl Id for $name {
            fn from_index(index: usize) -> Self {
                // Four billion pages or sections would not fit in memory anyway.
                $name(u32::try_from(index).expect(concat!(stringify!($name), " out of range")))
            }

            fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id!(
    /// A page: its place in [`crate::model::Site::pages`], which is in file order.
    PageId
);
id!(
    /// A section: its place in [`crate::model::Site::sections`]; [`SectionId::ROOT`] is the
    /// home page's.
    SectionId
);

impl SectionId {
    /// The root section, `content/` itself: the home page.
    pub const ROOT: SectionId = SectionId(0);
}

/// A list indexed by one kind of id: the site's pages or sections, or one entry per page or
/// section (a page's related pages, a section's status views …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdVec<I, T> {
    items: Vec<T>,
    id: PhantomData<fn(I) -> I>,
}

/// The site's pages, in file order.
pub type Pages = IdVec<PageId, Page>;
/// The site's sections; the root comes first.
pub type Sections = IdVec<SectionId, Section>;

impl<I: Id, T> IdVec<I, T> {
    pub fn new() -> Self {
        Vec::new().into()
    }

    pub fn with_capacity(capacity: usize) -> Self {
        Vec::with_capacity(capacity).into()
    }

    /// One entry per id below `len`, each made by `make`.
    pub fn from_fn(len: usize, make: impl FnMut(I) -> T) -> Self {
        (0..len)
            .map(I::from_index)
            .map(make)
            .collect::<Vec<T>>()
            .into()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Adds `item` at the end; returns its id.
    pub fn push(&mut self, item: T) -> I {
        let id = I::from_index(self.items.len());
        self.items.push(item);
        id
    }

    pub fn get_mut(&mut self, id: I) -> Option<&mut T> {
        self.items.get_mut(id.index())
    }

    /// Every id, in order.
    pub fn ids(&self) -> impl DoubleEndedIterator<Item = I> + ExactSizeIterator + use<I, T> {
        (0..self.items.len()).map(I::from_index)
    }

    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.items.iter_mut()
    }

    /// Every entry with its id, in order.
    pub fn iter_enumerated(&self) -> impl DoubleEndedIterator<Item = (I, &T)> + '_ {
        self.items
            .iter()
            .enumerate()
            .map(|(i, item)| (I::from_index(i), item))
    }

    /// The entries as a plain slice, for what takes them in order without naming them by id
    /// (parallel iteration, the search index).
    pub fn as_slice(&self) -> &[T] {
        &self.items
    }

    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.items
    }

    /// The id of the entry `compare` finds, or where it would go, as
    /// [`slice::binary_search_by`].
    pub fn binary_search_by(&self, compare: impl FnMut(&T) -> std::cmp::Ordering) -> Result<I, I> {
        self.items
            .binary_search_by(compare)
            .map(I::from_index)
            .map_err(I::from_index)
    }
}

impl<I: Id, T> Default for IdVec<I, T> {
    fn default() -> Self {
        IdVec::new()
    }
}

impl<I: Id, T> From<Vec<T>> for IdVec<I, T> {
    fn from(items: Vec<T>) -> Self {
        // Checks that the last entry still has an id.
        if let Some(last) = items.len().checked_sub(1) {
            I::from_index(last);
        }
        IdVec {
            items,
            id: PhantomData,
        }
    }
}

impl<I: Id, T> FromIterator<T> for IdVec<I, T> {
    fn from_iter<It: IntoIterator<Item = T>>(iter: It) -> Self {
        iter.into_iter().collect::<Vec<T>>().into()
    }
}

impl<I: Id, T> IntoIterator for IdVec<I, T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a, I: Id, T> IntoIterator for &'a IdVec<I, T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl<'a, I: Id, T> IntoIterator for &'a mut IdVec<I, T> {
    type Item = &'a mut T;
    type IntoIter = std::slice::IterMut<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter_mut()
    }
}

impl<I: Id, T> Index<I> for IdVec<I, T> {
    type Output = T;

    fn index(&self, id: I) -> &T {
        &self.items[id.index()]
    }
}

impl<I: Id, T> IndexMut<I> for IdVec<I, T> {
    fn index_mut(&mut self, id: I) -> &mut T {
        &mut self.items[id.index()]
    }
}

impl Pages {
    /// The page of the content file `rel`. Pages are kept in file order (resolve sorts them,
    /// [`Pages::replace_pages`] keeps the order), so a binary search finds it: a map of every
    /// page, built per lookup batch, took 6–9 ms of each front matter edit in a preview of
    /// 100,000 pages.
    pub fn by_file(&self, rel: &str) -> Option<PageId> {
        self.binary_search_by(|page| page.doc.rel.as_str().cmp(rel))
            .ok()
    }

    /// Takes out the pages `removed` and puts `added` in, keeping file order, as a preview
    /// does when files go and come. Returns how the ids moved.
    pub fn replace_pages(&mut self, removed: &[PageId], mut added: Vec<Page>) -> Renumbering {
        added.sort_by(|a, b| a.doc.rel.cmp(&b.doc.rel));
        let mut gone = vec![false; self.len()];
        for id in removed {
            gone[id.index()] = true;
        }
        let old = std::mem::take(&mut self.items);
        let mut new_of_old = IdVec::with_capacity(old.len());
        let mut added = added.into_iter().peekable();
        let mut pages = Vec::with_capacity(old.len() - removed.len() + added.len());
        for (page, gone) in old.into_iter().zip(gone) {
            if gone {
                new_of_old.push(None);
                continue;
            }
            pages.extend(std::iter::from_fn(|| {
                added.next_if(|new| new.doc.rel < page.doc.rel)
            }));
            new_of_old.push(Some(PageId::from_index(pages.len())));
            pages.push(page);
        }
        pages.extend(added);
        *self = pages.into();
        Renumbering {
            new_of_old,
            len: self.len(),
        }
    }
}

/// How page ids moved when pages were removed and added ([`IdVec::replace_pages`]): a
/// removed page's id maps to nothing, every other old id to the id its page has now.
#[derive(Debug)]
pub struct Renumbering {
    new_of_old: IdVec<PageId, Option<PageId>>,
    /// How many pages there are now.
    len: usize,
}

impl Renumbering {
    /// The id the page `old` has now; `None` when it was removed.
    pub fn new_id(&self, old: PageId) -> Option<PageId> {
        self.new_of_old[old]
    }

    /// A list with one entry per page, moved as the pages moved: removed pages' entries
    /// dropped, an entry made by `make` for each added page.
    pub fn per_page<T>(
        &self,
        old: IdVec<PageId, T>,
        mut make: impl FnMut() -> T,
    ) -> IdVec<PageId, T> {
        let mut moved: Vec<Option<T>> = std::iter::repeat_with(|| None).take(self.len).collect();
        for (item, new) in old.into_iter().zip(self.new_of_old.iter()) {
            if let Some(new) = new {
                moved[new.index()] = Some(item);
            }
        }
        moved
            .into_iter()
            .map(|item| item.unwrap_or_else(&mut make))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::parse::Document;

    /// The pages of a site whose content holds the files `rels`, as resolve makes them.
    fn site_pages(rels: &[&str]) -> Pages {
        let root = std::path::Path::new("site");
        let config = crate::config::Config::from_toml(root, "title = \"站\"\n").unwrap();
        let options = crate::source::markdown::options(false);
        let documents = rels
            .iter()
            .map(|rel| {
                let doc = Document::data_file(rel.to_string(), rel.into(), String::new(), 0);
                let rendered = crate::source::markdown::render("", rel, &options);
                (doc, rendered)
            })
            .collect();
        let input = crate::model::resolve::ResolveInput {
            documents,
            assets: Vec::new(),
            include_drafts: false,
            extra_bodies: Vec::new(),
        };
        crate::model::resolve::resolve(config, input, &mut Default::default()).pages
    }

    fn rels(pages: &Pages) -> Vec<&str> {
        pages.iter().map(|p| p.doc.rel.as_str()).collect()
    }

    #[test]
    fn replacing_pages_keeps_file_order_and_maps_every_old_id() {
        let mut pages = site_pages(&["b.md", "d.md", "f.md"]);
        let [b, d, f] = [0, 1, 2].map(PageId::from_index);
        let added = site_pages(&["e.md", "a.md"]).into_iter().rev().collect();
        let renumbering = pages.replace_pages(&[d], added);
        assert_eq!(rels(&pages), ["a.md", "b.md", "e.md", "f.md"]);
        let new = |old| renumbering.new_id(old).map(|id| pages[id].doc.rel.as_str());
        assert_eq!(new(b), Some("b.md"));
        assert_eq!(new(d), None, "a removed page has no id");
        assert_eq!(new(f), Some("f.md"));

        let per_page: IdVec<PageId, &str> = vec!["of b", "of d", "of f"].into();
        let moved = renumbering.per_page(per_page, || "new");
        assert_eq!(moved.as_slice(), ["new", "of b", "new", "of f"]);
    }
}
