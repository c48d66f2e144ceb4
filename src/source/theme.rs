//! Theme: which template and static files a site renders with. The site's own `templates/`
//! and `static/` override its theme file by file; the theme is the folder
//! `themes/<theme>/`, or — when a site has no such folder and names no other theme — the
//! default theme embedded in the binary by `build.rs`, so a bare folder of Markdown builds as
//! it is and `init` works without this repository.

use std::path::{Path, PathBuf};

use crate::config::{Config, DEFAULT_THEME_NAME};

include!(concat!(env!("OUT_DIR"), "/default_theme.rs"));

/// The theme's and the site's template and static folders, overrides first.
pub struct ThemeFiles {
    pub template_dirs: Vec<PathBuf>,
    pub static_dirs: Vec<PathBuf>,
    /// The embedded default theme, under every folder, when the site has no theme folder.
    pub embedded: bool,
}

impl ThemeFiles {
    pub fn for_site(root: &Path, config: &Config) -> ThemeFiles {
        let theme_dir = config.theme_dir();
        let mut files = ThemeFiles {
            template_dirs: vec![root.join("templates")],
            static_dirs: vec![root.join("static")],
            embedded: !theme_dir.is_dir(),
        };
        if !files.embedded {
            files.template_dirs.push(theme_dir.join("templates"));
            files.static_dirs.push(theme_dir.join("static"));
        }
        files
    }

    /// The embedded theme's files under `folder` (`templates` or `static`): path inside that
    /// folder, contents. Empty when the site has a theme folder of its own.
    pub fn embedded_files(
        &self,
        folder: &str,
    ) -> impl Iterator<Item = (&'static str, &'static [u8])> {
        let prefix = format!("{folder}/");
        DEFAULT_THEME
            .iter()
            .filter(move |_| self.embedded)
            .filter_map(move |(path, bytes)| Some((path.strip_prefix(prefix.as_str())?, *bytes)))
    }

    /// Where template `name` would be, for messages: in the theme folder, or where `init`
    /// writes the embedded one.
    pub fn template_path(&self, name: &str) -> PathBuf {
        match self.template_dirs.get(1) {
            Some(theme_templates) => theme_templates.join(name),
            None => Path::new("themes")
                .join(DEFAULT_THEME_NAME)
                .join("templates")
                .join(name),
        }
    }
}
