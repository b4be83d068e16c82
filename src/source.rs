//! Where content and configuration are read from: the work tree (what a
//! writer is editing) or a git commit (what the daemon publishes, so that it
//! sends exactly what was committed and can record the commit id).

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Files larger than this are refused unread: no post or schedule is that big,
/// and reading a stray 50 MB file must not stall a check.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Snapshot {
    WorkTree { root: PathBuf },
    Commit { root: PathBuf, commit: String },
}

/// What stands at a path of a snapshot ([`Snapshot::entry`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    File,
    Dir,
    /// A symbolic link, whatever it points to (or nothing).
    Symlink,
    /// A FIFO, socket or device in the work tree; a submodule in a commit.
    Other,
}

/// One file of the snapshot. `bytes` is `None` when the file is larger than
/// [`MAX_FILE_BYTES`] (`size` says how large it is), not read yet, or has a
/// `problem`.
#[derive(Debug, Clone)]
pub struct RepoFile {
    /// Path relative to the repository root, with `/` separators (shown
    /// lossily when it is not UTF-8).
    pub path: String,
    pub size: u64,
    pub bytes: Option<Vec<u8>>,
    /// Why the file is listed but not read: the caller reports it as a
    /// diagnostic for this file, and every other file is read as usual.
    pub problem: Option<Problem>,
}

impl RepoFile {
    /// A file with its bytes (tests, and callers that read files themselves).
    pub fn new(path: &str, bytes: Vec<u8>) -> RepoFile {
        RepoFile {
            path: path.to_string(),
            size: bytes.len() as u64,
            bytes: Some(bytes),
            problem: None,
        }
    }
}

/// Why a file of the listed folder is not read. Listing reports these rather
/// than failing or skipping them silently: one odd file must not stop every
/// other post, and a post that is never read must not go unnoticed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The path is not UTF-8; `path` shows it with U+FFFD.
    NameNotUtf8,
    /// A symbolic link, which is never followed: what is published is what
    /// is committed under the folder itself. `target` is the link's text.
    Symlink {
        target: String,
        points_to: LinkTarget,
    },
    /// A name like the wanted ones in another spelling (`.MD`, `.markdown`):
    /// not read; `suggested` is the name it would be read under.
    Extension { suggested: String },
    /// Not a regular file (a FIFO, socket or device), which could block a read.
    NotRegular,
    /// Listed but not readable (permissions, removed meanwhile): the error.
    Unreadable(String),
}

/// What a symbolic link points to, as far as it can be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    File,
    Folder,
    /// Nothing: the link dangles.
    Missing,
    /// It cannot be followed: a loop, or outside the repository of a commit.
    Unresolvable(String),
}

impl Problem {
    /// What to tell the writer: the message and what to do.
    pub fn explain(&self, path: &str) -> (String, String) {
        match self {
            Problem::NameNotUtf8 => (
                format!("the file name is not UTF-8 (shown here as `{path}`), so it is not read"),
                "rename the file using UTF-8 characters only (e.g. `git mv`); every other post is read as usual".into(),
            ),
            Problem::Symlink { target, points_to } => {
                let what = match points_to {
                    LinkTarget::File => format!("a symlink to `{target}`"),
                    LinkTarget::Folder => format!("a symlink to the folder `{target}`"),
                    LinkTarget::Missing => format!("a symlink to `{target}`, which does not exist"),
                    LinkTarget::Unresolvable(why) => {
                        format!("a symlink to `{target}`, which cannot be followed ({why})")
                    }
                };
                (
                    format!("`{path}` is {what}; symlinks are not followed, so it is not read"),
                    if *points_to == LinkTarget::Folder {
                        "copy the folder's files here instead of linking to them (what is published is what is committed in this folder)".into()
                    } else {
                        "copy the file here instead of linking to it (`cp --remove-destination TARGET LINK`), or delete the link".into()
                    },
                )
            }
            Problem::Extension { suggested } => {
                let ext = suggested.rsplit('.').next().unwrap_or_default();
                (
                    format!("`{path}` is not read: only names ending in `.{ext}` are"),
                    format!("rename it to `{suggested}`"),
                )
            }
            Problem::NotRegular => (
                format!("`{path}` is not a regular file (a FIFO, socket or device), so it is not read"),
                "remove it; a post is a plain text file".into(),
            ),
            Problem::Unreadable(error) => (
                format!("`{path}` cannot be read: {error}"),
                "make it readable by the user healthcast runs as; every other file is read as usual".into(),
            ),
        }
    }
}

