//! The scanner end to end: folders, globs, hidden files, size limits, symlink loops, unreadable
//! paths and stdin — every file counted once, every failure reported, the scan never aborted
//! (DOMAIN R13.5, R4.3).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_scan::limits::Limits;
use baomi_scan::matcher::{parse_keyword_list, MatchOptions, Matcher, Rules};
use baomi_scan::report::{FileReport, FileStatus, Sink, SkipReason, Summary};
use baomi_scan::scanner::{scan, ScanError, ScanOptions};
use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug, Default)]
struct Collect {
    reports: Vec<FileReport>,
    summary: Option<Summary>,
}

impl Sink for Collect {
    fn file(&mut self, report: &FileReport) -> io::Result<()> {
        self.reports.push(report.clone());
        Ok(())
    }
    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.summary = Some(summary.clone());
        Ok(())
    }
}

fn matcher() -> Matcher {
    Matcher::new(
        Rules {
            marks: true,
            keywords: parse_keyword_list("某某工程\n").unwrap(),
            regexes: Vec::new(),
        },
        MatchOptions::default(),
    )
    .unwrap()
}

fn options(paths: &[&Path]) -> ScanOptions {
    ScanOptions {
        paths: paths.iter().map(|p| p.to_path_buf()).collect(),
        threads: 2,
        ..ScanOptions::default()
    }
}

fn run(opts: &ScanOptions) -> (Vec<FileReport>, Summary) {
    let mut sink = Collect::default();
    let summary = scan(opts, &matcher(), &mut sink).unwrap();
    assert_eq!(
        sink.summary.as_ref(),
        Some(&summary),
        "finish gets the summary"
    );
    (sink.reports, summary)
}

fn write(root: &Path, rel: &str, content: &[u8]) -> PathBuf {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, content).unwrap();
    path
}

/// The report paths relative to `root`, in report order.
fn rel_paths(reports: &[FileReport], root: &Path) -> Vec<String> {
    let prefix = format!("{}/", root.display());
    reports
        .iter()
        .map(|r| r.path.strip_prefix(&prefix).unwrap_or(&r.path).to_owned())
        .collect()
}

/// A small tree: two text files with hits, one clean, one binary.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "b.txt", "第一行\n机密★10年\n".as_bytes());
    write(root, "a/deep/er/c.md", "关于某某工程\n".as_bytes());
    write(root, "a/clean.txt", b"nothing here\n");
    write(root, "a/blob.bin", b"\x00\x01\x02\x03\xff\xfe binary");
    dir
}

#[test]
fn r13_5_folders_are_walked_recursively_in_path_order() {
    let dir = tree();
    let (reports, summary) = run(&options(&[dir.path()]));
    assert_eq!(
        rel_paths(&reports, dir.path()),
        vec!["a/blob.bin", "a/clean.txt", "a/deep/er/c.md", "b.txt"]
    );
    let found: Vec<(String, u64, u64, String)> = reports
        .iter()
        .flat_map(|r| &r.findings)
        .map(|f| {
            let rel = f.path.rsplit('/').next().unwrap().to_owned();
            (rel, f.line, f.column, f.matched.clone())
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("c.md".to_owned(), 1, 3, "某某工程".to_owned()),
            ("b.txt".to_owned(), 2, 1, "机密★10年".to_owned()),
        ]
    );
    assert_eq!(summary.files, 4);
    assert_eq!(summary.scanned, 3);
    assert_eq!(
        summary.skipped_unknown, 1,
        "the binary is skipped and counted"
    );
    assert_eq!(summary.failed, 0);
    assert_eq!(summary.findings, 2);
    let expected_bytes: u64 = ["b.txt", "a/deep/er/c.md", "a/clean.txt", "a/blob.bin"]
        .iter()
        .map(|p| std::fs::metadata(dir.path().join(p)).unwrap().len())
        .sum();
    assert_eq!(summary.bytes, expected_bytes);
}

#[test]
fn output_order_does_not_depend_on_threads() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..40 {
        write(
            dir.path(),
            &format!("d{}/f{i:02}.txt", i % 3),
            format!("{i}\n机密★{}年\n", i % 9 + 1).as_bytes(),
        );
    }
    let mut one = options(&[dir.path()]);
    one.threads = 1;
    let mut many = options(&[dir.path()]);
    many.threads = 8;
    let (a, _) = run(&one);
    let (b, _) = run(&many);
    assert_eq!(a, b);
    assert_eq!(a.len(), 40);
}

