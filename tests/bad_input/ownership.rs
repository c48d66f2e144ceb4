//! Failure modes of what a build or a pack may replace: only folders and zips we made, never
//! the site's sources, the folders holding them, or an editor's own files.

use super::harness::*;

pub const CASES: &[Case] = &[
    // --- Ownership: only folders we made are replaced ---
    Case::new(
        "a foreign, non-empty public/ without the marker",
        |s| {
            std::fs::remove_dir_all(s.out()).unwrap();
            s.write("public/报告.docx", "一份文件");
        },
        &["build"],
        "unsafe-output",
        "./public",
    ),
    Case::new(
        "build --output content",
        nothing,
        &["build", "--output", "content"],
        "unsafe-output",
        "content",
    ),
    Case::new(
        "build --output the site root",
        nothing,
        &["build", "--output", "."],
        "unsafe-output",
        ".",
    ),
    Case::new(
        "build --output the folder holding the site",
        nothing,
        &["build", "--output", ".."],
        "unsafe-output",
        "..",
    ),
    Case {
        name: "build --output inside the theme",
        setup: nothing,
        args: &["build", "--output", "themes/default/out"],
        code: "unsafe-output",
        location: "themes/default/out",
        after: |s| assert!(!s.root().join("themes/default/out").exists()),
    },
    Case {
        name: "build --output templates",
        setup: nothing,
        args: &["build", "--output", "templates"],
        code: "unsafe-output",
        location: "templates",
        after: |s| assert!(!s.root().join("templates").exists()),
    },
    Case {
        name: "build --output static",
        setup: nothing,
        args: &["build", "--output", "static"],
        code: "unsafe-output",
        location: "static",
        after: |s| assert!(!s.root().join("static").exists()),
    },
    Case {
        name: "build --output a folder that climbs back into content/",
        setup: nothing,
        args: &["build", "--output", "not-yet/../content/out"],
        code: "unsafe-output",
        location: "not-yet/../content/out",
        after: |s| assert!(!s.root().join("not-yet").exists()),
    },
    Case {
        name: "build --output the scratch folder of runs",
        setup: |s| std::fs::create_dir_all(s.root().join(".shuyuan/tmp")).unwrap(),
        args: &["build", "--output", ".shuyuan/tmp"],
        code: "unsafe-output",
        location: ".shuyuan/tmp",
        after: |s| {
            let left = std::fs::read_dir(s.root().join(".shuyuan/tmp"))
                .unwrap()
                .count();
            assert_eq!(left, 0, "nothing written into the scratch folder");
        },
    },
    Case {
        name: "build --output an existing file",
        setup: |s| {
            s.write("output.txt", "我的笔记");
        },
        args: &["build", "--output", "output.txt"],
        code: "unsafe-output",
        location: "output.txt",
        after: |s| same_bytes(s, "output.txt", "我的笔记".as_bytes()),
    },
];
