//! Front matter: any file text, split into YAML and body and checked against the built-in
//! schema (and the nesting guard), must give a document or diagnostics, never a panic.
#![no_main]

use std::path::{Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use shuyuan::diagnostics::Diagnostics;
use shuyuan::schema::Schema;
use shuyuan::source::load::SourceFile;

fuzz_target!(|text: &str| {
    let schema = Schema::builtin();
    let root = Path::new("/site");
    let mut diagnostics = Diagnostics::default();
    let files = ["cases/a.md", "cases/_index.md"].map(|rel| SourceFile {
        rel: rel.to_string(),
        path: PathBuf::from("/site/content").join(rel),
        text: text.to_string(),
    });
    let documents =
        shuyuan::source::parse::parse_all(root, files.into(), &schema, &mut diagnostics);
    for diagnostic in diagnostics.iter() {
        // Formatting quotes the source line around the column: it must not slice badly.
        let _ = diagnostic.to_string();
    }
    assert!(documents.len() + diagnostics.error_count() >= 1);
});
