//! A sorted, loop-safe recursive walk over a folder for `.txt` files.

use std::path::{Path, PathBuf};

use crate::error::{Skip, SkipReason};

/// Lists the `.txt` files under `root`, recursively, in sorted path order,
/// each with its id (the path relative to `root`, `/`-separated). Symbolic
/// links are followed: a link back to a folder it is in (a loop) is reported
/// as a skip instead of being walked again, while a second link to a folder
/// elsewhere is walked like any folder (its files get ids of their own).
/// Unreadable folders and `.txt` entries that are not regular files (pipes,
/// devices, dangling links) are skips.
pub fn walk(root: &Path) -> Vec<Result<(PathBuf, String), Skip>> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(root).follow_links(true).sort_by_file_name() {
        match entry {
            Ok(e) => {
                if e.file_type().is_dir() || !super::is_txt(e.path()) {
                    continue;
                }
                if !e.file_type().is_file() {
                    let why = "not a regular file (a pipe, socket or device)".to_owned();
                    out.push(Err(skip(e.path(), SkipReason::Unreadable(why))));
                    continue;
                }
                let rel = e.path().strip_prefix(root).unwrap_or(e.path());
                let id = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push(Ok((e.into_path(), id)));
            }
            Err(err) => {
                let path = err.path().unwrap_or(root).to_path_buf();
                if err.loop_ancestor().is_some() {
                    out.push(Err(skip(&path, SkipReason::SymlinkLoop)));
                } else if super::is_txt(&path) || path.is_dir() || err.depth() == 0 {
                    // (A dangling link not named .txt is nothing we would read.)
                    let why = err.io_error().map_or_else(|| err.to_string(), ToString::to_string);
                    out.push(Err(skip(&path, SkipReason::Unreadable(why))));
                }
            }
        }
    }
    out
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
