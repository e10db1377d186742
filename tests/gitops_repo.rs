//! The git repo panel's data and the working-tree watcher, against real
//! repositories in temp dirs (set up with the `git` binary, argv only) and
//! real `file://`, `ssh://` and `http://` remotes.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use bosun::gitops::repo::{self, AuthOptions, DirtyChange, DirtyFile, PullOutcome, RepoError};
use bosun::gitops::watch::{TreeWatcher, touched_apps};
use tempfile::TempDir;

// ---------------------------------------------------------------- helpers

/// Runs git with a fixed identity and no global/system config, so the
/// developer's or CI's git setup cannot change the outcome.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=Bosun Test",
            "-c",
            "user.email=test@bosun.example",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "core.hooksPath=/dev/null",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} in {} failed: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn write(dir: &Path, rel: &str, content: &str) {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, content).unwrap();
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap()
}

/// Writes `files`, stages everything and commits with `subject`.
fn commit(dir: &Path, files: &[(&str, &str)], subject: &str) -> String {
    for (rel, content) in files {
        write(dir, rel, content);
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", subject]);
    git(dir, &["rev-parse", "HEAD"])
}

fn head_id(dir: &Path) -> String {
    git(dir, &["rev-parse", "HEAD"])
}

fn init(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
}

/// Runs `f` on another thread and fails the test if it takes longer than
/// `limit`: network code must never hang.
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("did not finish within {limit:?}"))
}

/// A bare `file://` remote with one commit, and two clones of it: `ours`
/// (the one bosun looks at) and `theirs` (a colleague pushing).
struct Fixture {
    _tmp: TempDir,
    ours: PathBuf,
    theirs: PathBuf,
}

fn fixture() -> Fixture {
    let tmp = TempDir::new().unwrap();
    let seed = tmp.path().join("seed");
    init(&seed);
    commit(
        &seed,
        &[
            ("shared.txt", "one\n"),
            ("apps/blog/kustomization.yaml", "resources: []\n"),
        ],
        "initial",
    );
    let bare = tmp.path().join("remote.git");
    git(
        tmp.path(),
        &["init", "-q", "--bare", "-b", "main", "remote.git"],
    );
    let url = format!("file://{}", bare.display());
    git(&seed, &["push", "-q", &url, "main"]);
    let ours = tmp.path().join("ours");
    let theirs = tmp.path().join("theirs");
    for dest in [&ours, &theirs] {
        git(tmp.path(), &["clone", "-q", &url, dest.to_str().unwrap()]);
    }
    Fixture {
        _tmp: tmp,
        ours,
        theirs,
    }
}

fn short(id: &str) -> String {
    id[..7].to_string()
}

fn dirty(path: &str, change: DirtyChange) -> DirtyFile {
    DirtyFile {
        path: path.to_string(),
        change,
    }
}

// ---------------------------------------------------------------- status

#[test]
fn status_reports_branch_head_and_dirty_files() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("work");
    init(&dir);
    commit(
        &dir,
        &[
            ("a.txt", "a\n"),
            ("b.txt", "b\n"),
            ("c.txt", "c\n"),
            (".gitignore", "*.log\n"),
        ],
        "initial",
    );
    let id = commit(&dir, &[("a.txt", "a2\n")], "Second commit\n\nwith a body");

    // Discovered from a subdirectory, like git.
    std::fs::create_dir_all(dir.join("sub/deeper")).unwrap();
    let r = repo::open(&dir.join("sub/deeper")).unwrap();
    let s = repo::status(&r).unwrap();
    assert_eq!(s.root.canonicalize().unwrap(), dir.canonicalize().unwrap());
    assert_eq!(s.branch.as_deref(), Some("main"));
    let head = s.head.clone().expect("a head commit");
    assert_eq!(head.id, id);
    assert_eq!(head.short, short(&id));
    assert_eq!(head.short, git(&dir, &["rev-parse", "--short=7", "HEAD"]));
    assert_eq!(head.subject, "Second commit");
    assert_eq!(head.author, "Bosun Test");
    let age = jiff::Timestamp::now().duration_since(head.time);
    assert!(
        age.abs() < jiff::SignedDuration::from_secs(600),
        "commit time {} is not now",
        head.time
    );
    assert_eq!(s.upstream, None);
    assert_eq!((s.ahead, s.behind), (0, 0));
    assert!(s.dirty.is_empty(), "clean repo, got {:?}", s.dirty);
    assert_eq!(repo::head_commit(&r).unwrap(), Some(head));

    // Now dirty it every way.
    write(&dir, "a.txt", "changed\n");
    std::fs::remove_file(dir.join("b.txt")).unwrap();
    write(&dir, "new.txt", "new\n");
    write(&dir, "newdir/inner.txt", "inner\n");
    write(&dir, "debug.log", "ignored\n");
    write(&dir, "staged.txt", "staged\n");
    git(&dir, &["add", "staged.txt"]);

    let s = repo::status(&r).unwrap();
    assert_eq!(
        s.dirty,
        vec![
            dirty("a.txt", DirtyChange::Modified),
            dirty("b.txt", DirtyChange::Deleted),
            dirty("new.txt", DirtyChange::Untracked),
            dirty("newdir/inner.txt", DirtyChange::Untracked),
            dirty("staged.txt", DirtyChange::Added),
        ]
    );
}

