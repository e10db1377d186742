//! The git repo panel's data (DESIGN §6): branch, HEAD commit, dirty files,
//! ahead/behind the upstream; fetch and fast-forward-only pull, with git2.
//!
//! Everything here is synchronous and may block on disk or on the network
//! (fetch and pull talk to the remote). The app calls these functions inside
//! `tokio::task::spawn_blocking`, never on the UI task.
//!
//! Authentication never prompts: the credentials callback tries the
//! ssh-agent, the configured git credential helper (run non-interactively by
//! git2, stdin/stdout/stderr piped) and the platform default credentials, and
//! gives up after a bounded number of attempts, because libgit2 calls the
//! callback again after every failure, forever.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use git2::build::CheckoutBuilder;
use git2::{
    AutotagOption, CheckoutNotificationType, Cred, CredentialType, ErrorClass, ErrorCode,
    FetchOptions, Oid, ProxyOptions, RemoteCallbacks, Repository, RepositoryState, Status,
    StatusOptions,
};

/// What the repo panel shows about the working tree and its branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoStatus {
    /// The working directory (the repository's root).
    pub root: PathBuf,
    /// The checked-out branch; `None` when HEAD is detached.
    pub branch: Option<String>,
    /// The HEAD commit; `None` for an empty repository (unborn HEAD).
    pub head: Option<CommitInfo>,
    /// The branch's upstream, shortened (e.g. `origin/main`).
    pub upstream: Option<String>,
    /// Commits on the branch that the upstream lacks.
    pub ahead: usize,
    /// Commits on the upstream that the branch lacks (as of the last fetch).
    pub behind: usize,
    /// Modified, new and deleted files (`.gitignore` respected), sorted by path.
    pub dirty: Vec<DirtyFile>,
}

/// One commit as the panel shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// Full hex object id.
    pub id: String,
    /// The first 7 hex digits of `id`.
    pub short: String,
    /// The first paragraph of the message, on one line.
    pub subject: String,
    /// The author's name.
    pub author: String,
    /// The author time.
    pub time: jiff::Timestamp,
}

/// A file that differs from HEAD (staged or not) or is untracked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirtyFile {
    /// Relative to the repository root, `/` separated.
    pub path: String,
    pub change: DirtyChange,
}

/// How a dirty file differs; staged and unstaged changes are merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DirtyChange {
    Modified,
    Added,
    Deleted,
    Renamed,
    Untracked,
    Conflicted,
}

impl DirtyChange {
    /// The one-letter code `git status --short` would use.
    pub fn code(self) -> char {
        match self {
            DirtyChange::Modified => 'M',
            DirtyChange::Added => 'A',
            DirtyChange::Deleted => 'D',
            DirtyChange::Renamed => 'R',
            DirtyChange::Untracked => '?',
            DirtyChange::Conflicted => 'U',
        }
    }
}

/// What a fast-forward-only pull did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullOutcome {
    /// Nothing to pull (the branch may still be ahead of its upstream).
    UpToDate,
    /// The branch moved from `from` to `to` (short ids; `from` is `0000000`
    /// when the branch had no commit yet).
    FastForwarded { from: String, to: String },
}

/// How hard to try authenticating before giving up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthOptions {
    /// Credential requests answered before the callback returns an error
    /// (libgit2 would otherwise ask again forever).
    pub max_attempts: u32,
}

impl Default for AuthOptions {
    fn default() -> Self {
        AuthOptions { max_attempts: 3 }
    }
}

/// Why a repo operation failed, in words the panel can show as they are.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// No repository with a working tree at or above `path`.
    #[error("{path} is not in a git repository with a working tree: {message}")]
    NotARepo { path: PathBuf, message: String },
    /// Pull needs the branch's upstream to know what to fast-forward to.
    #[error("branch {branch} has no upstream; set one with git branch -u origin/{branch}")]
    NoUpstream { branch: String },
    /// Pull on a detached HEAD: there is no branch to move.
    #[error("HEAD is detached; check out a branch to pull")]
    Detached,
    /// Local and remote diverged; only fast-forwards are done.
    #[error(
        "the local branch has {ahead} commit{} the remote lacks (and is {behind} behind); pull refused (only fast-forward)",
        plural(.ahead)
    )]
    NotFastForward { ahead: usize, behind: usize },
    /// Local changes (modified or untracked files, repo-relative) that the
    /// pull would overwrite; nothing was changed.
    #[error(
        "pull refused: it would overwrite local changes to {}; commit or stash them first",
        .paths.join(", ")
    )]
    DirtyConflict { paths: Vec<String> },
    /// The remote rejected every credential, or `attempts` reached the limit.
    #[error("authentication to {url} failed after {attempts} attempt{}: {message}", plural(.attempts))]
    Auth {
        url: String,
        attempts: u32,
        message: String,
    },
    /// A transport failure; `remote` is `name (url)`.
    #[error("cannot reach remote {remote}: {message}")]
    Network { remote: String, message: String },
    /// Anything else, with what was being done and git2's message.
    #[error("git: {0}")]
    Git(String),
}