impl Snapshot {
    pub fn root(&self) -> &Path {
        match self {
            Snapshot::WorkTree { root } | Snapshot::Commit { root, .. } => root,
        }
    }

    pub fn commit(&self) -> Option<&str> {
        match self {
            Snapshot::WorkTree { .. } => None,
            Snapshot::Commit { commit, .. } => Some(commit),
        }
    }

    /// Resolves `reference` (a branch, tag or commit) in the repository at `root`.
    pub fn at_ref(root: &Path, reference: &str) -> Result<Snapshot> {
        let commit = resolve_ref(root, reference)?;
        Ok(Snapshot::Commit {
            root: root.to_path_buf(),
            commit,
        })
    }

    /// Every file under `dir` (relative to the root) whose name ends in one of
    /// `extensions`, sorted by path, read.
    pub fn files(&self, dir: &str, extensions: &[&str]) -> Result<Vec<RepoFile>> {
        let mut files = self.list(dir, extensions)?;
        for file in &mut files {
            self.read(file)?;
        }
        Ok(files)
    }

    /// Like [`Snapshot::files`], but work-tree files are not read yet: call
    /// [`Snapshot::read`] on each (from any thread), so that a large corpus
    /// never sits in memory at once.
    ///
    /// Files that are not read as they are come with a [`Problem`]: a name
    /// that is not UTF-8, a symlink, a name in another spelling of the
    /// extensions (`.MD`; `.markdown` for `.md`), not a regular file.
    pub fn list(&self, dir: &str, extensions: &[&str]) -> Result<Vec<RepoFile>> {
        let names = Names { extensions };
        let mut files = match self {
            Snapshot::WorkTree { root } => {
                let mut found = Vec::new();
                walk(root, &root.join(dir), &mut found);
                found
            }
            Snapshot::Commit { root, commit } => git_files(root, commit, dir, &names)?,
        };
        files.retain_mut(|f| names.keep(f));
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    /// One file's bytes by its path relative to the root; `None` when the
    /// snapshot has no such file. Paths that leave the repository are refused.
    pub fn read_file(&self, path: &str) -> Result<Option<Vec<u8>>> {
        if !is_inside(path) {
            bail!("`{path}` is not a path inside the repository");
        }
        match self {
            Snapshot::WorkTree { root } => match std::fs::read(root.join(path)) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e).with_context(|| format!("cannot read {path}")),
            },
            Snapshot::Commit { root, commit } => {
                let output = Command::new("git")
                    .arg("-C")
                    .arg(root)
                    .args(["cat-file", "blob"])
                    .arg(format!("{commit}:{path}"))
                    .output()
                    .context("cannot run git cat-file")?;
                Ok(output.status.success().then_some(output.stdout))
            }
        }
    }

    /// What stands at `path` (relative to the root), not following a
    /// symbolic link: `None` when nothing does. An error means it cannot
    /// be told (a folder that cannot be listed, git failing).
    pub fn entry(&self, path: &str) -> Result<Option<Entry>> {
        if !is_inside(path) {
            bail!("`{path}` is not a path inside the repository");
        }
        match self {
            Snapshot::WorkTree { root } => match std::fs::symlink_metadata(root.join(path)) {
                Ok(meta) => {
                    let kind = meta.file_type();
                    Ok(Some(if kind.is_symlink() {
                        Entry::Symlink
                    } else if kind.is_dir() {
                        Entry::Dir
                    } else if kind.is_file() {
                        Entry::File
                    } else {
                        Entry::Other
                    }))
                }
                // A missing file, or a parent that is a file: nothing there.
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                    ) =>
                {
                    Ok(None)
                }
                Err(e) => Err(e).with_context(|| format!("cannot look at {path}")),
            },
            Snapshot::Commit { root, commit } => {
                let output = Command::new("git")
                    .arg("-C")
                    .arg(root)
                    .args(["ls-tree", "-z", "--full-tree", commit, "--", path])
                    .output()
                    .context("cannot run git ls-tree")?;
                if !output.status.success() {
                    bail!(
                        "git ls-tree {commit} failed: {}",
                        String::from_utf8_lossy(&output.stderr).trim()
                    );
                }
                // "<mode> <type> <object>\t<path>", NUL-terminated.
                let listing = String::from_utf8_lossy(&output.stdout);
                Ok(listing.split('\0').find_map(|record| {
                    let (meta, name) = record.split_once('\t')?;
                    let mut fields = meta.split_whitespace();
                    let (mode, kind) = (fields.next()?, fields.next()?);
                    (name == path).then_some(match (mode, kind) {
                        ("120000", _) => Entry::Symlink,
                        (_, "tree") => Entry::Dir,
                        (_, "blob") => Entry::File,
                        _ => Entry::Other,
                    })
                }))
            }
        }
    }

    /// Reads a listed file unless it is read already, too large or has a
    /// problem. A file that cannot be read gets [`Problem::Unreadable`]:
    /// one unreadable post must not stop the others.
    pub fn read(&self, file: &mut RepoFile) -> Result<()> {
        if file.bytes.is_some() || file.size > MAX_FILE_BYTES || file.problem.is_some() {
            return Ok(());
        }
        match std::fs::read(self.root().join(&file.path)) {
            Ok(bytes) => file.bytes = Some(bytes),
            Err(e) => file.problem = Some(Problem::Unreadable(e.to_string())),
        }
        Ok(())
    }
}