#[test]
fn status_of_empty_repo_and_of_detached_head() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("empty");
    init(&dir);
    let r = repo::open(&dir).unwrap();
    let s = repo::status(&r).unwrap();
    assert_eq!(s.branch.as_deref(), Some("main"));
    assert_eq!(s.head, None);
    assert_eq!(repo::head_commit(&r).unwrap(), None);
    assert!(s.dirty.is_empty());

    let first = commit(&dir, &[("a.txt", "a\n")], "first");
    commit(&dir, &[("a.txt", "b\n")], "second");
    git(&dir, &["checkout", "-q", "--detach", &first]);
    let s = repo::status(&r).unwrap();
    assert_eq!(s.branch, None);
    assert_eq!(s.head.map(|h| h.id), Some(first));
    // Pulling needs a branch.
    let err = repo::pull_fast_forward(&r, &AuthOptions::default()).unwrap_err();
    assert!(matches!(err, RepoError::Detached), "{err:?}");
}

#[test]
fn open_outside_a_repository_is_not_a_repo() {
    let tmp = TempDir::new().unwrap();
    let Err(err) = repo::open(tmp.path()) else {
        panic!("a temp dir is not a repository")
    };
    match &err {
        RepoError::NotARepo { path, message } => {
            assert_eq!(path, tmp.path());
            assert!(!message.is_empty());
        }
        other => panic!("expected NotARepo, got {other:?}"),
    }
    assert!(err.to_string().contains(&tmp.path().display().to_string()));
}

// ---------------------------------------------------------------- fetch & pull

#[test]
fn fetch_shows_behind_then_pull_fast_forwards() {
    let f = fixture();
    let before = head_id(&f.ours);
    let pushed = commit(
        &f.theirs,
        &[("apps/new.yaml", "kind: New\n")],
        "add new app",
    );
    git(&f.theirs, &["push", "-q", "origin", "main"]);

    let r = repo::open(&f.ours).unwrap();
    let s = repo::status(&r).unwrap();
    assert_eq!(s.upstream.as_deref(), Some("origin/main"));
    assert_eq!((s.ahead, s.behind), (0, 0), "nothing fetched yet");

    repo::fetch(&r, &AuthOptions::default()).unwrap();
    let s = repo::status(&r).unwrap();
    assert_eq!((s.ahead, s.behind), (0, 1));
    assert_eq!(head_id(&f.ours), before, "fetch must not move HEAD");
    assert!(!f.ours.join("apps/new.yaml").exists());

    let outcome = repo::pull_fast_forward(&r, &AuthOptions::default()).unwrap();
    assert_eq!(
        outcome,
        PullOutcome::FastForwarded {
            from: short(&before),
            to: short(&pushed)
        }
    );
    assert_eq!(read(&f.ours, "apps/new.yaml"), "kind: New\n");
    assert_eq!(head_id(&f.ours), pushed);
    let s = repo::status(&r).unwrap();
    assert_eq!((s.ahead, s.behind), (0, 0));
    assert!(
        s.dirty.is_empty(),
        "index and tree follow HEAD: {:?}",
        s.dirty
    );
    assert_eq!(s.head.unwrap().subject, "add new app");
    // git itself agrees the tree is clean.
    assert_eq!(git(&f.ours, &["status", "--porcelain"]), "");

    assert_eq!(
        repo::pull_fast_forward(&r, &AuthOptions::default()).unwrap(),
        PullOutcome::UpToDate
    );
}