fn plural<N: PartialEq + From<u8>>(n: &N) -> &'static str {
    if *n == N::from(1) { "" } else { "s" }
}

/// Opens the repository containing `path`, searching upward like `git` does.
/// Bare repositories are refused: the panel needs a working tree.
pub fn open(path: &Path) -> Result<Repository, RepoError> {
    let repo = Repository::discover(path).map_err(|e| RepoError::NotARepo {
        path: path.to_path_buf(),
        message: e.message().to_string(),
    })?;
    if repo.is_bare() {
        return Err(RepoError::NotARepo {
            path: path.to_path_buf(),
            message: format!("{} is a bare repository", repo.path().display()),
        });
    }
    Ok(repo)
}

/// What app declarations are checked against: the remotes' URLs (an Argo
/// CD Application or Flux GitRepository pointing at one of them means this
/// checkout) and the branch checked out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoFacts {
    pub remotes: Vec<String>,
    pub branch: Option<String>,
}

/// The facts of the repository holding `path`; empty when it is not one.
pub fn facts(path: &Path) -> RepoFacts {
    let Ok(repo) = open(path) else {
        return RepoFacts::default();
    };
    let mut remotes = Vec::new();
    if let Ok(names) = repo.remotes() {
        for name in names.iter().filter_map(|name| name.ok().flatten()) {
            if let Ok(remote) = repo.find_remote(name) {
                remotes.extend(remote.url().ok().map(str::to_string));
                remotes.extend(remote.pushurl().ok().flatten().map(str::to_string));
            }
        }
    }
    RepoFacts {
        remotes,
        branch: current_branch(&repo).ok().flatten(),
    }
}

/// Reads branch, HEAD, upstream, ahead/behind (against the remote-tracking
/// ref as of the last fetch; no network) and the dirty files.
pub fn status(repo: &Repository) -> Result<RepoStatus, RepoError> {
    let root = workdir(repo)?;
    let branch = current_branch(repo)?;
    let head = head_commit(repo)?;

    let mut upstream = None;
    let (mut ahead, mut behind) = (0, 0);
    if let Some(branch) = &branch {
        let refname = format!("refs/heads/{branch}");
        if let Some(up_ref) = upstream_refname(repo, &refname)? {
            upstream = Some(shorten_refname(&up_ref));
            let up_oid = repo.refname_to_id(&up_ref).ok();
            let local = repo.head().ok().and_then(|h| h.target());
            if let (Some(local), Some(remote)) = (local, up_oid) {
                (ahead, behind) = repo
                    .graph_ahead_behind(local, remote)
                    .map_err(|e| git_err("counting commits ahead/behind", &e))?;
            }
        }
    }

    let dirty = dirty_files(repo)?;
    Ok(RepoStatus {
        root,
        branch,
        head,
        upstream,
        ahead,
        behind,
        dirty,
    })
}

/// The HEAD commit, or `None` when HEAD is unborn (an empty repository).
pub fn head_commit(repo: &Repository) -> Result<Option<CommitInfo>, RepoError> {
    let head = match repo.head() {
        Ok(head) => head,
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => {
            return Ok(None);
        }
        Err(e) => return Err(git_err("reading HEAD", &e)),
    };
    let commit = head
        .peel_to_commit()
        .map_err(|e| git_err("reading the HEAD commit", &e))?;
    Ok(Some(commit_info(&commit)))
}

/// Fetches the remote of the current branch's upstream (or `origin` when
/// there is none), updating its remote-tracking refs. Blocks on the network.
pub fn fetch(repo: &Repository, auth: &AuthOptions) -> Result<(), RepoError> {
    let remote_name = match current_branch(repo)? {
        Some(branch) => upstream_remote(repo, &format!("refs/heads/{branch}"))?,
        None => None,
    }
    .unwrap_or_else(|| "origin".to_string());
    // "." means the upstream is another local branch: nothing to fetch.
    if remote_name == "." {
        return Ok(());
    }
    fetch_remote(repo, &remote_name, auth)
}

