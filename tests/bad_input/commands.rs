//! Failure modes of the place a command works on rather than of the pages: an output folder
//! that is a file system's root (a USB stick), a search index damaged after the build, a
//! theme folder without templates, an address to serve on that the machine lacks, a search
//! limited to no results, a killed run's leftovers. Each is refused once, in Chinese, naming
//! the path or address, and leaves nothing behind.

use std::path::Path;
use std::process::Command;

use super::harness::*;
use crate::common::BIN;

/// Runs `script` (sh, with `$1` the mount point, `$2` the binary and `$3` the folder for its
/// reports) in a mount namespace of its own, where it may mount a tmpfs at `$1` as root
/// without being root. Fails, never skips, where the system allows no such namespace.
#[cfg(target_os = "linux")]
fn in_mount_namespace(site_root: &Path, mount_point: &Path, reports: &Path, script: &str) {
    let status = Command::new("unshare")
        .args([
            "--user",
            "--map-root-user",
            "--mount",
            "sh",
            "-c",
            script,
            "sh",
        ])
        .arg(mount_point)
        .arg(BIN)
        .arg(reports)
        .current_dir(site_root)
        .status()
        .expect("run unshare (util-linux)");
    assert!(
        status.success(),
        "unshare --user --map-root-user --mount could not mount a tmpfs ({status}): this test \
         needs unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or on \
         Ubuntu kernel.apparmor_restrict_unprivileged_userns=0), or to run as root"
    );
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A USB stick's root (`/media/u盘`, `E:\`) as the output: the swap renames the output folder,
/// which a mount point cannot be. It used to fail with the system's English "Device or resource
/// busy" as an `io` error and leave its staging folder beside the mount point.
#[cfg(target_os = "linux")]
#[test]
fn an_output_at_the_root_of_a_file_system_is_refused_and_a_folder_in_it_builds() {
    let site = good_site();
    let beside = tempfile::tempdir().unwrap();
    let stick = beside.path().join("u盘");
    std::fs::create_dir(&stick).unwrap();
    let reports = tempfile::tempdir().unwrap();
    in_mount_namespace(
        site.root(),
        &stick,
        reports.path(),
        r#"mount -t tmpfs tmpfs "$1" || exit 90
"$2" build --output "$1" 2>"$3/root.err"; echo $? >"$3/root.code"
ls -A "$1" >"$3/root.left"
"$2" build --output "$1/培训资料" 2>"$3/folder.err"; echo $? >"$3/folder.code"
ls -A "$1/培训资料" >"$3/folder.left""#,
    );
    let reports = reports.path();
    let stderr = read(&reports.join("root.err"));
    assert_eq!(read(&reports.join("root.code")).trim(), "1", "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let found = crate::common::diagnostics(&std::process::Output {
        status: Default::default(),
        stdout: Vec::new(),
        stderr: stderr.clone().into_bytes(),
    });
    assert!(
        found
            .iter()
            .any(|d| d.code == "unsafe-output" && d.location == stick.display().to_string()),
        "expected 错误[unsafe-output] at the mount point:\n{stderr}"
    );
    assert!(stderr.contains("根目录"), "{stderr}");
    assert!(
        !stderr.contains("busy"),
        "no English system error: {stderr}"
    );
    assert_eq!(
        read(&reports.join("root.left")),
        "",
        "nothing written on the stick"
    );
    let beside: Vec<_> = std::fs::read_dir(beside.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        beside,
        ["u盘"],
        "no staging folder left beside the mount point"
    );

    let built = read(&reports.join("folder.err"));
    assert_eq!(read(&reports.join("folder.code")).trim(), "0", "{built}");
    assert!(
        read(&reports.join("folder.left")).contains("index.html"),
        "a folder on the stick is a fine output"
    );
}