#[test]
fn local_commit_is_ahead_and_pull_has_nothing_to_do() {
    let f = fixture();
    let local = commit(&f.ours, &[("local.txt", "mine\n")], "local only");
    let r = repo::open(&f.ours).unwrap();
    repo::fetch(&r, &AuthOptions::default()).unwrap();
    let s = repo::status(&r).unwrap();
    assert_eq!((s.ahead, s.behind), (1, 0));
    assert_eq!(
        repo::pull_fast_forward(&r, &AuthOptions::default()).unwrap(),
        PullOutcome::UpToDate
    );
    assert_eq!(head_id(&f.ours), local);
}

#[test]
fn diverged_pull_is_refused_and_changes_nothing() {
    let f = fixture();
    commit(&f.theirs, &[("theirs.txt", "theirs\n")], "theirs");
    git(&f.theirs, &["push", "-q", "origin", "main"]);
    let local = commit(&f.ours, &[("ours.txt", "ours\n")], "ours");

    let r = repo::open(&f.ours).unwrap();
    let err = repo::pull_fast_forward(&r, &AuthOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            RepoError::NotFastForward {
                ahead: 1,
                behind: 1
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("the local branch has 1 commit the remote lacks"),
        "{err}"
    );
    assert!(
        err.to_string().contains("pull refused (only fast-forward)"),
        "{err}"
    );
    assert_eq!(head_id(&f.ours), local);
    assert!(!f.ours.join("theirs.txt").exists());
    assert_eq!(read(&f.ours, "ours.txt"), "ours\n");
    // The fetch half did happen: the panel can show how far apart they are.
    let s = repo::status(&r).unwrap();
    assert_eq!((s.ahead, s.behind), (1, 1));
}

#[test]
fn pull_refuses_to_overwrite_a_locally_modified_file() {
    let f = fixture();
    commit(
        &f.theirs,
        &[("shared.txt", "two from them\n")],
        "edit shared",
    );
    git(&f.theirs, &["push", "-q", "origin", "main"]);
    let before = head_id(&f.ours);
    write(&f.ours, "shared.txt", "my local edit\n");

    let r = repo::open(&f.ours).unwrap();
    let err = repo::pull_fast_forward(&r, &AuthOptions::default()).unwrap_err();
    match &err {
        RepoError::DirtyConflict { paths } => assert_eq!(paths, &["shared.txt".to_string()]),
        other => panic!("expected DirtyConflict, got {other:?}"),
    }
    assert!(err.to_string().contains("shared.txt"), "{err}");
    assert_eq!(read(&f.ours, "shared.txt"), "my local edit\n");
    assert_eq!(head_id(&f.ours), before);
}

#[test]
fn pull_refuses_to_overwrite_an_untracked_file() {
    let f = fixture();
    commit(&f.theirs, &[("apps/web/app.yaml", "theirs\n")], "add web");
    git(&f.theirs, &["push", "-q", "origin", "main"]);
    let before = head_id(&f.ours);
    write(&f.ours, "apps/web/app.yaml", "my draft\n");

    let r = repo::open(&f.ours).unwrap();
    let err = repo::pull_fast_forward(&r, &AuthOptions::default()).unwrap_err();
    match &err {
        RepoError::DirtyConflict { paths } => {
            assert_eq!(paths, &["apps/web/app.yaml".to_string()]);
        }
        other => panic!("expected DirtyConflict, got {other:?}"),
    }
    assert_eq!(read(&f.ours, "apps/web/app.yaml"), "my draft\n");
    assert_eq!(head_id(&f.ours), before);
}

#[test]
fn pull_keeps_unrelated_local_changes() {
    let f = fixture();
    let pushed = commit(&f.theirs, &[("shared.txt", "two\n")], "edit shared");
    git(&f.theirs, &["push", "-q", "origin", "main"]);
    write(
        &f.ours,
        "apps/blog/kustomization.yaml",
        "resources: [mine.yaml]\n",
    );
    write(&f.ours, "scratch.txt", "untracked\n");

    let r = repo::open(&f.ours).unwrap();
    let outcome = repo::pull_fast_forward(&r, &AuthOptions::default()).unwrap();
    assert!(
        matches!(outcome, PullOutcome::FastForwarded { .. }),
        "{outcome:?}"
    );
    assert_eq!(head_id(&f.ours), pushed);
    assert_eq!(read(&f.ours, "shared.txt"), "two\n");
    assert_eq!(
        read(&f.ours, "apps/blog/kustomization.yaml"),
        "resources: [mine.yaml]\n"
    );
    assert_eq!(read(&f.ours, "scratch.txt"), "untracked\n");
    let s = repo::status(&r).unwrap();
    assert_eq!(
        s.dirty,
        vec![
            dirty("apps/blog/kustomization.yaml", DirtyChange::Modified),
            dirty("scratch.txt", DirtyChange::Untracked),
        ]
    );
}

#[test]
fn pull_without_upstream_says_how_to_set_one() {
    let tmp = TempDir::new().unwrap();
    let dir = tmp.path().join("lonely");
    init(&dir);
    commit(&dir, &[("a.txt", "a\n")], "first");
    let r = repo::open(&dir).unwrap();
    assert_eq!(repo::status(&r).unwrap().upstream, None);
    let err = repo::pull_fast_forward(&r, &AuthOptions::default()).unwrap_err();
    match &err {
        RepoError::NoUpstream { branch } => assert_eq!(branch, "main"),
        other => panic!("expected NoUpstream, got {other:?}"),
    }
    assert!(
        err.to_string().contains("git branch -u origin/main"),
        "{err}"
    );
}

/// A repo whose `main` tracks `origin/main` at `url` (never fetched).
fn repo_with_origin(tmp: &TempDir, url: &str) -> PathBuf {
    let dir = tmp.path().join("work");
    init(&dir);
    commit(&dir, &[("a.txt", "a\n")], "first");
    git(&dir, &["remote", "add", "origin", url]);
    git(&dir, &["config", "branch.main.remote", "origin"]);
    git(&dir, &["config", "branch.main.merge", "refs/heads/main"]);
    dir
}

#[test]
fn unreachable_file_remote_is_an_error_not_a_hang() {
    let tmp = TempDir::new().unwrap();
    let dir = repo_with_origin(&tmp, "file:///nonexistent/bosun-test/x.git");
    let err = within(Duration::from_secs(60), move || {
        let r = repo::open(&dir).unwrap();
        repo::fetch(&r, &AuthOptions::default()).unwrap_err()
    });
    eprintln!("unreachable file remote: {err}");
    match &err {
        RepoError::Network { message, .. } => assert!(!message.is_empty()),
        RepoError::Git(message) => {
            assert!(message.contains("origin"), "{message}");
        }
        other => panic!("expected Network or Git, got {other:?}"),
    }
    assert!(!err.to_string().is_empty());
}

#[test]
fn ssh_to_a_closed_port_fails_fast() {
    // Bind then drop: the port is closed (connection refused).
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let tmp = TempDir::new().unwrap();
    let dir = repo_with_origin(&tmp, &format!("ssh://git@127.0.0.1:{port}/x.git"));
    let started = Instant::now();
    let err = within(Duration::from_secs(30), move || {
        let r = repo::open(&dir).unwrap();
        repo::pull_fast_forward(&r, &AuthOptions { max_attempts: 2 }).unwrap_err()
    });
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    eprintln!("closed ssh port: {err}");
    match &err {
        RepoError::Network { remote, message } => {
            assert!(remote.contains("origin"), "{remote}");
            assert!(message.contains("127.0.0.1"), "{message}");
        }
        other => panic!("expected a network error, got {other:?}"),
    }
}

/// An HTTP "git server" answering every request with 401 Basic; returns its
/// port and the request heads it saw.
fn serve_unauthorized() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&head).into_owned());
            let _ = stream.write_all(
                b"HTTP/1.1 401 Unauthorized\r\n\
                  WWW-Authenticate: Basic realm=\"bosun\"\r\n\
                  Content-Length: 0\r\n\
                  Connection: close\r\n\r\n",
            );
        }
    });
    (port, seen)
}