/// Fetches, then fast-forwards the current branch to its upstream, and only
/// that. Refuses (with the reason) on a detached HEAD, without an upstream,
/// when the branches diverged, and when the checkout would overwrite local
/// modifications (the checkout is a safe one: nothing local is lost).
pub fn pull_fast_forward(repo: &Repository, auth: &AuthOptions) -> Result<PullOutcome, RepoError> {
    let branch = current_branch(repo)?.ok_or(RepoError::Detached)?;
    let refname = format!("refs/heads/{branch}");
    let up_ref = upstream_refname(repo, &refname)?.ok_or_else(|| RepoError::NoUpstream {
        branch: branch.clone(),
    })?;
    let state = repo.state();
    if state != RepositoryState::Clean {
        return Err(RepoError::Git(format!(
            "the repository is in the middle of an operation ({state:?}); finish or abort it before pulling"
        )));
    }

    fetch(repo, auth)?;

    let target = repo.refname_to_id(&up_ref).map_err(|e| {
        RepoError::Git(format!(
            "upstream {} of branch {branch} not found after fetching: {}",
            shorten_refname(&up_ref),
            e.message()
        ))
    })?;
    let local = match repo.refname_to_id(&refname) {
        Ok(oid) => Some(oid),
        Err(e) if e.code() == ErrorCode::NotFound => None,
        Err(e) => return Err(git_err(&format!("reading branch {branch}"), &e)),
    };
    if let Some(local) = local {
        let (ahead, behind) = repo
            .graph_ahead_behind(local, target)
            .map_err(|e| git_err("counting commits ahead/behind", &e))?;
        if behind == 0 {
            return Ok(PullOutcome::UpToDate);
        }
        if ahead > 0 {
            return Err(RepoError::NotFastForward { ahead, behind });
        }
    }

    safe_checkout(repo, target)?;
    let msg = format!("pull: fast-forward to {}", shorten_refname(&up_ref));
    match repo.find_reference(&refname) {
        Ok(mut r) => r.set_target(target, &msg).map(|_| ()),
        Err(_) => repo.reference(&refname, target, false, &msg).map(|_| ()),
    }
    .map_err(|e| git_err(&format!("moving branch {branch}"), &e))?;

    Ok(PullOutcome::FastForwarded {
        from: local.map_or_else(|| "0000000".to_string(), |o| short_id(&o.to_string())),
        to: short_id(&target.to_string()),
    })
}

/// Checks out `target`'s tree over HEAD's without touching local
/// modifications: libgit2's safe strategy reports every file it would have
/// to overwrite as a conflict, which becomes `DirtyConflict`.
fn safe_checkout(repo: &Repository, target: Oid) -> Result<(), RepoError> {
    let commit = repo
        .find_commit(target)
        .map_err(|e| git_err("reading the upstream commit", &e))?;
    let conflicts = RefCell::new(Vec::<String>::new());
    let result = {
        let mut checkout = CheckoutBuilder::new();
        checkout
            .safe()
            .notify_on(CheckoutNotificationType::CONFLICT)
            .notify(|kind, path, _, _, _| {
                if kind.contains(CheckoutNotificationType::CONFLICT)
                    && let Some(path) = path
                {
                    conflicts.borrow_mut().push(slash_path(path));
                }
                true
            });
        repo.checkout_tree(commit.as_object(), Some(&mut checkout))
    };
    let mut paths = conflicts.into_inner();
    match result {
        Ok(()) => Ok(()),
        Err(e) if e.code() == ErrorCode::Conflict || !paths.is_empty() => {
            paths.sort();
            paths.dedup();
            if paths.is_empty() {
                // libgit2 refused without naming files; keep its words.
                return Err(git_err("checking out the upstream", &e));
            }
            Err(RepoError::DirtyConflict { paths })
        }
        Err(e) => Err(git_err("checking out the upstream", &e)),
    }
}

/// What the credentials callback has done so far; read after a failed fetch
/// to tell an authentication failure from a network one.
#[derive(Default)]
struct CredState {
    attempts: u32,
    gave_up: bool,
    url: String,
    tried_agent: bool,
    tried_helper: bool,
    tried_default: bool,
}

