//! A scratch git repository for the tests that run `cargo xtask diff` and `check`
//! on specs of their own; removed when dropped.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A git work tree under the temp dir, with a `specs/` folder, on branch `main`.
pub struct Repo(PathBuf);

impl Repo {
    pub fn new(name: &str) -> Repo {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!("xtask-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(dir.join("specs")).expect("scratch dir");
        let repo = Repo(dir);
        repo.git(&["init", "--quiet", "--initial-branch=main"]);
        repo
    }

    pub fn git(&self, args: &[&str]) {
        let status = Command::new("git")
            .arg("-C")
            .arg(&self.0)
            .args([
                "-c",
                "user.name=test",
                "-c",
                "user.email=test@example.invalid",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .status()
            .expect("git runs");
        assert!(status.success(), "git {args:?}");
    }

    pub fn write(&self, file: &str, text: &str) {
        std::fs::write(self.0.join(file), text).expect("write");
    }

    pub fn commit(&self) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "--quiet", "-m", "step"]);
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Repo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
