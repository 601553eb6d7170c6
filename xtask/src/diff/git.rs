//! The base revision: which commit, and the spec files as they were there.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The revision the working tree is compared with.
#[derive(Clone, Debug)]
pub struct Base {
    root: PathBuf,
    /// Full commit id.
    pub commit: String,
    /// How the report names it: `` `HEAD~1` (a121784) ``.
    pub label: String,
}

fn git(root: &Path, args: &[&str]) -> Result<std::process::Output, String> {
    Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

impl Base {
    /// `rev` as given, or the merge base of `HEAD` and `main`, or `HEAD` when there
    /// is no `main` branch.
    pub fn resolve(root: &Path, rev: Option<&str>) -> Result<Base, String> {
        let rev = match rev {
            Some(rev) => rev.to_owned(),
            None => {
                let merge_base = git(root, &["merge-base", "HEAD", "main"])?;
                if merge_base.status.success() {
                    stdout(&merge_base)
                } else {
                    "HEAD".to_owned()
                }
            }
        };
        let verify = git(
            root,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{rev}^{{commit}}"),
            ],
        )?;
        if !verify.status.success() {
            return Err(format!(
                "`{rev}` is not a commit of the repository at {}",
                root.display()
            ));
        }
        let commit = stdout(&verify);
        let short = commit.get(..10).unwrap_or(&commit).to_owned();
        let label = if rev == commit {
            format!("`{short}`")
        } else {
            format!("`{rev}` ({short})")
        };
        Ok(Base {
            root: root.to_owned(),
            commit,
            label,
        })
    }

    /// The file at the base (`path` relative to the root), or `None` if it did not
    /// exist there.
    pub fn read(&self, path: &str) -> Result<Option<String>, String> {
        let listed = git(
            &self.root,
            &["ls-tree", "--name-only", &self.commit, "--", path],
        )?;
        if !listed.status.success() {
            return Err(format!(
                "git ls-tree failed: {}",
                String::from_utf8_lossy(&listed.stderr).trim()
            ));
        }
        if stdout(&listed).is_empty() {
            return Ok(None);
        }
        let shown = git(&self.root, &["show", &format!("{}:./{path}", self.commit)])?;
        if !shown.status.success() {
            return Err(format!(
                "git show {}:{path} failed: {}",
                self.commit,
                String::from_utf8_lossy(&shown.stderr).trim()
            ));
        }
        String::from_utf8(shown.stdout)
            .map(Some)
            .map_err(|_| format!("{path} at {} is not UTF-8", self.label))
    }

    /// Names of the specs (`specs/<name>.yaml`) at the base.
    pub fn specs(&self) -> Result<Vec<String>, String> {
        let listed = git(
            &self.root,
            &["ls-tree", "--name-only", &self.commit, "--", "specs/"],
        )?;
        if !listed.status.success() {
            return Err(format!(
                "git ls-tree failed: {}",
                String::from_utf8_lossy(&listed.stderr).trim()
            ));
        }
        Ok(stdout(&listed).lines().filter_map(spec_name).collect())
    }
}

fn spec_name(path: &str) -> Option<String> {
    let file = path.rsplit('/').next()?;
    file.strip_suffix(".yaml").map(str::to_owned)
}

/// Names of the specs in the working tree.
pub fn working_specs(root: &Path) -> Result<Vec<String>, String> {
    let dir = root.join("specs");
    let entries =
        std::fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    Ok(entries
        .filter_map(|e| e.ok()?.file_name().to_str().and_then(spec_name))
        .collect())
}
