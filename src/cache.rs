//! What the build's caches under `.shuyuan/cache/` share: where they are, the program that
//! made them, and the hash they key things by. A cache only ever saves work: each is a pure
//! function of what it is keyed by, and one that is missing, damaged or made by another
//! program is ignored.
//!
//! - `render-memo` ([`crate::output::render::Memo`]): which output file was rendered from
//!   which template variables, so that a rebuild leaves an unchanged file where it is.
//! - `postings/` (the search index's reuse of the last build's key counts): each page's keys
//!   and counts, by a hash of the text they were counted from; in `postings/merged/`, the
//!   last build's merged postings, which a rebuild patches ([`crate::search`]).
//! - `markdown/` ([`crate::source::markdown::memo`]): each body as it rendered, by a hash of
//!   what it was rendered from.
//!
//! Hashes are SipHash-1-3, 128 bits, keyed by `key`, a random number made once per site and
//! kept beside the caches: content is hostile, and with an unkeyed hash an editor could
//! write a page that hashes as the published one does, and the old page would stay. Only a
//! check compared with nothing but what the cache wrote of the same bytes is unkeyed FxHash.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::UNIX_EPOCH;

use siphasher::sip128::{Hasher128, SipHasher13};

/// The folder of the caches in a site's state folder `state` (`.shuyuan/`).
pub fn dir(state: &Path) -> PathBuf {
    state.join("cache")
}

/// Names this program: its version, and the length and modification time its executable had
/// when this process first asked (call it at start-up: a binary replaced while a preview runs
/// must not lend it its name), so that a binary built from other code finds no cache of its
/// own. `None` when the executable cannot be read; then nothing is cached.
pub fn this_program() -> Option<&'static str> {
    static PROGRAM: OnceLock<Option<String>> = OnceLock::new();
    PROGRAM
        .get_or_init(|| {
            let meta = std::fs::metadata(std::env::current_exe().ok()?).ok()?;
            let time = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
            Some(format!(
                "{} {} {}",
                env!("CARGO_PKG_VERSION"),
                meta.len(),
                time.as_nanos()
            ))
        })
        .as_deref()
}

/// The site's cache key, from `dir`'s `key` file, made there when missing or unreadable.
/// `None` when none can be kept: then nothing is cached.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Key(u64, u64);

impl Key {
    pub fn of(dir: &Path) -> Option<Key> {
        let path = dir.join("key");
        let read = std::fs::read_to_string(&path).ok().and_then(|text| {
            let (a, b) = text.trim().split_once(' ')?;
            Some(Key(
                u64::from_str_radix(a, 16).ok()?,
                u64::from_str_radix(b, 16).ok()?,
            ))
        });
        if read.is_some() {
            return read;
        }
        let key = Key(random(), random());
        std::fs::create_dir_all(dir).ok()?;
        let partial = dir.join("key.partial");
        std::fs::write(&partial, format!("{:016x} {:016x}\n", key.0, key.1)).ok()?;
        std::fs::rename(&partial, &path).ok()?;
        Some(key)
    }

    /// A hasher under this key.
    pub fn hasher(self) -> SipHasher13 {
        SipHasher13::new_with_keys(self.0, self.1)
    }
}

/// The 128-bit hash `h` has made.
pub fn finish(h: &SipHasher13) -> u128 {
    h.finish128().as_u128()
}

/// A cache manifest's line, read field by field as numbers: `None` past the last field, at a
/// field that is not a number in the radix asked for, or one too large for its type.
pub struct Fields<'a>(std::str::Split<'a, char>);

impl<'a> Fields<'a> {
    pub fn of(line: &'a str) -> Fields<'a> {
        Fields(line.split(' '))
    }

    pub fn hex<T: TryFrom<u128>>(&mut self) -> Option<T> {
        self.number(16)
    }

    pub fn decimal<T: TryFrom<u128>>(&mut self) -> Option<T> {
        self.number(10)
    }

    fn number<T: TryFrom<u128>>(&mut self, radix: u32) -> Option<T> {
        T::try_from(u128::from_str_radix(self.0.next()?, radix).ok()?).ok()
    }
}

/// Reads `buf.len()` bytes of `file` from `offset`, without moving a shared position: the
/// caches' records are read from every thread at once.
pub fn read_at(file: &std::fs::File, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let (mut done, mut at) = (0, offset);
        while done < buf.len() {
            match std::os::windows::fs::FileExt::seek_read(file, &mut buf[done..], at)? {
                0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                n => {
                    done += n;
                    at += n as u64;
                }
            }
        }
        Ok(())
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = (file, offset, buf);
        Err(std::io::ErrorKind::Unsupported.into())
    }
}

/// 64 random bits, from the standard library's randomly keyed hasher.
fn random() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_keeps_its_key_and_two_sites_have_two() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let key = Key::of(a.path()).unwrap();
        assert_eq!(Key::of(a.path()), Some(key));
        assert_ne!(Key::of(b.path()), Some(key));
        std::fs::write(a.path().join("key"), "乱码").unwrap();
        assert_ne!(
            Key::of(a.path()),
            Some(key),
            "an unreadable key is made anew"
        );
    }
}
