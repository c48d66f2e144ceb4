//! How a page's text is cut into the fragment files a shown result loads, and how many of them
//! a query reads (mirrored in `search.js`, pinned by `tests/vectors/fragments.json`).
//!
//! A result needs its page's text for two things: the snippet, and knowing whether the page
//! holds every term verbatim (the index has no positions). Loading a whole page for that made
//! one result of a 100,000-character law cost 300 KB. So a fragment `p<d>.js` carries the
//! page's details and the first [`HEAD_TEXT_BYTES`] of its text by heading; more follows in
//! at most [`MORE_READ`] continuation files `p<d>-<j>.js` of at most [`MORE_TEXT_BYTES`]
//! each, and text past them is in no fragment (the ranking itself reads only postings). A
//! query reads a page's continuations in order only while the text read so far lacks one of
//! its terms verbatim: a result costs at most about 7 KB, and a keyword found early costs one
//! small file. Both engines apply this same rule, so they agree on which pages hold the terms
//! and on the section a result links to.
//!
//! Cuts fall after a sentence's end (`。！？；` or a line break) when one lies in the second
//! half of the room left, else at a character boundary; a section cut in two appears in both
//! files under its own anchor and heading.

use super::SearchSection;
use super::query::Term;
use super::tokenizer::normalize;

/// Bytes of heading and text the fragment itself carries.
pub const HEAD_TEXT_BYTES: usize = 1000;
/// Bytes of heading and text in each continuation file.
pub const MORE_TEXT_BYTES: usize = 3000;
/// Continuation files a query reads at most for one result.
pub const MORE_READ: usize = 2;

/// One section, or a piece of one, as a fragment file lists it: `[anchor, heading, text]`.
pub type Piece<'a> = [&'a str; 3];
/// The same, as a reader holds it.
pub type OwnedPiece = [String; 3];

/// A page's sections cut into the fragment's pieces (first) and each continuation's, at most
/// [`MORE_READ`] of them: the text after those is left out.
pub fn cut(sections: &[SearchSection]) -> Vec<Vec<Piece<'_>>> {
    let mut files: Vec<Vec<Piece>> = vec![Vec::new()];
    let mut room = HEAD_TEXT_BYTES;
    for section in sections {
        let anchor = section.anchor.as_str();
        let mut heading = section.heading.as_str();
        let mut text = section.text.as_str();
        loop {
            let cost = heading.len() + text.len();
            let fresh = files.last().is_some_and(Vec::is_empty);
            // A heading alone may be larger than a file: it then has one to itself.
            if cost <= room || (fresh && text.is_empty()) {
                files
                    .last_mut()
                    .expect("one file at least")
                    .push([anchor, heading, text]);
                room = room.saturating_sub(cost);
                break;
            }
            let at = cut_at(text, room.saturating_sub(heading.len()), fresh);
            if at > 0 {
                files
                    .last_mut()
                    .expect("one file at least")
                    .push([anchor, heading, &text[..at]]);
                text = &text[at..];
                // The rest repeats the heading, cut short: a heading of a whole line of text
                // repeated in every file would grow with the square of the line.
                heading = prefix(heading, REPEATED_HEADING_BYTES);
            }
            if files.len() == 1 + MORE_READ {
                return files;
            }
            files.push(Vec::new());
            room = MORE_TEXT_BYTES;
        }
    }
    files
}

/// A section's heading repeated with the rest of its text is cut to this many bytes.
const REPEATED_HEADING_BYTES: usize = 300;