fn fetch_remote(repo: &Repository, remote_name: &str, auth: &AuthOptions) -> Result<(), RepoError> {
    let mut remote = repo.find_remote(remote_name).map_err(|e| {
        RepoError::Git(format!(
            "no usable remote named {remote_name}: {}",
            e.message()
        ))
    })?;
    let url = String::from_utf8_lossy(remote.url_bytes()).into_owned();
    // The credential helper reads the repo's config (which layers the global
    // and system ones); fall back to the default config outside a repo.
    let config = repo.config().or_else(|_| git2::Config::open_default()).ok();
    let state = RefCell::new(CredState {
        url: url.clone(),
        ..CredState::default()
    });
    let max_attempts = auth.max_attempts;

    let result = {
        let mut callbacks = RemoteCallbacks::new();
        callbacks.credentials(|url, username_from_url, allowed| {
            let mut s = state.borrow_mut();
            s.url = url.to_string();
            s.attempts += 1;
            if s.attempts > max_attempts {
                s.attempts = max_attempts;
                s.gave_up = true;
                return Err(auth_error(format!(
                    "giving up after {max_attempts} attempt{}",
                    plural(&max_attempts)
                )));
            }
            let user = username_from_url.unwrap_or("git");
            // ssh asks for the user name alone first when the URL has none.
            if allowed.contains(CredentialType::USERNAME) {
                return Cred::username(user);
            }
            if allowed.contains(CredentialType::SSH_KEY) && !s.tried_agent {
                s.tried_agent = true;
                if let Ok(cred) = Cred::ssh_key_from_agent(user) {
                    return Ok(cred);
                }
            }
            if allowed.contains(CredentialType::USER_PASS_PLAINTEXT) && !s.tried_helper {
                s.tried_helper = true;
                if let Some(config) = &config
                    && let Ok(cred) = Cred::credential_helper(config, url, username_from_url)
                {
                    return Ok(cred);
                }
            }
            if allowed.contains(CredentialType::DEFAULT) && !s.tried_default {
                s.tried_default = true;
                if let Ok(cred) = Cred::default() {
                    return Ok(cred);
                }
            }
            s.gave_up = true;
            Err(auth_error(
                "no credentials left to try (ssh-agent, git credential helper, default)".into(),
            ))
        });

        let mut proxy = ProxyOptions::new();
        proxy.auto();
        let mut options = FetchOptions::new();
        options
            .remote_callbacks(callbacks)
            .proxy_options(proxy)
            .download_tags(AutotagOption::Auto);
        remote.fetch::<&str>(&[], Some(&mut options), None)
    };

    let Err(e) = result else { return Ok(()) };
    let s = state.into_inner();
    if s.gave_up || e.code() == ErrorCode::Auth {
        return Err(RepoError::Auth {
            url: s.url,
            attempts: s.attempts,
            message: e.message().to_string(),
        });
    }
    if is_network_error(&e) {
        Err(RepoError::Network {
            remote: format!("{remote_name} ({url})"),
            message: e.message().to_string(),
        })
    } else {
        Err(RepoError::Git(format!(
            "fetching from {remote_name} ({url}): {}",
            e.message()
        )))
    }
}

/// Transport failures: libgit2's network classes, plus the socket errors it
/// files under `Os` (connection refused, name resolution, timeouts).
fn is_network_error(e: &git2::Error) -> bool {
    match e.class() {
        ErrorClass::Net | ErrorClass::Ssh | ErrorClass::Http | ErrorClass::Ssl => true,
        ErrorClass::Os => {
            let m = e.message();
            m.starts_with("failed to connect")
                || m.starts_with("failed to resolve address")
                || m.contains("timed out")
        }
        _ => false,
    }
}

fn auth_error(message: String) -> git2::Error {
    git2::Error::new(ErrorCode::Auth, ErrorClass::Callback, message)
}

fn workdir(repo: &Repository) -> Result<PathBuf, RepoError> {
    repo.workdir()
        .map(Path::to_path_buf)
        .ok_or_else(|| RepoError::NotARepo {
            path: repo.path().to_path_buf(),
            message: "a bare repository has no working tree".into(),
        })
}

