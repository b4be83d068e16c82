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
/// [`MAX_FILE_BYTES`] (`size` says how large it is) or not read yet.
#[derive(Debug, Clone)]
pub struct RepoFile {
    /// Path relative to the repository root, with `/` separators.
    pub path: String,
    pub size: u64,
    pub bytes: Option<Vec<u8>>,
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
    pub fn list(&self, dir: &str, extensions: &[&str]) -> Result<Vec<RepoFile>> {
        let wanted = |path: &str| extensions.iter().any(|ext| path.ends_with(ext));
        let mut files = match self {
            Snapshot::WorkTree { root } => {
                let mut found = Vec::new();
                walk(root, &root.join(dir), &mut found)?;
                found.retain(|f| wanted(&f.path));
                found
            }
            Snapshot::Commit { root, commit } => git_files(root, commit, dir, &wanted)?,
        };
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

    /// Reads a listed file unless it is read already or too large.
    pub fn read(&self, file: &mut RepoFile) -> Result<()> {
        if file.bytes.is_some() || file.size > MAX_FILE_BYTES {
            return Ok(());
        }
        let full = self.root().join(&file.path);
        file.bytes =
            Some(std::fs::read(&full).with_context(|| format!("cannot read {}", full.display()))?);
        Ok(())
    }
}

/// A digest of the names, sizes and modification times of the files under
/// `dirs`: it changes when any file there is added, removed or edited.
pub fn tree_fingerprint(root: &Path, dirs: &[&str]) -> Result<String> {
    let mut found = Vec::new();
    for dir in dirs {
        walk(root, &root.join(dir), &mut found)?;
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    let mut hasher = Sha256::new();
    for file in &found {
        let modified = std::fs::metadata(root.join(&file.path))
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

fn walk(root: &Path, dir: &Path, found: &mut Vec<RepoFile>) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot list {}", dir.display())),
    };
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let path = entry.path();
        let meta = entry
            .metadata()
            .with_context(|| format!("cannot read {}", path.display()))?;
        if meta.is_dir() {
            walk(root, &path, found)?;
        } else if meta.is_file() {
            // Invariant: `path` was found by walking below `root`.
            let relative = path.strip_prefix(root).unwrap_or(&path);
            let relative = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            found.push(RepoFile {
                path: relative,
                size: meta.len(),
                bytes: None,
            });
        }
    }
    Ok(())
}

/// Reads the blobs under `dir` at `commit` with one `git ls-tree` and one
/// `git cat-file --batch`, whatever the number of files.
fn git_files(
    root: &Path,
    commit: &str,
    dir: &str,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<Vec<RepoFile>> {
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
    for record in listing.stdout.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let record = String::from_utf8_lossy(record);
        // "<mode> <type> <object> <size>\t<path>"
        let Some((meta, path)) = record.split_once('\t') else {
            continue;
        };
        let fields: Vec<&str> = meta.split_whitespace().collect();
        if fields.len() != 4 || fields[1] != "blob" || !wanted(path) {
            continue;
        }
        let size: u64 = fields[3].parse().unwrap_or(u64::MAX);
        if size <= MAX_FILE_BYTES {
            blob_ids.push((files.len(), fields[2].to_string()));
        }
        files.push(RepoFile {
            path: path.to_string(),
            size,
            bytes: None,
        });
    }
    if blob_ids.is_empty() {
        return Ok(files);
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
    let request: String = blob_ids.iter().map(|(_, id)| format!("{id}\n")).collect();
    // Write from a thread: git answers while we write, and both pipes are bounded.
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let mut reader = BufReader::new(child.stdout.take().context("git cat-file has no stdout")?);
    for (index, id) in &blob_ids {
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
        files[*index].bytes = Some(bytes);
    }
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("git cat-file writer panicked"))??;
    child.wait()?;
    Ok(files)
}