/// The longest start of `text` of at most `bytes` bytes that ends at a character boundary.
fn prefix(text: &str, bytes: usize) -> &str {
    let mut end = bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Where to end a piece of `text` that has `room` bytes: after the last sentence end in the
/// second half of the room, else at the last character boundary within it. In a file still
/// empty the piece takes one character at least, so every cut makes progress.
fn cut_at(text: &str, room: usize, fresh: bool) -> usize {
    let limit = prefix(text, room).len();
    let sentence_end = text[..limit]
        .char_indices()
        .rev()
        .take_while(|&(at, _)| at >= limit / 2)
        .find(|&(_, c)| matches!(c, '。' | '！' | '？' | '；' | '\n'))
        .map(|(at, c)| at + c.len_utf8());
    let at = sentence_end.unwrap_or(limit);
    if at == 0 && fresh {
        text.chars().next().map_or(0, char::len_utf8)
    } else {
        at
    }
}

/// The sections a query reads of a page whose fragment holds `title` and `pieces` and names
/// `more` continuation files: the fragment's, then each continuation's in turn until the title
/// and the sections read hold every term verbatim, or all of them. A section cut between two
/// files is read whole again (its pieces share its anchor, which no other section has), so a
/// term across the cut is found. `continuation(j)` reads file `j` (from 1). Also says whether
/// every term was held.
pub fn pieces_read<E>(
    terms: &[Term],
    title: &str,
    mut sections: Vec<OwnedPiece>,
    more: usize,
    mut continuation: impl FnMut(usize) -> Result<Vec<OwnedPiece>, E>,
) -> Result<(Vec<OwnedPiece>, bool), E> {
    let mut read = 0;
    loop {
        let texts: Vec<String> = std::iter::once(title)
            .chain(sections.iter().flat_map(|s| [s[1].as_str(), s[2].as_str()]))
            .map(normalize)
            .collect();
        let held = holds_all(terms, &texts);
        if held || read == more {
            return Ok((sections, held));
        }
        read += 1;
        for piece in continuation(read)? {
            match sections.last_mut() {
                Some(last) if last[0] == piece[0] => last[2].push_str(&piece[2]),
                _ => sections.push(piece),
            }
        }
    }
}

/// Whether the normalised `texts` hold every term verbatim.
fn holds_all(terms: &[Term], texts: &[String]) -> bool {
    terms
        .iter()
        .all(|t| texts.iter().any(|x| x.contains(&t.text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heading_larger_than_a_file_is_not_repeated_whole() {
        let huge = SearchSection {
            anchor: "h".into(),
            heading: "题".repeat(3000),
            text: "文".repeat(3000),
        };
        let files = cut(std::slice::from_ref(&huge));
        let rejoined: String = files.iter().flatten().map(|p| p[2]).collect();
        assert!(huge.text.starts_with(&rejoined) && !rejoined.is_empty());
        assert!(
            files
                .iter()
                .skip(1)
                .flatten()
                .all(|p| p[1].len() <= REPEATED_HEADING_BYTES)
        );
        let empty = SearchSection {
            text: String::new(),
            ..huge
        };
        assert_eq!(cut(std::slice::from_ref(&empty)).concat().len(), 1);
    }

    fn section(anchor: &str, text: &str) -> SearchSection {
        SearchSection {
            anchor: anchor.into(),
            heading: anchor.into(),
            text: text.into(),
        }
    }

    #[test]
    fn short_pages_are_one_file_and_long_ones_are_cut_at_sentences() {
        let short = [section("", "一句话。")];
        assert_eq!(cut(&short), vec![vec![["", "", "一句话。"]]]);

        let sentence = "村民委员会应当公开议事。"; // 36 bytes
        let long = [section("a", &sentence.repeat(200)), section("b", "尾声。")];
        let files = cut(&long);
        for (j, file) in files.iter().enumerate() {
            let bytes: usize = file.iter().map(|p| p[1].len() + p[2].len()).sum();
            let room = if j == 0 {
                HEAD_TEXT_BYTES
            } else {
                MORE_TEXT_BYTES
            };
            assert!(bytes <= room, "file {j}: {bytes} bytes");
            for piece in file {
                assert!(piece[2].is_empty() || piece[2].ends_with('。'), "{piece:?}");
            }
        }
        assert_eq!(files.len(), 1 + MORE_READ);
        let rejoined: String = files.iter().flatten().map(|p| p[2]).collect();
        assert!(
            sentence.repeat(200).starts_with(&rejoined),
            "nothing repeated"
        );
        assert!(rejoined.len() > HEAD_TEXT_BYTES + MORE_READ * MORE_TEXT_BYTES * 9 / 10);

        let two = [section("a", &sentence.repeat(20)), section("b", "尾声。")];
        let files = cut(&two);
        let rejoined: String = files
            .iter()
            .flatten()
            .filter(|p| p[0] == "a")
            .map(|p| p[2])
            .collect();
        assert_eq!(rejoined, sentence.repeat(20), "nothing lost");
        assert_eq!(files.last().unwrap().last().unwrap(), &["b", "b", "尾声。"]);
    }

    #[test]
    fn text_without_sentence_ends_is_cut_at_characters() {
        let long = [section("", &"字".repeat(2000))];
        let files = cut(&long);
        let rejoined: String = files.iter().flatten().map(|p| p[2]).collect();
        assert_eq!(rejoined.chars().count(), 2000);
        assert!(
            files
                .iter()
                .skip(1)
                .all(|f| f[0][2].len() <= MORE_TEXT_BYTES)
        );
    }
}