/// The checked-out branch's short name, also for an unborn branch; `None`
/// when HEAD is detached.
fn current_branch(repo: &Repository) -> Result<Option<String>, RepoError> {
    let head = repo
        .find_reference("HEAD")
        .map_err(|e| git_err("reading HEAD", &e))?;
    let Some(target) = head.symbolic_target_bytes() else {
        return Ok(None);
    };
    let target = String::from_utf8_lossy(target);
    Ok(target.strip_prefix("refs/heads/").map(str::to_string))
}

/// The full name of the upstream ref of local branch `refname` (e.g.
/// `refs/remotes/origin/main`), from the branch's config; the ref itself
/// need not exist yet.
fn upstream_refname(repo: &Repository, refname: &str) -> Result<Option<String>, RepoError> {
    match repo.branch_upstream_name(refname) {
        Ok(buf) => Ok(Some(String::from_utf8_lossy(&buf).into_owned())),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(git_err(
            &format!("reading the upstream of {}", shorten_refname(refname)),
            &e,
        )),
    }
}

/// The remote name configured for local branch `refname`, if any.
fn upstream_remote(repo: &Repository, refname: &str) -> Result<Option<String>, RepoError> {
    match repo.branch_upstream_remote(refname) {
        Ok(buf) => Ok(Some(String::from_utf8_lossy(&buf).into_owned())),
        Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
        Err(e) => Err(git_err(
            &format!("reading the remote of {}", shorten_refname(refname)),
            &e,
        )),
    }
}

fn shorten_refname(refname: &str) -> String {
    ["refs/heads/", "refs/remotes/", "refs/tags/", "refs/"]
        .iter()
        .find_map(|p| refname.strip_prefix(p))
        .unwrap_or(refname)
        .to_string()
}

fn dirty_files(repo: &Repository) -> Result<Vec<DirtyFile>, RepoError> {
    let mut options = StatusOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false)
        .exclude_submodules(false)
        .renames_head_to_index(true)
        .renames_index_to_workdir(true);
    let statuses = repo
        .statuses(Some(&mut options))
        .map_err(|e| git_err("reading the working tree status", &e))?;
    let mut dirty: Vec<DirtyFile> = statuses
        .iter()
        .filter_map(|entry| {
            let change = classify(entry.status())?;
            // For a rename, show where the file is now.
            let renamed_to = entry
                .index_to_workdir()
                .or_else(|| entry.head_to_index())
                .filter(|_| change == DirtyChange::Renamed)
                .and_then(|d| d.new_file().path().map(slash_path));
            let path =
                renamed_to.unwrap_or_else(|| String::from_utf8_lossy(entry.path_bytes()).into());
            Some(DirtyFile { path, change })
        })
        .collect();
    dirty.sort_by(|a, b| a.path.cmp(&b.path));
    dirty.dedup_by(|a, b| a.path == b.path);
    Ok(dirty)
}

/// Folds git's index and worktree flags into one change, the most telling
/// first; `None` for clean or ignored entries.
fn classify(s: Status) -> Option<DirtyChange> {
    if s.is_conflicted() {
        Some(DirtyChange::Conflicted)
    } else if s.intersects(Status::INDEX_RENAMED | Status::WT_RENAMED) {
        Some(DirtyChange::Renamed)
    } else if s.intersects(Status::INDEX_DELETED | Status::WT_DELETED) {
        Some(DirtyChange::Deleted)
    } else if s.contains(Status::INDEX_NEW) {
        Some(DirtyChange::Added)
    } else if s.contains(Status::WT_NEW) {
        Some(DirtyChange::Untracked)
    } else if s.intersects(
        Status::INDEX_MODIFIED
            | Status::WT_MODIFIED
            | Status::INDEX_TYPECHANGE
            | Status::WT_TYPECHANGE,
    ) {
        Some(DirtyChange::Modified)
    } else {
        None
    }
}

pub fn commit_info(commit: &git2::Commit<'_>) -> CommitInfo {
    let id = commit.id().to_string();
    let subject = commit
        .summary_bytes()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default();
    let author = String::from_utf8_lossy(commit.author().name_bytes()).into_owned();
    let time = jiff::Timestamp::from_second(commit.author().when().seconds()).unwrap_or_default();
    CommitInfo {
        short: short_id(&id),
        id,
        subject,
        author,
        time,
    }
}

fn short_id(id: &str) -> String {
    id.get(..7).unwrap_or(id).to_string()
}

/// A repo-relative path as `/`-separated text, whatever the platform.
fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn git_err(doing: &str, e: &git2::Error) -> RepoError {
    RepoError::Git(format!("{doing}: {}", e.message()))
}
