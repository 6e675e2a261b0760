//! Small helpers: UTC timestamps without a date crate, git commit of a tree.

use std::path::Path;
use std::process::Command;

/// `2026-11-25T18:45:00Z` for now (or `UNPLUG_NOW` when set, for tests and
/// reproducible reports).
pub fn now_utc() -> String {
    if let Ok(v) = std::env::var("UNPLUG_NOW") {
        if !v.is_empty() {
            return v;
        }
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    format_utc(secs)
}

pub fn format_utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

// Howard Hinnant's days -> civil date.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The commit checked out in `tree`, when `tree` is the top of a git
/// work tree (an enclosing repository does not count).
pub fn git_commit(tree: &Path) -> Option<String> {
    let run = |args: &[&str]| -> Option<String> {
        let o = Command::new("git")
            .arg("-C")
            .arg(tree)
            .args(args)
            .output()
            .ok()?;
        o.status
            .success()
            .then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let top = run(&["rev-parse", "--show-toplevel"])?;
    let same = std::fs::canonicalize(&top).ok()? == std::fs::canonicalize(tree).ok()?;
    if !same {
        return None;
    }
    run(&["rev-parse", "HEAD"]).filter(|s| !s.is_empty())
}

/// `drivers/gpio/gpio-foo.c` -> `gpio_foo` (the module name kbuild gives a
/// one-file driver).
pub fn module_of_file(file: &str) -> String {
    let base = file.rsplit('/').next().unwrap_or(file);
    let stem = base.strip_suffix(".c").unwrap_or(base);
    stem.replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(1_795_632_300), "2026-11-25T18:45:00Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn modules() {
        assert_eq!(module_of_file("drivers/gpio/gpio-foo.c"), "gpio_foo");
    }
}