#[test]
fn r13_5_include_and_exclude_globs() {
    let dir = tree();
    let mut opts = options(&[dir.path()]);
    opts.include = vec!["*.md".into(), "*.txt".into()];
    opts.exclude = vec!["deep".into(), "clean.txt".into()];
    let (reports, summary) = run(&opts);
    assert_eq!(rel_paths(&reports, dir.path()), vec!["b.txt"]);
    // Excluded and not-included files are not counted at all.
    assert_eq!(summary.files, 1);
    assert_eq!(summary.skipped(), 0);
}

#[test]
fn invalid_glob_is_an_error_before_anything_is_scanned() {
    let dir = tree();
    let mut opts = options(&[dir.path()]);
    opts.include = vec!["a[".into()];
    let mut sink = Collect::default();
    let err = scan(&opts, &matcher(), &mut sink).unwrap_err();
    assert!(matches!(err, ScanError::Glob { .. }), "{err:?}");
    assert!(sink.reports.is_empty());
}

#[test]
fn hidden_files_are_left_out_unless_asked_for_and_ignore_files_are_not_honoured() {
    let dir = tree();
    write(dir.path(), ".secret/x.txt", "绝密★30年\n".as_bytes());
    write(dir.path(), ".dot.txt", "秘密★5年\n".as_bytes());
    // A confidentiality scan must not skip what .gitignore or .ignore list.
    write(dir.path(), ".gitignore", b"b.txt\na/\n");
    write(dir.path(), ".ignore", b"b.txt\n");
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();

    let (reports, summary) = run(&options(&[dir.path()]));
    let paths = rel_paths(&reports, dir.path());
    assert!(paths.contains(&"b.txt".to_owned()), "{paths:?}");
    assert!(paths.contains(&"a/deep/er/c.md".to_owned()), "{paths:?}");
    assert!(!paths.iter().any(|p| p.starts_with('.')), "{paths:?}");
    assert_eq!(summary.files, 4);

    let mut hidden = options(&[dir.path()]);
    hidden.hidden = true;
    let (reports, summary) = run(&hidden);
    let paths = rel_paths(&reports, dir.path());
    assert!(paths.contains(&".secret/x.txt".to_owned()), "{paths:?}");
    assert!(paths.contains(&".dot.txt".to_owned()), "{paths:?}");
    assert_eq!(summary.files, 8);

    // A hidden file named explicitly is always scanned.
    let (reports, _) = run(&options(&[&dir.path().join(".dot.txt")]));
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].findings.len(), 1);
}

#[test]
fn files_over_the_size_limit_are_skipped_and_counted() {
    let dir = tree();
    write(dir.path(), "big.txt", "机密★10年\n".repeat(100).as_bytes());
    let mut opts = options(&[dir.path()]);
    opts.limits = Limits {
        max_file_size: 1000,
        ..Limits::default()
    };
    let (reports, summary) = run(&opts);
    let big = reports
        .iter()
        .find(|r| r.path.ends_with("big.txt"))
        .unwrap();
    assert_eq!(
        big.status,
        FileStatus::Skipped(SkipReason::TooLarge {
            size: 1500,
            limit: 1000
        })
    );
    assert_eq!(big.bytes, 0, "not read");
    assert!(big.findings.is_empty());
    assert_eq!(summary.skipped_too_large, 1);
    assert_eq!(summary.skipped(), 2, "too large + unknown binary");
    assert_eq!(summary.scanned, 3);
}

#[cfg(unix)]
#[test]
fn symlink_loop_is_bounded_and_reported_when_following_links() {
    let dir = tree();
    std::os::unix::fs::symlink(dir.path().join("a"), dir.path().join("a/deep/loop")).unwrap();
    let mut opts = options(&[dir.path()]);
    opts.follow_links = true;
    let (reports, summary) = run(&opts);
    let failed: Vec<&FileReport> = reports
        .iter()
        .filter(|r| r.status == FileStatus::Failed)
        .collect();
    assert_eq!(failed.len(), 1, "{reports:?}");
    assert!(failed[0].path.ends_with("a/deep/loop"), "{:?}", failed[0]);
    assert!(
        failed[0].failures[0].reason.contains("loop"),
        "{:?}",
        failed[0].failures
    );
    assert_eq!(summary.failed, 1);
    assert_eq!(summary.scanned, 3, "the rest of the tree is still scanned");

    // Without --follow the link is not walked (and not counted).
    let (reports, summary) = run(&options(&[dir.path()]));
    assert!(reports.iter().all(|r| r.status != FileStatus::Failed));
    assert_eq!(summary.files, 4);
}

