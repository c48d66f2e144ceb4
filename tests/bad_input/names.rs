//! Failure modes of #12.7: names that break on Windows or on other file systems.

use super::harness::*;

/// A file stem of 251 bytes: `.md` makes a name the file system takes, `.html` one it refuses.
macro_rules! long_stem {
    () => {
        "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
    };
}

pub const CASES: &[Case] = &[
    // --- #12.7: names that break elsewhere ---
    Case {
        name: "an empty slug",
        setup: |s| bad_page(s, "slug: ''"),
        args: &["build"],
        code: "invalid-name",
        location: "content/cases/bad.md:3:7",
        after: |s| assert!(!s.out().join("cases/.html").exists()),
    },
    Case::new(
        "a blank slug",
        |s| bad_page(s, "slug: '   '"),
        &["build"],
        "invalid-name",
        "content/cases/bad.md:3:7",
    ),
    Case::new(
        "a hidden slug",
        |s| bad_page(s, "slug: .hidden"),
        &["build"],
        "invalid-name",
        "content/cases/bad.md:3:7",
    ),
    Case::new(
        "a slug that is a Windows device name",
        |s| bad_page(s, "slug: CON"),
        &["build"],
        "invalid-name",
        "content/cases/bad.md:3:7",
    ),
    Case::new(
        "a lower-case device name with an extension as slug",
        |s| bad_page(s, "slug: aux.backup"),
        &["build"],
        "invalid-name",
        "content/cases/bad.md:3:7",
    ),
    Case::new(
        "a page file named after a device",
        |s| {
            s.write("content/cases/nul.md", "---\ntitle: 空设备\n---\n");
        },
        &["build"],
        "invalid-name",
        "content/cases/nul.md:1:1",
    ),
    Case::new(
        "an attachment named after a device",
        |s| {
            s.write("content/guides/COM1.pdf", "%PDF-1.4\n");
        },
        &["build"],
        "invalid-name",
        "content/guides/COM1.pdf",
    ),
    Case::new(
        "a section folder named after a device",
        |s| {
            s.write("content/lpt1/_index.md", "---\ntitle: 打印口\n---\n");
        },
        &["build"],
        "invalid-name",
        "content/lpt1/_index.md",
    ),
    Case::new(
        "a hidden old address",
        |s| bad_page(s, "aliases: [.well-known/old.html]"),
        &["build"],
        "invalid-name",
        "content/cases/bad.md:3:10",
    ),
    Case::new(
        "an old address named after a device",
        |s| bad_page(s, "aliases: [old/prn.html]"),
        &["build"],
        "invalid-name",
        "content/cases/bad.md:3:10",
    ),
    Case::new(
        "a 200-character tag",
        |s| {
            bad_page(
                s,
                &format!("date: 2024-03-01\ntags:\n  - {}", "长".repeat(200)),
            )
        },
        &["build"],
        "invalid-name",
        "content/cases/bad.md:5:3",
    ),
    Case::new(
        "a slug longer than a file name may be",
        |s| bad_page(s, &format!("slug: {}", "z".repeat(251))),
        &["build"],
        "invalid-name",
        "content/cases/bad.md:3:7",
    ),
    Case::new(
        "a page file name too long for its .html",
        |s| {
            assert_eq!(long_stem!().len(), 251);
            s.write(
                concat!("content/cases/", long_stem!(), ".md"),
                "---\ntitle: 长名\n---\n",
            );
        },
        &["build"],
        "invalid-name",
        concat!("content/cases/", long_stem!(), ".md:1:1"),
    ),
];
