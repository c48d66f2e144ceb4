//! Markdown rendering: any body renders (with raw HTML dropped and allowed) without a panic,
//! every link it reports points into the body, and its placeholders are ones the body lacks
//! (a body that nests too deep or holds too many marks renders as nothing, with no
//! placeholders to check).
#![no_main]

use libfuzzer_sys::fuzz_target;
use shuyuan::source::markdown::{options, render};

fuzz_target!(|body: &str| {
    for allow_html in [false, true] {
        let rendered = render(body, "cases/sub/a.md", &options(allow_html));
        let rendered_whole = shuyuan::source::nesting::too_deep(body).is_none()
            && shuyuan::source::density::too_dense(body).is_none();
        if rendered_whole {
            assert!(!body.contains(&rendered.link_prefix));
        }
        let lines = body.split_inclusive(['\n', '\r']).count().max(1);
        for link in &rendered.links {
            assert!(link.line >= 1 && link.line <= lines + 1, "{link:?}");
        }
    }
});
