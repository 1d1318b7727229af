//! A sorted, loop-safe recursive walk over a folder (ripgrep's `ignore`
//! crate): `.gitignore`, `.ignore` and hidden files as ripgrep treats
//! them, files chosen by globs (default `*.txt`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::error::{Skip, SkipReason};

/// How folders are walked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkOptions {
    /// Globs a file must match, any of them; one starting with `!`
    /// excludes what it matches. A glob without `/` matches the file's
    /// name, at any depth; one with `/` the path relative to the folder
    /// given (`/`-separated, a leading `/` ignored), where `*` stays within
    /// one folder and `**` crosses them. Without a glob that includes,
    /// [`DEFAULT_GLOBS`] (case-insensitive).
    pub globs: Vec<String>,
    /// Whether ignore files are respected as ripgrep respects them:
    /// `.ignore` files anywhere, `.gitignore` and `.git/info/exclude` inside
    /// a git repository.
    pub ignore_files: bool,
    /// Whether hidden files and folders (names starting with `.`) are
    /// walked.
    pub hidden: bool,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions { globs: Vec::new(), ignore_files: true, hidden: false }
    }
}

/// The files a folder gives without `--glob` (a `.txt.gz` beside its
/// `.txt` would be a second copy: compressed text is read when a glob or
/// the command line names it).
pub const DEFAULT_GLOBS: [&str; 1] = ["*.txt"];

/// One set of globs: those on the name, those on the relative path.
struct Globs {
    name: GlobSet,
    path: GlobSet,
}

impl Globs {
    fn is_match(&self, rel: &Path) -> bool {
        rel.file_name().is_some_and(|n| self.name.is_match(n)) || self.path.is_match(rel)
    }
}

/// The compiled globs: what to take and what to leave.
pub(crate) struct Filter {
    include: Globs,
    exclude: Globs,
    /// The including globs, for messages.
    shown: Vec<String>,
}

impl Filter {
    /// The filter of `opts`, or an error naming the glob that does not
    /// parse.
    pub(crate) fn new(opts: &WalkOptions) -> Result<Filter, String> {
        // (name, path) builders for what to take and what to leave.
        let mut sets: [(GlobSetBuilder, GlobSetBuilder); 2] =
            std::array::from_fn(|_| (GlobSetBuilder::new(), GlobSetBuilder::new()));
        let mut shown = Vec::new();
        let add = |set: &mut (GlobSetBuilder, GlobSetBuilder), g: &str, insensitive: bool| {
            let on_path = g.contains('/');
            let pattern = g.strip_prefix('/').unwrap_or(g);
            let glob = GlobBuilder::new(pattern)
                .case_insensitive(insensitive)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("--glob {g:?}: {e}"))?;
            if on_path {
                set.1.add(glob)
            } else {
                set.0.add(glob)
            };
            Ok::<(), String>(())
        };
        for g in &opts.globs {
            match g.strip_prefix('!') {
                Some(rest) => add(&mut sets[1], rest, false)?,
                None => {
                    add(&mut sets[0], g, false)?;
                    shown.push(g.clone());
                }
            }
        }
        if shown.is_empty() {
            for g in DEFAULT_GLOBS {
                add(&mut sets[0], g, true)?;
                shown.push(g.to_owned());
            }
        }
        let [take, leave] = sets;
        let build = |(name, path): (GlobSetBuilder, GlobSetBuilder)| -> Result<Globs, String> {
            let err = |e: globset::Error| format!("--glob: {e}");
            Ok(Globs { name: name.build().map_err(err)?, path: path.build().map_err(err)? })
        };
        Ok(Filter { include: build(take)?, exclude: build(leave)?, shown })
    }

    /// Whether the file at `rel` (relative to the folder) is read.
    pub(crate) fn takes(&self, rel: &Path) -> bool {
        self.include.is_match(rel) && !self.exclude.is_match(rel)
    }
}