/// A digest of the names, sizes and modification times of the files under
/// `dirs`: it changes when any file there is added, removed or edited.
pub fn tree_fingerprint(root: &Path, dirs: &[&str]) -> Result<String> {
    let mut found = Vec::new();
    for dir in dirs {
        walk(root, &root.join(dir), &mut found);
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    let mut hasher = Sha256::new();
    for file in &found {
        let modified = std::fs::symlink_metadata(root.join(&file.path))
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        hasher.update(format!("{}\0{}\0{modified}\n", file.path, file.size).as_bytes());
    }
    Ok(crate::content::hex(&hasher.finalize()))
}

/// `git fetch REMOTE BRANCH`, updating `refs/remotes/REMOTE/BRANCH`. Only
/// remote-tracking refs move: the work tree and local branches are left alone.
pub fn fetch(root: &Path, remote: &str, branch: &str) -> Result<()> {
    let refspec = format!("+refs/heads/{branch}:refs/remotes/{remote}/{branch}");
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["fetch", "--quiet", "--no-tags", remote, &refspec])
        .output()
        .context("cannot run git fetch")?;
    if !output.status.success() {
        bail!(
            "git fetch {remote} {branch} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Whether `path` stays inside the repository: relative, without `..`.
pub fn is_inside(path: &str) -> bool {
    let p = Path::new(path);
    !path.is_empty()
        && p.is_relative()
        && p.components().all(|c| {
            matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
}

/// Whether `root` is inside a git work tree.
pub fn is_git_repo(root: &Path) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--is-inside-work-tree"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

pub fn resolve_ref(root: &Path, reference: &str) -> Result<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--verify", "--quiet"])
        .arg(format!("{reference}^{{commit}}"))
        .output()
        .context("cannot run git: is it installed?")?;
    if !output.status.success() {
        bail!(
            "git ref `{reference}` does not name a commit in {}; give a branch, tag or commit id, or use the work tree (omit --ref)",
            root.display()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Which listed files are kept: those named with one of `extensions`, and
/// those with a problem whose name looks meant to be one of them.
struct Names<'a> {
    extensions: &'a [&'a str],
}

/// Other names writers give Markdown files.
const MARKDOWN_ALIASES: &[&str] = &[
    ".markdown",
    ".mdown",
    ".mkdn",
    ".mkd",
    ".mdwn",
    ".mdtxt",
    ".mdtext",
];

impl Names<'_> {
    fn wanted(&self, path: &str) -> bool {
        self.extensions.iter().any(|ext| path.ends_with(ext))
    }

    /// The name `path` would be read under when its extension is another
    /// spelling of a wanted one (`a.MD`, `a.Markdown` → `a.md`).
    fn respelled(&self, path: &str) -> Option<String> {
        let lower = path.to_lowercase();
        let markdown = self.extensions.contains(&".md");
        let aliases = MARKDOWN_ALIASES.iter().filter(|_| markdown);
        self.extensions
            .iter()
            .chain(aliases)
            .find(|ext| lower.ends_with(&ext.to_lowercase()))
            .map(|ext| {
                let stem = &path[..path.len() - ext.len()];
                let first = self.extensions.first().copied().unwrap_or(".md");
                let ext = if MARKDOWN_ALIASES.contains(ext) {
                    first
                } else {
                    ext
                };
                format!("{stem}{}", ext.to_lowercase())
            })
    }

    /// Keeps a wanted file, and a file with a problem whose name is wanted,
    /// or respelled, or (for a symlink) that points to a folder or nowhere.
    /// A wanted name in another spelling gets [`Problem::Extension`].
    fn keep(&self, file: &mut RepoFile) -> bool {
        let named = self.wanted(&file.path) || self.respelled(&file.path).is_some();
        match &file.problem {
            None if self.wanted(&file.path) => true,
            None => match self.respelled(&file.path) {
                Some(suggested) => {
                    file.problem = Some(Problem::Extension { suggested });
                    true
                }
                None => false,
            },
            Some(Problem::Symlink { points_to, .. }) => named || *points_to != LinkTarget::File,
            Some(Problem::Unreadable(_)) => true,
            Some(_) => named,
        }
    }
}

/// Every entry below `dir`, without following symlinks: regular files, and
/// the entries that are not read (symlinks, names that are not UTF-8, FIFOs,
/// what cannot be listed) with their problem. Without recursion, so that a
/// deep tree of folders cannot exhaust the stack.
fn walk(root: &Path, dir: &Path, found: &mut Vec<RepoFile>) {
    let relative = |path: &Path| {
        // Invariant: every path here was found below `root`.
        let relative = path.strip_prefix(root).unwrap_or(path);
        relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    };
    let problem = |path: &Path, problem: Problem| RepoFile {
        path: relative(path),
        size: 0,
        bytes: None,
        problem: Some(problem),
    };
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                found.push(problem(&dir, Problem::Unreadable(e.to_string())));
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    found.push(problem(&dir, Problem::Unreadable(e.to_string())));
                    continue;
                }
            };
            let path = entry.path();
            // DirEntry::metadata does not follow a symlink.
            let meta = match entry.metadata() {
                Ok(meta) => meta,
                Err(e) => {
                    found.push(problem(&path, Problem::Unreadable(e.to_string())));
                    continue;
                }
            };
            let utf8 = path.strip_prefix(root).unwrap_or(&path).to_str().is_some();
            if meta.is_dir() {
                dirs.push(path);
            } else if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path)
                    .map(|t| t.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let points_to = match std::fs::metadata(&path) {
                    Ok(m) if m.is_dir() => LinkTarget::Folder,
                    Ok(_) => LinkTarget::File,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => LinkTarget::Missing,
                    Err(e) => LinkTarget::Unresolvable(e.to_string()),
                };
                found.push(problem(&path, Problem::Symlink { target, points_to }));
            } else if !utf8 {
                found.push(problem(&path, Problem::NameNotUtf8));
            } else if meta.is_file() {
                found.push(RepoFile {
                    path: relative(&path),
                    size: meta.len(),
                    bytes: None,
                    problem: None,
                });
            } else {
                found.push(problem(&path, Problem::NotRegular));
            }
        }
    }
}