/// A search index damaged after the build (a bad copy, a file replaced by another program):
/// `search` says the index is damaged and to build again, not that a file could not be read.
#[test]
fn a_damaged_search_index_is_named_and_rebuilding_is_suggested() {
    let site = good_site();
    site.build_ok();
    let shards: Vec<_> = walkdir::WalkDir::new(site.out().join("search"))
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "meta.js"))
        .collect();
    assert!(!shards.is_empty());
    for (damage, bytes) in [
        ("other text", &b"var x = 1;\n"[..]),
        ("bytes that are no text", &b"\x00\xff\xfe{["[..]),
    ] {
        for shard in &shards {
            std::fs::write(shard, bytes).unwrap();
        }
        let out = site.run(&["search", "甲案例"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{damage}: {stderr}");
        assert!(
            stderr.contains("搜索索引已损坏") && stderr.contains("shuyuan build"),
            "{damage}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{damage}: {stderr}");
    }
    site.build_ok();
    let out = site.run(&["search", "甲案例"]);
    assert!(out.status.success(), "a new build mends it");
}

/// A theme folder without its templates (emptied, or `templates/` misnamed `template/`):
/// one error at the folder, where it used to be 13 “主题缺少模板” errors, one per template.
#[test]
fn a_theme_folder_without_templates_is_one_error_at_the_folder() {
    let site = good_site();
    site.build_ok();
    let before = std::fs::read(site.out().join("index.html")).unwrap();
    std::fs::rename(
        site.root().join("themes/default/templates"),
        site.root().join("themes/default/template"),
    )
    .unwrap();
    for command in ["build", "check"] {
        let out = site.run(&[command]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{command}: {stderr}");
        let found = crate::common::diagnostics(&out);
        assert_eq!(found.len(), 1, "{command}: {stderr}");
        assert_eq!(found[0].code, "template-syntax");
        assert_eq!(found[0].location, "themes/default/templates");
        assert!(found[0].message.contains("主题没有模板"), "{stderr}");
    }
    same_bytes(&site, "public/index.html", &before);
}

/// `serve --bind` an address this machine does not have (a typo, another machine's address)
/// was told the port might be busy and to try another `--port`, which cannot help.
#[test]
fn serving_on_an_address_this_machine_lacks_says_so_not_that_the_port_is_busy() {
    let site = good_site();
    // 192.0.2.0/24 is reserved for documentation: no machine has it.
    let out = site.run(&["serve", "--bind", "192.0.2.1", "--port", "0"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("这台电脑没有地址 192.0.2.1"), "{stderr}");
    assert!(!stderr.contains("端口可能已被占用"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A build killed while writing `public/`, then a build with another `--output`: the killed
/// run's staging in the site root used to stay for good (only the staging beside the new
/// output was cleared), and a `public/` it had moved aside was never put back.
#[test]
fn a_killed_builds_staging_beside_public_is_cleared_by_a_run_with_another_output() {
    // No process has an id this large (Linux allows at most 2^22).
    const GONE: u32 = 4_000_000_001;
    let site = good_site();
    site.build_ok();
    let previous = std::fs::read(site.out().join("index.html")).unwrap();
    // The killed run had moved the previous output aside and written half of the new one.
    std::fs::rename(
        site.out(),
        site.root().join(format!(".public.staging-{GONE}.old")),
    )
    .unwrap();
    let half = site.root().join(format!(".public.staging-{GONE}"));
    std::fs::create_dir_all(half.join("cases")).unwrap();
    std::fs::write(half.join(".shuyuan-output"), "built by shuyuan\n").unwrap();
    std::fs::write(half.join("cases/a.html"), "半个").unwrap();

    let out = site.run(&["build", "--output", "elsewhere"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("已把原来的内容放回"), "{stderr}");
    assert!(stderr.contains("已删除进程"), "{stderr}");
    let left: Vec<String> = std::fs::read_dir(site.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|name| name.contains(".staging-"))
        .collect();
    assert!(left.is_empty(), "staging left in the site root: {left:?}");
    same_bytes(&site, "public/index.html", &previous);
    assert!(site.root().join("elsewhere/index.html").is_file());
}

/// `search --limit 0` used to print one result: no limit is no answer to give, and says so.
#[test]
fn search_with_a_limit_of_zero_is_a_usage_error_in_chinese() {
    let site = good_site();
    site.build_ok();
    let out = site.run(&["search", "--limit", "0", "甲案例"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("至少为 1"), "{stderr}");
    assert!(out.stdout.is_empty(), "no result printed");
    let one = site.run(&["search", "--limit", "1", "--json", "甲案例"]);
    assert!(one.status.success());
    assert!(String::from_utf8_lossy(&one.stdout).contains("cases/a.html"));
}