/// Lists the files under `root` that `opts` takes, recursively, in sorted
/// path order, each with its id (the path relative to `root`,
/// `/`-separated). Symbolic links are followed: a link back to a folder it
/// is in (a loop) is reported as a skip instead of being walked again,
/// while a second link to a folder elsewhere is walked like any folder (its
/// files get ids of their own). Unreadable folders and taken entries that
/// are not regular files (pipes, devices, dangling links) are skips. A
/// folder that gives no file at all is a skip too, saying what the filter
/// passed over (so a folder of `.h` files is not read as nothing).
pub fn walk(root: &Path, opts: &WalkOptions) -> Vec<Result<(PathBuf, String), Skip>> {
    let filter = match Filter::new(opts) {
        Ok(f) => f,
        Err(e) => return vec![Err(skip(root, SkipReason::Unreadable(e)))],
    };
    let mut out = Vec::new();
    // Files passed over by the filter, by extension.
    let mut passed: BTreeMap<String, usize> = BTreeMap::new();
    let walker = ignore::WalkBuilder::new(root)
        .follow_links(true)
        .hidden(!opts.hidden)
        .ignore(opts.ignore_files)
        .git_ignore(opts.ignore_files)
        .git_exclude(opts.ignore_files)
        .git_global(false)
        .parents(opts.ignore_files)
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    let rel = |p: &Path| p.strip_prefix(root).unwrap_or(p).to_path_buf();
    for entry in walker {
        match entry {
            Ok(e) => {
                let Some(kind) = e.file_type() else { continue }; // stdin: never here
                if kind.is_dir() {
                    continue;
                }
                let rel = rel(e.path());
                if !filter.takes(&rel) {
                    *passed.entry(extension(&rel)).or_default() += 1;
                    continue;
                }
                if !kind.is_file() {
                    let why = "not a regular file (a pipe, socket or device)".to_owned();
                    out.push(Err(skip(e.path(), SkipReason::Unreadable(why))));
                    continue;
                }
                let id = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push(Ok((e.into_path(), id)));
            }
            Err(err) => {
                let (path, depth) = where_of(&err);
                let path = path.unwrap_or(root).to_path_buf();
                if is_loop(&err) {
                    out.push(Err(skip(&path, SkipReason::SymlinkLoop)));
                } else if filter.takes(&rel(&path)) || path.is_dir() || depth == Some(0) {
                    // (A dangling link the filter would not take is nothing
                    // we would read.)
                    out.push(Err(skip(&path, SkipReason::Unreadable(io_message(&err)))));
                }
            }
        }
    }
    if out.is_empty() {
        out.push(Err(skip(root, SkipReason::NoFileMatched(passed_over(&filter, &passed)))));
    }
    out
}

/// What a folder that gave nothing passed over, for its skip.
fn passed_over(filter: &Filter, passed: &BTreeMap<String, usize>) -> String {
    let globs = filter.shown.join(", ");
    let total: usize = passed.values().sum();
    if total == 0 {
        return format!(
            "no file matches {globs} and none was passed over (hidden files and those ignore \
             files leave out are not counted: --hidden, --no-ignore)"
        );
    }
    let mut by_count: Vec<(&String, &usize)> = passed.iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let kinds: Vec<String> = by_count.iter().take(5).map(|(e, n)| format!("{n} {e}")).collect();
    let more = if by_count.len() > 5 { ", ..." } else { "" };
    let example = by_count[0].0.trim_start_matches('.');
    let hint = if example.is_empty() || example.contains(' ') {
        "choose files with --glob".to_owned()
    } else {
        format!("choose files with --glob, e.g. --glob '*.{example}'")
    };
    format!(
        "no file matches {globs}; passed over {total} file{} ({}{more}): {hint}",
        if total == 1 { "" } else { "s" },
        kinds.join(", ")
    )
}

/// A file's extension for the passed-over counts: `.h`, `.tar.gz`-like
/// pairs for compressed names, or `(no extension)`.
fn extension(rel: &Path) -> String {
    let name = rel.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    let parts: Vec<&str> = name.split('.').skip(1).collect();
    match parts.as_slice() {
        [] => "(no extension)".to_owned(),
        [.., a, b] if matches!(*b, "gz" | "zst" | "bz2" | "xz") => format!(".{a}.{b}"),
        [.., b] => format!(".{b}"),
    }
}

/// The path and depth an error carries, if any.
fn where_of(err: &ignore::Error) -> (Option<&Path>, Option<usize>) {
    match err {
        ignore::Error::WithPath { path, err } => (Some(path.as_path()), where_of(err).1),
        ignore::Error::WithDepth { depth, err } => (where_of(err).0, Some(*depth)),
        ignore::Error::WithLineNumber { err, .. } => where_of(err),
        ignore::Error::Loop { child, .. } => (Some(child.as_path()), None),
        _ => (None, None),
    }
}