/// Reads the blobs under `dir` at `commit` with one `git ls-tree` and one
/// `git cat-file --batch`, whatever the number of files. Paths are read as
/// bytes (`-z`: never quoted); symlinks (mode 120000) are listed with a
/// problem, not read as files.
fn git_files(root: &Path, commit: &str, dir: &str, names: &Names) -> Result<Vec<RepoFile>> {
    let mut args = vec!["ls-tree", "-r", "-l", "-z", "--full-tree", commit];
    if !dir.is_empty() {
        args.extend(["--", dir]);
    }
    let listing = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(&args)
        .output()
        .context("cannot run git ls-tree")?;
    if !listing.status.success() {
        bail!(
            "git ls-tree {commit} failed: {}",
            String::from_utf8_lossy(&listing.stderr).trim()
        );
    }
    let mut files = Vec::new();
    let mut blob_ids = Vec::new();
    let mut links = Vec::new();
    for record in listing.stdout.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        // "<mode> <type> <object> <size>\t<path>"
        let Some(tab) = record.iter().position(|b| *b == b'\t') else {
            continue;
        };
        let meta = String::from_utf8_lossy(&record[..tab]);
        let (path, problem) = match std::str::from_utf8(&record[tab + 1..]) {
            Ok(path) => (path.to_string(), None),
            Err(_) => (
                String::from_utf8_lossy(&record[tab + 1..]).into_owned(),
                Some(Problem::NameNotUtf8),
            ),
        };
        let fields: Vec<&str> = meta.split_whitespace().collect();
        if fields.len() != 4 || fields[1] != "blob" {
            continue;
        }
        let size: u64 = fields[3].parse().unwrap_or(u64::MAX);
        if fields[0] == "120000" && problem.is_none() {
            links.push((files.len(), fields[2].to_string()));
        } else if problem.is_none() && names.wanted(&path) && size <= MAX_FILE_BYTES {
            blob_ids.push((files.len(), fields[2].to_string()));
        } else if problem.is_none() && !names.wanted(&path) && names.respelled(&path).is_none() {
            // Neither read nor reported: not a file of this folder's kind.
            continue;
        }
        files.push(RepoFile {
            path,
            size,
            bytes: None,
            problem,
        });
    }
    let ids: Vec<&str> = blob_ids
        .iter()
        .chain(&links)
        .map(|(_, id)| id.as_str())
        .collect();
    let mut contents = cat_file_batch(root, &ids)?.into_iter();
    for ((index, _), bytes) in blob_ids.iter().zip(contents.by_ref()) {
        files[*index].bytes = Some(bytes);
    }
    if !links.is_empty() {
        let tree = GitTree::load(root, commit)?;
        for ((index, _), target) in links.iter().zip(contents) {
            let file = &mut files[*index];
            let points_to = match tree.resolve(&file.path) {
                Resolved::Blob { .. } => LinkTarget::File,
                Resolved::Tree { .. } => LinkTarget::Folder,
                Resolved::Missing { .. } => LinkTarget::Missing,
                Resolved::Outside => {
                    LinkTarget::Unresolvable("it leads out of the repository".into())
                }
                Resolved::Loop => LinkTarget::Unresolvable("a loop of symlinks".into()),
                Resolved::Other { .. } => LinkTarget::Unresolvable("a submodule".into()),
            };
            let target = String::from_utf8_lossy(&target).into_owned();
            file.size = 0;
            file.problem = Some(Problem::Symlink { target, points_to });
        }
    }
    Ok(files)
}