fn authorized_requests(seen: &Mutex<Vec<String>>) -> usize {
    seen.lock()
        .unwrap()
        .iter()
        .filter(|h| h.to_ascii_lowercase().contains("\r\nauthorization: basic"))
        .count()
}

#[test]
fn rejected_credentials_give_up_after_max_attempts() {
    let (port, seen) = serve_unauthorized();
    let tmp = TempDir::new().unwrap();
    let url = format!("http://127.0.0.1:{port}/x.git");
    let dir = repo_with_origin(&tmp, &url);
    // A credential helper that always answers, so only the attempt limit
    // can stop libgit2 from asking again.
    git(
        &dir,
        &[
            "config",
            "credential.helper",
            "!f() { echo username=u; echo password=p; }; f",
        ],
    );

    let d = dir.clone();
    let err = within(Duration::from_secs(60), move || {
        let r = repo::open(&d).unwrap();
        repo::fetch(&r, &AuthOptions { max_attempts: 1 }).unwrap_err()
    });
    match &err {
        RepoError::Auth {
            url: u, attempts, ..
        } => {
            assert_eq!(*attempts, 1);
            assert!(u.contains(&format!("127.0.0.1:{port}")), "{u}");
        }
        other => panic!("expected Auth, got {other:?}"),
    }
    assert!(err.to_string().contains("127.0.0.1"), "{err}");
    assert_eq!(
        authorized_requests(&seen),
        1,
        "the helper's credentials were sent once"
    );

    // With room for more attempts it stops once every source was tried,
    // rather than replaying the same rejected password.
    let before = authorized_requests(&seen);
    let err = within(Duration::from_secs(60), move || {
        let r = repo::open(&dir).unwrap();
        repo::fetch(&r, &AuthOptions { max_attempts: 5 }).unwrap_err()
    });
    eprintln!("rejected credentials, sources exhausted: {err}");
    match &err {
        RepoError::Auth { attempts, .. } => assert!(*attempts <= 5, "{attempts}"),
        other => panic!("expected Auth, got {other:?}"),
    }
    assert_eq!(authorized_requests(&seen) - before, 1);
}

