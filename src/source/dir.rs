//! A sorted, loop-safe recursive walk over a folder for `.txt` files.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::error::{Skip, SkipReason};

/// Lists the `.txt` files under `root`, recursively, in sorted path order,
/// each with its id (the path relative to `root`, `/`-separated). Symbolic
/// links are followed, but a folder reached twice (a link loop) is reported
/// as a skip instead of being walked again. Unreadable folders are skips.
pub fn walk(root: &Path) -> Vec<Result<(PathBuf, String), Skip>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    visit(root, root, &mut seen, &mut out);
    out
}

fn skip(path: &Path, reason: SkipReason) -> Skip {
    Skip { source: path.display().to_string(), line: None, reason }
}

fn visit(
    root: &Path,
    dir: &Path,
    seen: &mut HashSet<PathBuf>,
    out: &mut Vec<Result<(PathBuf, String), Skip>>,
) {
    match std::fs::canonicalize(dir) {
        Ok(real) => {
            if !seen.insert(real) {
                out.push(Err(skip(dir, SkipReason::SymlinkLoop)));
                return;
            }
        }
        Err(e) => {
            out.push(Err(skip(dir, SkipReason::Unreadable(e.to_string()))));
            return;
        }
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(rd) => rd.collect::<Result<Vec<_>, _>>(),
        Err(e) => Err(e),
    };
    let mut paths: Vec<PathBuf> = match entries {
        Ok(es) => es.into_iter().map(|e| e.path()).collect(),
        Err(e) => {
            out.push(Err(skip(dir, SkipReason::Unreadable(e.to_string()))));
            return;
        }
    };
    paths.sort();
    for path in paths {
        // metadata() follows links: a dangling link is an unreadable file.
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => visit(root, &path, seen, out),
            Ok(_) => {
                if super::is_txt(&path) {
                    let rel = path.strip_prefix(root).unwrap_or(&path);
                    let id = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/");
                    out.push(Ok((path, id)));
                }
            }
            Err(e) => {
                if super::is_txt(&path) {
                    out.push(Err(skip(&path, SkipReason::Unreadable(e.to_string()))));
                }
            }
        }
    }
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
        let got = walk(root);
        let ids: Vec<_> = got.iter().filter_map(|r| r.as_ref().ok()).map(|(_, id)| id).collect();
        assert_eq!(ids, ["a.txt", "b/c/z.txt"]);
        #[cfg(unix)]
        {
            let skips: Vec<_> = got.iter().filter_map(|r| r.as_ref().err()).collect();
            assert_eq!(skips.len(), 1);
            assert_eq!(skips[0].reason, SkipReason::SymlinkLoop);
        }
    }
}