/// The contents of the objects `ids`, in order, with one `git cat-file --batch`.
fn cat_file_batch(root: &Path, ids: &[&str]) -> Result<Vec<Vec<u8>>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run git cat-file")?;
    let mut stdin = child.stdin.take().context("git cat-file has no stdin")?;
    let request: String = ids.iter().map(|id| format!("{id}\n")).collect();
    // Write from a thread: git answers while we write, and both pipes are bounded.
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let mut reader = BufReader::new(child.stdout.take().context("git cat-file has no stdout")?);
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        // "<object> blob <size>\n"
        let size: usize = header
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("git cat-file gave no blob for {id}: {header}"))?;
        let mut bytes = vec![0; size + 1];
        reader.read_exact(&mut bytes)?;
        bytes.truncate(size);
        out.push(bytes);
    }
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("git cat-file writer panicked"))??;
    child.wait()?;
    Ok(out)
}

/// Every entry of a commit's tree (one `git ls-tree -r -t`) and the targets
/// of its symlinks, to resolve a path through symlinks as a checkout would,
/// without ever leaving the repository.
pub struct GitTree {
    /// Path → (mode, object id).
    entries: std::collections::HashMap<String, (String, String)>,
    /// Symlink object id → its target.
    links: std::collections::HashMap<String, String>,
}