// ---------------------------------------------------------------- watch

async fn next_batch(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Vec<PathBuf>>,
    limit: Duration,
) -> Option<Vec<PathBuf>> {
    tokio::time::timeout(limit, rx.recv()).await.ok().flatten()
}

fn assert_batch_ok(batch: &[PathBuf]) {
    assert!(!batch.is_empty(), "batches are never empty");
    let mut unique = batch.to_vec();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), batch.len(), "duplicate paths in {batch:?}");
    for p in batch {
        assert!(p.is_absolute(), "{p:?} is not absolute");
        assert!(
            !p.components().any(|c| c.as_os_str() == ".git"),
            "{p:?} is under .git"
        );
    }
}

#[tokio::test]
async fn watcher_reports_a_written_file() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().to_path_buf();
    std::fs::create_dir_all(root.join("apps/blog")).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let watcher = TreeWatcher::start(&root, Duration::from_millis(100), tx).unwrap();
    assert_eq!(watcher.root(), root.as_path());

    let target = root.join("apps/blog/kustomization.yaml");
    std::fs::write(&target, "resources: []\n").unwrap();
    std::fs::write(&target, "resources: [a.yaml]\n").unwrap();

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let batch = next_batch(&mut rx, left)
            .await
            .expect("a batch with the written file within 10 s");
        assert_batch_ok(&batch);
        if batch.contains(&target) {
            break;
        }
    }
    drop(watcher);
}

