//! One run at a time per site, and no litter from runs that were killed: the real binary
//! run twice at once, killed with SIGKILL, interrupted with SIGINT and SIGTERM, and faced
//! with a read-only output, each checked on the real file system.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{BIN, TestSite};

/// Long enough for a debug build on a busy machine; a passing test waits far less.
const WAIT: Duration = Duration::from_secs(120);

/// A site whose build takes long enough (a second or more in a debug build) to be caught
/// in the middle.
fn big_site() -> TestSite {
    let site = TestSite::fixture("basic");
    site.write_cases("load", 300, "负载, 测试");
    site
}

fn spawn(site: &TestSite, args: &[&str], tmp: &Path) -> Child {
    Command::new(BIN)
        .args(args)
        .current_dir(site.root())
        .env("TMPDIR", tmp)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start shuyuan")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Names in `dir` (sorted), hidden ones included.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Waits until `found` returns something, while `child` runs.
fn wait_for<T>(child: &mut Child, mut found: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(value) = found() {
            return value;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it was caught"
        );
        assert!(Instant::now() < deadline, "nothing appeared");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The staging folder a build of `site` is writing, once it exists.
fn staging_of(site: &TestSite) -> Option<PathBuf> {
    names(site.root())
        .into_iter()
        .find(|n| n.starts_with(".public.staging-"))
        .map(|n| site.root().join(n))
}

/// A process id that belonged to a process that has ended.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

fn marked_folder(path: &Path) {
    std::fs::create_dir_all(path.join("cases")).unwrap();
    std::fs::write(path.join(".shuyuan-output"), "built by shuyuan\n").unwrap();
    std::fs::write(path.join("cases/half.html"), "<p>写了一半").unwrap();
}

#[test]
fn a_second_run_is_refused_and_told_who_holds_the_site() {
    let site = TestSite::fixture("basic");
    site.build_ok();
    let before = common::tree(&site.out());
    let tmp = tempfile::tempdir().unwrap();
    let mut serve = Command::new(BIN)
        .args(["serve", "--no-watch", "--port", "0"])
        .current_dir(site.root())
        .env("TMPDIR", tmp.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(serve.stdout.take().unwrap()));
    assert!(lines.any(|l| l.unwrap().starts_with("正在预览")));

    site.write(
        "content/cases/new.md",
        "---\ntitle: 新案例\n---\n\n正文。\n",
    );
    let started = Instant::now();
    for command in [&["build"][..], &["pack"], &["serve", "--port", "0"]] {
        let out = site.run(command);
        assert_eq!(out.status.code(), Some(1), "{command:?}: {}", stderr(&out));
        let message = stderr(&out);
        assert!(
            message.contains(&format!("进程 {}（shuyuan serve，开始于 ", serve.id()))
                && message.contains("不能同时运行"),
            "{command:?}: {message}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "refused at once"
    );
    assert_eq!(
        common::tree(&site.out()),
        before,
        "the refused build wrote nothing"
    );
    assert!(
        site.root().join(".shuyuan/lock").is_file(),
        "a refused run leaves the holder's note alone"
    );

    // Ctrl-C ends the preview and releases the lock: the next build finds nothing stale.
    Command::new("kill")
        .args(["-INT", &serve.id().to_string()])
        .status()
        .unwrap();
    assert!(serve.wait().unwrap().success());
    assert!(!site.root().join(".shuyuan/lock").exists());
    let out = site.build_ok();
    assert!(!stderr(&out).contains("提示"), "{}", stderr(&out));
    assert!(site.out().join("cases/new.html").is_file());
}

#[test]
fn a_killed_server_leaves_a_stale_lock_that_the_next_run_takes_over() {
    let site = TestSite::fixture("basic");
    let tmp = tempfile::tempdir().unwrap();
    let mut serve = Command::new(BIN)
        .args(["serve", "--port", "0"])
        .current_dir(site.root())
        .env("TMPDIR", tmp.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(serve.stdout.take().unwrap()));
    assert!(lines.any(|l| l.unwrap().starts_with("正在预览")));
    let pid = serve.id();
    serve.kill().unwrap();
    serve.wait().unwrap();
    let scratch = site.root().join(".shuyuan/tmp");
    assert_eq!(
        names(&scratch),
        [format!("serve-{pid}-0"), format!("text-{pid}-1")],
        "its builds and its text store"
    );
    assert!(
        names(tmp.path()).is_empty(),
        "nothing in the system's temp folder"
    );

    let out = site.build_ok();
    let notes = stderr(&out);
    assert!(
        notes.contains(&format!(
            "提示：上次运行——进程 {pid}（shuyuan serve，开始于 "
        )) && notes.contains("没有正常结束"),
        "{notes}"
    );
    assert!(names(&scratch).is_empty(), "{:?}", names(&scratch));
    assert!(!site.root().join(".shuyuan/lock").exists());
}

#[test]
fn a_build_killed_midway_leaves_litter_that_the_next_build_removes() {
    let site = big_site();
    let tmp = tempfile::tempdir().unwrap();
    let mut build = spawn(&site, &["build"], tmp.path());
    let staging = wait_for(&mut build, || staging_of(&site));
    build.kill().unwrap();
    build.wait().unwrap();
    assert!(staging.exists(), "SIGKILL leaves the staging folder");
    // What other killed runs leave: the index's and a pack's work folders.
    let dead = dead_pid();
    let scratch = site.root().join(".shuyuan/tmp");
    for work in [format!("postings-{dead}-0"), format!("pack-{dead}-3")] {
        std::fs::create_dir_all(scratch.join(&work).join("site")).unwrap();
        std::fs::write(scratch.join(&work).join("r0"), [7; 100]).unwrap();
    }

    let out = site.build_ok();
    let notes = stderr(&out);
    assert!(notes.contains("已删除进程"), "{notes}");
    assert_eq!(staging_of(&site), None, "{:?}", names(site.root()));
    assert!(names(&scratch).is_empty(), "{:?}", names(&scratch));
    assert!(
        names(tmp.path()).is_empty(),
        "nothing in the system's temp folder"
    );
    let fresh = TestSite::new();
    for entry in std::fs::read_dir(site.root()).unwrap() {
        let entry = entry.unwrap();
        if [".shuyuan", "public", "themes"].contains(&&*entry.file_name().to_string_lossy()) {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            common::copy_dir(&entry.path(), &fresh.root().join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), fresh.root().join(entry.file_name())).unwrap();
        }
    }
    fresh.build_ok();
    assert!(
        common::tree(&site.out()) == common::tree(&fresh.out()),
        "the output is a clean build's"
    );
}

#[test]
fn a_run_killed_while_swapping_outputs_gets_the_previous_output_back() {
    let site = TestSite::fixture("basic");
    site.build_ok();
    let before = common::tree(&site.out());
    // Killed between moving the old output aside and moving the new one in.
    let dead = dead_pid();
    let aside = site.root().join(format!(".public.staging-{dead}.old"));
    std::fs::rename(site.out(), &aside).unwrap();
    marked_folder(&site.root().join(format!(".public.staging-{dead}")));
    // Not ours (no marker): never touched.
    let foreign = site.root().join(format!(".public.staging-{dead}-notes"));
    std::fs::create_dir_all(&foreign).unwrap();
    let unmarked = site.root().join(".public.staging-1");
    std::fs::create_dir_all(&unmarked).unwrap();
    std::fs::write(unmarked.join("mine.txt"), "编辑的文件").unwrap();
    // This build fails, so what stays is what was there before the killed run.
    site.write("content/cases/broken.md", "---\ntitle: [\n---\n");

    let out = site.build();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("已把原来的内容放回"),
        "{}",
        stderr(&out)
    );
    assert!(
        !site.root().join(".shuyuan/lock").exists(),
        "released after an error"
    );
    assert_eq!(
        common::tree(&site.out()),
        before,
        "the previous output is back"
    );
    let left: Vec<String> = names(site.root())
        .into_iter()
        .filter(|n| n.starts_with(".public"))
        .collect();
    assert_eq!(
        left,
        [
            ".public.staging-1",
            &format!(".public.staging-{dead}-notes")
        ]
    );
    assert_eq!(
        std::fs::read_to_string(unmarked.join("mine.txt")).unwrap(),
        "编辑的文件"
    );
}

/// `build --output` may name a folder outside the site. Beside it, only what a killed run of
/// ours left goes (a staging folder carrying the marker); a file or an unmarked folder that
/// happens to carry a staging name is someone else's and stays.
#[test]
fn beside_an_output_outside_the_site_only_our_staging_is_cleared() {
    let site = TestSite::fixture("basic");
    let elsewhere = tempfile::tempdir().unwrap();
    let output = elsewhere.path().join("站点");
    let ours = elsewhere
        .path()
        .join(format!(".站点.staging-{}", dead_pid()));
    marked_folder(&ours);
    let file = elsewhere.path().join(".站点.staging-1");
    std::fs::write(&file, "别人的笔记").unwrap();
    let folder = elsewhere.path().join(".站点.staging-2");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("mine.txt"), "编辑的文件").unwrap();

    let out = site.run(&["build", "--output", &output.to_string_lossy()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(output.join(".shuyuan-output").is_file());
    assert!(!ours.exists(), "the killed run's staging goes");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "别人的笔记");
    assert_eq!(
        std::fs::read_to_string(folder.join("mine.txt")).unwrap(),
        "编辑的文件"
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_and_sigterm_clean_up_and_keep_the_previous_output() {
    let site = big_site();
    site.build_ok();
    let before = common::tree(&site.out());
    site.write(
        "content/cases/new.md",
        "---\ntitle: 新案例\n---\n\n正文。\n",
    );
    let tmp = tempfile::tempdir().unwrap();
    for signal in ["-INT", "-TERM"] {
        let mut build = spawn(&site, &["build"], tmp.path());
        wait_for(&mut build, || staging_of(&site));
        Command::new("kill")
            .args([signal, &build.id().to_string()])
            .status()
            .unwrap();
        let out = build.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(130), "{signal}: {}", stderr(&out));
        assert!(stderr(&out).contains("已中断"), "{}", stderr(&out));
        assert_eq!(staging_of(&site), None, "{signal}");
        assert!(names(&site.root().join(".shuyuan/tmp")).is_empty());
        assert!(
            !site.root().join(".shuyuan/lock").exists(),
            "{signal}: released"
        );
        assert!(
            common::tree(&site.out()) == before,
            "{signal}: the previous output stays"
        );
    }
    let out = site.build_ok();
    assert!(
        !stderr(&out).contains("提示"),
        "nothing stale: {}",
        stderr(&out)
    );
}

#[test]
fn a_killed_pack_leaves_nothing_in_the_system_temp_folder_and_the_next_pack_clears_it() {
    let site = big_site();
    let tmp = tempfile::tempdir().unwrap();
    let zip = site.root().join("资料.zip");
    let zip_arg = zip.to_string_lossy().into_owned();
    let mut pack = spawn(&site, &["pack", "--output", &zip_arg], tmp.path());
    let scratch = site.root().join(".shuyuan/tmp");
    wait_for(&mut pack, || {
        names(&scratch).into_iter().find(|n| n.starts_with("pack-"))
    });
    pack.kill().unwrap();
    pack.wait().unwrap();
    assert!(names(tmp.path()).is_empty(), "{:?}", names(tmp.path()));
    let half = site
        .root()
        .join(format!(".资料.zip.staging-{}", dead_pid()));
    std::fs::write(&half, b"PK half a zip").unwrap();

    let out = site.run(&["pack", "--output", &zip_arg]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(names(&scratch).is_empty(), "{:?}", names(&scratch));
    assert!(!half.exists(), "the half-written zip of a killed pack goes");
    assert!(std::fs::read(&zip).unwrap().starts_with(b"PK\x03\x04"));
    assert!(names(tmp.path()).is_empty());
}

/// A `public/` made read-only (`chmod -R a-w`) is replaced and leaves no `.old` folder. Root
/// may write anywhere, so as root the build runs as `nobody`.
#[cfg(target_os = "linux")]
#[test]
fn a_read_only_output_is_replaced_without_leaving_the_old_one() {
    let site = TestSite::fixture("basic");
    let as_root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let run = |args: &[&str]| {
        let mut command = if as_root {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN]);
            c
        } else {
            Command::new(BIN)
        };
        command
            .args(args)
            .current_dir(site.root())
            .output()
            .unwrap()
    };
    if as_root {
        let owned = Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(site.root())
            .status()
            .unwrap();
        assert!(owned.success());
    }
    let out = run(&["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let made_read_only = Command::new("chmod")
        .args(["-R", "a-w"])
        .arg(site.out())
        .status()
        .unwrap();
    assert!(made_read_only.success());
    site.write(
        "content/cases/new.md",
        "---\ntitle: 新案例\n---\n\n正文。\n",
    );
    if as_root {
        Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(site.root().join("content"))
            .status()
            .unwrap();
    }

    let out = run(&["build"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(site.out().join("cases/new.html").is_file());
    let left: Vec<String> = names(site.root())
        .into_iter()
        .filter(|n| n.starts_with(".public"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