/// Where a path of a commit leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A file: its path after following symlinks, its object id, and
    /// whether a symlink was followed on the way.
    Blob {
        path: String,
        oid: String,
        via_link: bool,
    },
    Tree {
        path: String,
    },
    /// A submodule, or another kind of entry.
    Other {
        path: String,
    },
    /// Nothing there (`path`: the first part that is missing).
    Missing {
        path: String,
    },
    /// `..` or an absolute symlink target leads out of the repository.
    Outside,
    /// More than 40 symlinks followed, as the kernel's limit.
    Loop,
}

impl GitTree {
    pub fn load(root: &Path, commit: &str) -> Result<GitTree> {
        let listing = Command::new("git")
            .arg("-C")
            .arg(root)
            .args(["ls-tree", "-r", "-t", "-z", "--full-tree", commit])
            .output()
            .context("cannot run git ls-tree")?;
        if !listing.status.success() {
            bail!(
                "git ls-tree {commit} failed: {}",
                String::from_utf8_lossy(&listing.stderr).trim()
            );
        }
        let mut entries = std::collections::HashMap::new();
        let mut link_ids = Vec::new();
        for record in listing.stdout.split(|b| *b == 0).filter(|r| !r.is_empty()) {
            // "<mode> <type> <object>\t<path>"
            let Some(tab) = record.iter().position(|b| *b == b'\t') else {
                continue;
            };
            let meta = String::from_utf8_lossy(&record[..tab]);
            let path = String::from_utf8_lossy(&record[tab + 1..]).into_owned();
            let fields: Vec<&str> = meta.split_whitespace().collect();
            if let [mode, _, oid] = fields[..] {
                if mode == "120000" {
                    link_ids.push(oid.to_string());
                }
                entries.insert(path, (mode.to_string(), oid.to_string()));
            }
        }
        let ids: Vec<&str> = link_ids.iter().map(String::as_str).collect();
        let targets = cat_file_batch(root, &ids)?;
        let links = link_ids
            .into_iter()
            .zip(targets)
            .map(|(id, t)| (id, String::from_utf8_lossy(&t).into_owned()))
            .collect();
        Ok(GitTree { entries, links })
    }

