//! Where an output may be: never the site folder or a folder above it, never the runs' own
//! `.shuyuan/` or `.shuyuan/tmp/`, and never in, around or at the site's sources. Paths are
//! compared after resolving symlinks and `..`, as far as they exist.

use std::fs;
use std::path::{Path, PathBuf};

use crate::diagnostics::{Code, Diagnostic};

/// The folders and files of a site that no output may be, lie in or contain, canonical:
/// `content/`, `themes/` (and the theme, wherever a symlink takes it), `templates/`,
/// `static/` and `site.toml`.
pub fn protected_paths(root: &Path, theme_dir: &Path) -> Vec<PathBuf> {
    [
        "content",
        "themes",
        "templates",
        "static",
        crate::config::CONFIG_FILE,
    ]
    .iter()
    .map(|name| root.join(name))
    .chain([theme_dir.to_path_buf()])
    .map(|path| canonical(&path))
    .collect()
}

/// `path` made absolute with its symlinks resolved, as far as it exists; the rest, which
/// does not exist yet, is applied to that as written (`..` going up a folder).
pub fn canonical(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_or_else(|_| path.to_path_buf(), |dir| dir.join(path))
    };
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    let mut resolved = loop {
        if let Ok(resolved) = fs::canonicalize(existing) {
            break resolved;
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = parent;
            }
            _ => break existing.to_path_buf(),
        }
    };
    for component in rest.into_iter().rev() {
        match component {
            std::path::Component::ParentDir => {
                resolved.pop();
            }
            std::path::Component::Normal(name) => resolved.push(name),
            _ => {}
        }
    }
    resolved
}

/// The site's own folder for state and scratch (not part of the output). It lives here, with
/// the other folders the output must never be, so that `lock` (which takes its lock file in
/// it) depends on `write` and not the other way round.
pub const STATE_DIR: &str = ".shuyuan";
/// The output folder when `--output` names none, in the site root.
pub const DEFAULT_OUTPUT: &str = "public";
const SCRATCH_DIR: &str = "tmp";

/// The folder for the scratch of runs on the site at `root`.
pub fn scratch_dir(root: &Path) -> PathBuf {
    root.join(STATE_DIR).join(SCRATCH_DIR)
}

/// The output folder must not be the site root or hold it, and must not be, hold or lie in
/// the site's sources ([`protected_paths`]).
pub fn check_output_location(
    root: &Path,
    theme_dir: &Path,
    output: &Path,
) -> Result<(), Diagnostic> {
    let output_abs = canonical(output);
    // The run's own state and scratch folders: runs' work folders lie in the latter.
    let state = [root.join(STATE_DIR), scratch_dir(root)];
    let caches = canonical(&crate::cache::dir(&root.join(STATE_DIR)));
    let clashes = canonical(root).starts_with(&output_abs)
        || state.iter().any(|dir| canonical(dir) == output_abs)
        || output_abs.starts_with(&caches)
        || protected_paths(root, theme_dir)
            .iter()
            .any(|p| output_abs.starts_with(p) || p.starts_with(&output_abs));
    if clashes {
        return Err(Diagnostic::error(
            Code::UnsafeOutput,
            output,
            "输出目录不能是站点根目录或它的上级目录，不能是书院自用的 .shuyuan/、.shuyuan/tmp/，不能位于 .shuyuan/cache/ 之中，也不能是、包含或位于 content/、themes/（主题）、templates/、static/ 之中：构建会替换整个输出目录。请换一个目录，例如 public",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_applies_dot_dot_in_the_part_that_does_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        let root = fs::canonicalize(dir.path()).unwrap();
        fs::create_dir_all(root.join("content")).unwrap();
        assert_eq!(
            canonical(&root.join("not-yet/../content/x")),
            root.join("content/x")
        );
        assert_eq!(canonical(&root.join("a/b/../../c")), root.join("c"));
    }
}