#[cfg(unix)]
#[test]
fn dangling_symlink_and_missing_path_are_counted_failures() {
    let dir = tree();
    std::os::unix::fs::symlink(
        dir.path().join("gone.txt"),
        dir.path().join("a/dangling.txt"),
    )
    .unwrap();
    let missing = dir.path().join("no-such-file.txt");
    let mut opts = options(&[dir.path(), &missing]);
    opts.follow_links = true;
    let (reports, summary) = run(&opts);
    let failed: Vec<String> = reports
        .iter()
        .filter(|r| r.status == FileStatus::Failed)
        .map(|r| r.path.rsplit('/').next().unwrap().to_owned())
        .collect();
    assert_eq!(failed, vec!["dangling.txt", "no-such-file.txt"]);
    assert_eq!(summary.failed, 2);
    assert_eq!(summary.findings, 2, "the other files are still scanned");
}

#[cfg(target_os = "linux")]
#[test]
fn unreadable_file_is_a_counted_failure() {
    // Permissions cannot make a file unreadable for root (CI runs as root), so use a regular
    // file whose read fails for everyone: /proc/self/mem reads at offset 0, which is never
    // mapped, and fails with EIO.
    let dir = tree();
    let mem = Path::new("/proc/self/mem");
    assert!(std::fs::metadata(mem).unwrap().is_file());
    let (reports, summary) = run(&options(&[mem, &dir.path().join("b.txt")]));
    assert_eq!(reports[0].path, "/proc/self/mem");
    assert_eq!(reports[0].status, FileStatus::Failed);
    assert!(!reports[0].failures[0].reason.is_empty());
    assert_eq!(summary.failed, 1);
    assert_eq!(reports[1].findings.len(), 1, "the scan goes on");
}

#[cfg(unix)]
#[test]
fn fifo_is_skipped_not_read() {
    let dir = tree();
    let fifo = dir.path().join("a/pipe");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "mkfifo (coreutils) works"
    );
    let (reports, summary) = run(&options(&[dir.path()]));
    let pipe = reports.iter().find(|r| r.path.ends_with("a/pipe")).unwrap();
    assert_eq!(pipe.status, FileStatus::Skipped(SkipReason::NotRegular));
    assert_eq!(summary.skipped_not_regular, 1);
}

#[test]
fn stdin_is_one_file_named_stdin() {
    // Under the test runner stdin is empty (or /dev/null): one scanned file without findings.
    // The CLI tests feed real content through `baomi scan -`.
    let dir = tree();
    let (reports, summary) = run(&options(&[Path::new("-"), &dir.path().join("b.txt")]));
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0].path, "<stdin>");
    assert!(reports[0].findings.is_empty());
    assert_eq!(reports[1].findings.len(), 1);
    assert_eq!(summary.files, 2);
}

#[test]
fn r13_5_failed_member_of_an_archive_is_reported_and_the_rest_scanned() {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    zip.start_file("ok.txt", opts).unwrap();
    zip.write_all("正文\n机密★10年\n".as_bytes()).unwrap();
    zip.start_file("broken.xml", opts).unwrap();
    zip.write_all("<a>\n<b>秘密★5年</b>\n<c x=\"</a>".as_bytes())
        .unwrap();
    let bytes = zip.finish().unwrap().into_inner();

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bundle.zip", &bytes);
    let (reports, summary) = run(&options(&[dir.path()]));
    assert_eq!(reports.len(), 1);
    let r = &reports[0];
    assert!(matches!(r.status, FileStatus::Scanned { .. }), "{r:?}");
    let found: Vec<(Vec<String>, u64, &str)> = r
        .findings
        .iter()
        .map(|f| (f.inner.clone(), f.line, f.matched.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            (vec!["ok.txt".to_owned()], 2, "机密★10年"),
            (vec!["broken.xml".to_owned()], 2, "秘密★5年"),
        ]
    );
    assert_eq!(r.failures.len(), 1);
    assert_eq!(r.failures[0].inner, vec!["broken.xml".to_owned()]);
    assert_eq!(summary.nested_failed, 1);
    assert_eq!(summary.failed, 0);
}