    /// Follows `path` (relative to the repository root) through the tree.
    pub fn resolve(&self, path: &str) -> Resolved {
        let mut pending: std::collections::VecDeque<String> =
            path.split('/').map(String::from).collect();
        let mut at: Vec<String> = Vec::new();
        let mut hops = 0;
        let mut via_link = false;
        while let Some(part) = pending.pop_front() {
            match part.as_str() {
                "" | "." => continue,
                ".." => {
                    if at.pop().is_none() {
                        return Resolved::Outside;
                    }
                    continue;
                }
                _ => {}
            }
            at.push(part);
            let here = at.join("/");
            let Some((mode, oid)) = self.entries.get(&here) else {
                return Resolved::Missing { path: here };
            };
            match mode.as_str() {
                "120000" => {
                    hops += 1;
                    if hops > 40 {
                        return Resolved::Loop;
                    }
                    via_link = true;
                    at.pop();
                    let target = self.links.get(oid).map_or("", String::as_str);
                    if target.starts_with('/') {
                        return Resolved::Outside;
                    }
                    for part in target.split('/').rev() {
                        pending.push_front(part.to_string());
                    }
                }
                "040000" => {}
                "100644" | "100755" => {
                    return if pending.iter().all(|p| p.is_empty() || p == ".") {
                        Resolved::Blob {
                            path: here,
                            oid: oid.clone(),
                            via_link,
                        }
                    } else {
                        Resolved::Missing { path: here }
                    };
                }
                _ => return Resolved::Other { path: here },
            }
        }
        Resolved::Tree { path: at.join("/") }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_spellings_of_the_extension_are_found_and_renamed() {
        let md = Names {
            extensions: &[".md"],
        };
        assert_eq!(
            md.respelled("content/a.MD").as_deref(),
            Some("content/a.md")
        );
        assert_eq!(
            md.respelled("content/a.Md").as_deref(),
            Some("content/a.md")
        );
        assert_eq!(
            md.respelled("content/a.Markdown").as_deref(),
            Some("content/a.md")
        );
        assert_eq!(
            md.respelled("content/a.mkd").as_deref(),
            Some("content/a.md")
        );
        assert_eq!(md.respelled("content/a.txt"), None);
        assert_eq!(md.respelled("content/a.png"), None);
        let yaml = Names {
            extensions: &[".yaml", ".yml"],
        };
        assert_eq!(
            yaml.respelled("schedules/t.YML").as_deref(),
            Some("schedules/t.yml")
        );
        assert_eq!(yaml.respelled("schedules/t.markdown"), None);
        let mut file = RepoFile::new("content/a.MD", Vec::new());
        assert!(md.keep(&mut file));
        assert_eq!(
            file.problem,
            Some(Problem::Extension {
                suggested: "content/a.md".into()
            })
        );
        // A symlink to a file is kept only when it is named like a post.
        let link = |path: &str, points_to| RepoFile {
            problem: Some(Problem::Symlink {
                target: "x".into(),
                points_to,
            }),
            ..RepoFile::new(path, Vec::new())
        };
        assert!(md.keep(&mut link("content/a.md", LinkTarget::File)));
        assert!(!md.keep(&mut link("content/a.png", LinkTarget::File)));
        assert!(md.keep(&mut link("content/shared", LinkTarget::Folder)));
        assert!(md.keep(&mut link("content/gone", LinkTarget::Missing)));
    }

    fn tree(entries: &[(&str, &str, &str)], links: &[(&str, &str)]) -> GitTree {
        GitTree {
            entries: entries
                .iter()
                .map(|(path, mode, oid)| (path.to_string(), (mode.to_string(), oid.to_string())))
                .collect(),
            links: links
                .iter()
                .map(|(oid, target)| (oid.to_string(), target.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_commit_s_symlinks_are_followed_inside_the_repository_only() {
        let t = tree(
            &[
                ("images", "040000", "t1"),
                ("images/a.png", "100644", "b1"),
                ("images/same.png", "120000", "l-same"),
                ("images/up.png", "120000", "l-up"),
                ("images/abs.png", "120000", "l-abs"),
                ("images/loop1", "120000", "l-loop1"),
                ("images/loop2", "120000", "l-loop2"),
                ("pics", "120000", "l-dir"),
                ("lib", "160000", "c1"),
            ],
            &[
                ("l-same", "./a.png"),
                ("l-up", "../../etc/passwd"),
                ("l-abs", "/etc/passwd"),
                ("l-loop1", "loop2"),
                ("l-loop2", "loop1"),
                ("l-dir", "images"),
            ],
        );
        let blob = |path: &str, via_link| Resolved::Blob {
            path: path.into(),
            oid: "b1".into(),
            via_link,
        };
        assert_eq!(t.resolve("images/a.png"), blob("images/a.png", false));
        assert_eq!(t.resolve("images/same.png"), blob("images/a.png", true));
        assert_eq!(t.resolve("pics/a.png"), blob("images/a.png", true));
        assert_eq!(t.resolve("pics/same.png"), blob("images/a.png", true));
        assert_eq!(
            t.resolve("images/../images/a.png"),
            blob("images/a.png", false)
        );
        assert_eq!(t.resolve("images/up.png"), Resolved::Outside);
        assert_eq!(t.resolve("images/abs.png"), Resolved::Outside);
        assert_eq!(t.resolve("../x.png"), Resolved::Outside);
        assert_eq!(t.resolve("images/loop1"), Resolved::Loop);
        assert_eq!(
            t.resolve("pics"),
            Resolved::Tree {
                path: "images".into()
            }
        );
        assert_eq!(
            t.resolve("images/b.png"),
            Resolved::Missing {
                path: "images/b.png".into()
            }
        );
        assert_eq!(
            t.resolve("images/a.png/x"),
            Resolved::Missing {
                path: "images/a.png".into()
            }
        );
        assert_eq!(t.resolve("lib"), Resolved::Other { path: "lib".into() });
    }
}