#[tokio::test]
async fn watcher_ignores_git_dir_and_reads() {
    let tmp = TempDir::new().unwrap();
    let root = tmp.path().to_path_buf();
    std::fs::create_dir_all(root.join(".git/refs")).unwrap();
    write(&root, "apps/blog/kustomization.yaml", "resources: []\n");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let _watcher = TreeWatcher::start(&root, Duration::from_millis(100), tx).unwrap();

    // What a fetch does, and what a render does: neither is a change.
    write(&root, ".git/FETCH_HEAD", "abc\n");
    write(&root, ".git/refs/new", "abc\n");
    std::fs::create_dir_all(root.join(".git/objects/ab")).unwrap();
    write(&root, ".git/objects/ab/cdef", "blob\n");
    let _ = read(&root, "apps/blog/kustomization.yaml");

    let quiet = next_batch(&mut rx, Duration::from_millis(1500)).await;
    assert_eq!(quiet, None, "no batch for .git writes or reads");

    // Still watching: a real change comes through, without .git paths.
    let target = root.join("apps/blog/deploy.yaml");
    write(&root, "apps/blog/deploy.yaml", "kind: Deployment\n");
    write(&root, ".git/index", "index\n");
    let batch = next_batch(&mut rx, Duration::from_secs(10))
        .await
        .expect("a batch for the real change");
    assert_batch_ok(&batch);
    assert!(batch.contains(&target), "{batch:?}");
}

#[test]
fn watcher_on_a_missing_directory_is_an_error() {
    let tmp = TempDir::new().unwrap();
    let missing = tmp.path().join("nope");
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let err = TreeWatcher::start(&missing, Duration::from_millis(100), tx).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}

// ---------------------------------------------------------------- touched_apps

fn apps() -> Vec<(String, Vec<PathBuf>)> {
    let r = Path::new("/repo");
    vec![
        (
            "blog".to_string(),
            vec![r.join("apps/blog/base"), r.join("apps/blog/overlays/prod")],
        ),
        ("harbor".to_string(), vec![r.join("apps/harbor")]),
        (
            "keycloak".to_string(),
            vec![r.join("apps/keycloak/values.yaml")],
        ),
    ]
}

fn paths(ps: &[&str]) -> Vec<PathBuf> {
    ps.iter().map(PathBuf::from).collect()
}

#[test]
fn touched_apps_overlay_dirs() {
    let apps = apps();
    assert_eq!(
        touched_apps(&apps, &paths(&["/repo/apps/blog/base/deployment.yaml"])),
        vec!["blog"]
    );
    assert_eq!(
        touched_apps(
            &apps,
            &paths(&["/repo/apps/blog/overlays/prod/patches/replicas.yaml"])
        ),
        vec!["blog"]
    );
    // The directory itself (created, removed, renamed).
    assert_eq!(
        touched_apps(&apps, &paths(&["/repo/apps/harbor"])),
        vec!["harbor"]
    );
    // Another overlay of the same app is not an input.
    assert!(touched_apps(&apps, &paths(&["/repo/apps/blog/overlays/dev/x.yaml"])).is_empty());
}

#[test]
fn touched_apps_files() {
    let apps = apps();
    assert_eq!(
        touched_apps(&apps, &paths(&["/repo/apps/keycloak/values.yaml"])),
        vec!["keycloak"]
    );
    // A sibling with the same prefix is another file.
    assert!(touched_apps(&apps, &paths(&["/repo/apps/keycloak/values.yaml.bak"])).is_empty());
}

#[test]
fn touched_apps_nothing_touched() {
    let apps = apps();
    assert!(touched_apps(&apps, &[]).is_empty());
    assert!(
        touched_apps(
            &apps,
            &paths(&["/repo/README.md", "/elsewhere/apps/harbor/x"])
        )
        .is_empty()
    );
    // Component-wise: harbor2 is not under harbor.
    assert!(touched_apps(&apps, &paths(&["/repo/apps/harbor2/values.yaml"])).is_empty());
}

#[test]
fn touched_apps_dedups_in_apps_order() {
    let apps = apps();
    let changed = paths(&[
        "/repo/apps/harbor/kustomization.yaml",
        "/repo/apps/blog/base/a.yaml",
        "/repo/apps/blog/overlays/prod/b.yaml",
        "/repo/apps/harbor/values.yaml",
    ]);
    assert_eq!(touched_apps(&apps, &changed), vec!["blog", "harbor"]);
}

#[test]
fn touched_apps_by_a_renamed_or_rescanned_ancestor() {
    let apps = apps();
    // `mv apps/blog ...` reports only apps/blog; a rescan reports the root.
    assert_eq!(
        touched_apps(&apps, &paths(&["/repo/apps/blog"])),
        vec!["blog"]
    );
    assert_eq!(
        touched_apps(&apps, &paths(&["/repo"])),
        vec!["blog", "harbor", "keycloak"]
    );
}