fn is_loop(err: &ignore::Error) -> bool {
    match err {
        ignore::Error::Loop { .. } => true,
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => is_loop(err),
        _ => false,
    }
}

/// The I/O error's message, without the path the skip names already.
fn io_message(err: &ignore::Error) -> String {
    match err {
        ignore::Error::Io(e) => e.to_string(),
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => io_message(err),
        other => other.to_string(),
    }
}

fn skip(path: &Path, reason: SkipReason) -> Skip {
    Skip { source: path.display().to_string(), line: None, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_relative_ids_and_symlink_loop() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("b/c")).unwrap();
        std::fs::write(root.join("b/c/z.txt"), "z").unwrap();
        std::fs::write(root.join("a.txt"), "a").unwrap();
        std::fs::write(root.join("b/skip.json"), "{}").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("b"), root.join("b/c/loop")).unwrap();
        let got = walk(root, &WalkOptions::default());
        let ids: Vec<_> = got.iter().filter_map(|r| r.as_ref().ok()).map(|(_, id)| id).collect();
        assert_eq!(ids, ["a.txt", "b/c/z.txt"]);
        #[cfg(unix)]
        {
            let skips: Vec<_> = got.iter().filter_map(|r| r.as_ref().err()).collect();
            assert_eq!(skips.len(), 1);
            assert_eq!(skips[0].reason, SkipReason::SymlinkLoop);
        }
    }

    /// Globs, exclusions, `.gitignore`, hidden files, and a folder that
    /// gives nothing: each file's fate worked out by hand.
    #[test]
    fn globs_ignore_files_and_hidden_files_choose_what_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in ["a.txt", "B.TXT", "c.txt.gz", "d.h", "e.c", "src/f.c", "src/g.h", "gen/h.c"] {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x").unwrap();
        }
        std::fs::write(root.join(".hidden.txt"), "x").unwrap();
        // A .gitignore counts in a git repository (a .git folder), as for
        // ripgrep; an .ignore file anywhere.
        std::fs::write(root.join(".gitignore"), "gen/\n").unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::write(root.join("src/.ignore"), "g.h\n").unwrap();
        let ids = |opts: &WalkOptions| -> Vec<String> {
            walk(root, opts).into_iter().filter_map(Result::ok).map(|(_, id)| id).collect()
        };
        let globs = |g: &[&str]| WalkOptions {
            globs: g.iter().map(|s| (*s).to_owned()).collect(),
            ..WalkOptions::default()
        };
        // Default: .txt in any case; hidden and ignored ones left out.
        assert_eq!(ids(&WalkOptions::default()), ["B.TXT", "a.txt"]);
        assert_eq!(ids(&globs(&["*.txt*"])), ["a.txt", "c.txt.gz"]);
        assert_eq!(ids(&globs(&["*.c", "*.h"])), ["d.h", "e.c", "src/f.c"]);
        assert_eq!(ids(&globs(&["*.c", "!src/*"])), ["e.c"]);
        // With a /, the path: * stays in one folder, ** crosses them.
        assert_eq!(ids(&globs(&["/*.c"])), ["e.c"]);
        assert_eq!(ids(&globs(&["**/*.c"])), ["e.c", "src/f.c"]);
        let all = WalkOptions { ignore_files: false, hidden: true, ..globs(&["*.c", "*.txt"]) };
        assert_eq!(ids(&all), [".hidden.txt", "a.txt", "e.c", "gen/h.c", "src/f.c"]);
        let all = WalkOptions { ignore_files: false, ..globs(&["*.h"]) };
        assert_eq!(ids(&all), ["d.h", "src/g.h"]);
        // Nothing taken: one skip that says what was passed over.
        let got = walk(&root.join("src"), &WalkOptions::default());
        assert_eq!(got.len(), 1);
        let skip = got[0].as_ref().unwrap_err();
        let SkipReason::NoFileMatched(m) = &skip.reason else { panic!("{skip:?}") };
        assert_eq!(
            m,
            "no file matches *.txt; passed over 1 file (1 .c): choose files with --glob, e.g. \
             --glob '*.c'"
        );
        let bad = walk(root, &globs(&["a[b"]));
        assert!(matches!(&bad[0], Err(s) if s.to_string().contains("--glob \"a[b\"")), "{bad:?}");
    }
}
