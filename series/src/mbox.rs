//! `git format-patch` shaped mbox files.

use crate::gitdiff::{diffstat, file_diff, git_wrap, FileStat};
use rewriter::diff::{quote_path as quoted, Attributes};

/// The `From <sha> Mon Sep 17 00:00:00 2001` magic date line.
pub const MAGIC_DATE: &str = "Mon Sep 17 00:00:00 2001";

/// RFC 2822 date as git prints it (always UTC here).
pub fn rfc2822(epoch: i64) -> String {
    let days = epoch.div_euclid(86400);
    let secs = epoch.rem_euclid(86400);
    let (y, m, d) = civil_from_days(days);
    let wd = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][days.rem_euclid(7) as usize];
    let mon = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(m - 1) as usize];
    format!(
        "{wd}, {d} {mon} {y} {:02}:{:02}:{:02} +0000",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Days since 1970-01-01 -> (year, month, day) (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// git's `format_sanitized_subject()`.
pub fn sanitized_subject(subject: &str) -> String {
    let mut out = String::new();
    let mut space = 2;
    let b = subject.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = if b[i] == b'\n' { b' ' } else { b[i] };
        if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' {
            if space == 1 {
                out.push('-');
            }
            space = 0;
            out.push(c as char);
            if c == b'.' {
                while i + 1 < b.len() && b[i + 1] == b'.' {
                    i += 1;
                }
            }
        } else {
            space |= 1;
        }
        i += 1;
    }
    while out.ends_with('.') || out.ends_with('-') {
        out.pop();
    }
    out
}

/// `v1-0001-<slug>.patch`, truncated like git (64 columns with suffix).
pub fn patch_file_name(version: u32, nr: usize, subject: &str) -> String {
    let mut name = format!("v{version}-{nr:04}-{}", sanitized_subject(subject));
    let max = 64 - (".patch".len() + 1);
    if name.len() > max {
        name.truncate(max);
    }
    name + ".patch"
}

fn rfc2047_needed(s: &str) -> bool {
    !s.is_ascii()
}

/// RFC 2047 Q encoding as git's `add_rfc2047` does (no folding).
pub fn rfc2047(s: &str, address: bool) -> String {
    let mut out = String::from("=?UTF-8?q?");
    for &c in s.as_bytes() {
        let special = !(c.is_ascii_graphic())
            || c == b'='
            || c == b'?'
            || c == b'_'
            || c.is_ascii_whitespace()
            || (address && !(c.is_ascii_alphanumeric() || b"!*+-/".contains(&c)));
        if special {
            out += &format!("={c:02X}");
        } else {
            out.push(c as char);
        }
    }
    out + "?="
}

/// An author identity for the `From:` header.
pub fn from_header(ident: &str) -> String {
    let (name, addr) = match (ident.find('<'), ident.rfind('>')) {
        (Some(l), Some(r)) if l < r => (ident[..l].trim(), &ident[l..=r]),
        _ => return ident.to_string(),
    };
    if name.is_empty() {
        return addr.to_string();
    }
    if rfc2047_needed(name) {
        format!("{} {addr}", rfc2047(name, true))
    } else if name.chars().any(|c| "()<>@,;:\\\".[]".contains(c)) && !name.starts_with('"') {
        format!(
            "\"{}\" {addr}",
            name.replace('\\', "\\\\").replace('"', "\\\"")
        )
    } else {
        format!("{name} {addr}")
    }
}

/// `To:`/`Cc:` header with git's folding (`,\n    `).
pub fn address_header(tag: &str, addrs: &[String]) -> String {
    if addrs.is_empty() {
        return String::new();
    }
    format!("{tag}: {}\n", addrs.join(",\n    "))
}

/// Numbering tag: `[PATCH v1 01/12]`.
pub fn subject_tag(version: u32, nr: usize, total: usize) -> String {
    let w = total.to_string().len();
    format!("[PATCH v{version} {nr:0w$}/{total}]")
}

/// One file of a patch (before/after content).
pub struct PatchFile<'a> {
    pub path: &'a str,
    pub before: Option<&'a [u8]>,
    pub after: Option<&'a [u8]>,
    pub mode: u32,
}

/// Everything that goes into one mail.
pub struct Mail<'a> {
    pub sha: String,
    /// Without the angle brackets.
    pub message_id: String,
    /// The cover letter's Message-ID, for a patch (`--thread` shallow).
    pub in_reply_to: Option<&'a str>,
    /// Text between `---` and the diffstat (a changelog), may be empty.
    pub notes: String,
    pub from: &'a str,
    pub date: &'a str,
    pub tag: String,
    pub title: String,
    pub to: &'a [String],
    pub cc: &'a [String],
    pub body: String,
    pub signature: &'a str,
}

fn headers(m: &Mail) -> String {
    // git format-patch --thread: the ids right after the From line.
    let mut s = format!(
        "From {} {MAGIC_DATE}\nMessage-ID: <{}>\n",
        m.sha, m.message_id
    );
    if let Some(cover) = m.in_reply_to {
        s += &format!("In-Reply-To: <{cover}>\nReferences: <{cover}>\n");
    }
    s += &format!("From: {}\nDate: {}\n", from_header(m.from), m.date);
    let subj_prefix = format!("Subject: {} ", m.tag);
    if rfc2047_needed(&m.title) {
        s += &subj_prefix;
        s += &rfc2047(&m.title, false);
        s.push('\n');
    } else {
        s += &subj_prefix;
        s += &git_wrap(&m.title, -(subj_prefix.len() as isize), 1, 78);
        s.push('\n');
    }
    if rfc2047_needed(&m.title) || rfc2047_needed(m.from) || rfc2047_needed(&m.body) {
        s += "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n";
    }
    s += &address_header("To", m.to);
    s += &address_header("Cc", m.cc);
    s
}

/// Renders the diff part of a patch: returns (diffstat block, diffs, stats).
pub fn render_diffs(
    files: &[PatchFile],
    attrs: &Attributes,
    abbrev: usize,
) -> (String, Vec<u8>, Vec<FileStat>) {
    let mut order: Vec<&PatchFile> = files.iter().collect();
    order.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    let mut diffs = Vec::new();
    let mut stats = Vec::new();
    let mut summary = String::new();
    for f in order {
        if f.before == f.after {
            continue; // nothing to send for an unchanged file
        }
        let (d, st) = file_diff(
            f.path,
            f.before,
            f.after,
            f.mode,
            abbrev,
            attrs.funcname(f.path),
        );
        diffs.extend_from_slice(&d);
        stats.push(st);
        match (f.before, f.after) {
            (None, Some(_)) => {
                summary += &format!(" create mode {:06o} {}\n", f.mode, quoted("", f.path))
            }
            (Some(_), None) => {
                summary += &format!(" delete mode {:06o} {}\n", f.mode, quoted("", f.path))
            }
            _ => {}
        }
    }
    let mut stat = diffstat(&stats, 72);
    stat += &summary;
    (stat, diffs, stats)
}

/// A full patch mail.  `body` is the commit message body (without the
/// title), already wrapped, including any trailers.
pub fn render_patch(m: &Mail, stat: &str, diffs: &[u8]) -> Vec<u8> {
    let mut s = headers(m);
    s.push('\n');
    if !m.body.is_empty() {
        s += &m.body;
        if !m.body.ends_with('\n') {
            s.push('\n');
        }
    }
    s += "---\n";
    s += &m.notes;
    s += stat;
    s.push('\n');
    let mut out = s.into_bytes();
    out.extend_from_slice(diffs);
    out.extend_from_slice(format!("-- \n{}\n\n", m.signature).as_bytes());
    out
}

/// The cover letter.  `blurb` is the already wrapped text; `shortlog` the
/// patch titles; `stat` the series' total diffstat.
pub fn render_cover(
    m: &Mail,
    author: &str,
    titles: &[String],
    stat: &str,
    trailers: &[String],
) -> Vec<u8> {
    let mut s = headers(m);
    s.push('\n');
    s += &m.body;
    if !m.body.ends_with('\n') {
        s.push('\n');
    }
    s.push('\n');
    let name = match author.find('<') {
        Some(i) if i > 0 => author[..i].trim(),
        _ => author.trim(),
    };
    s += &format!("{name} ({}):\n", titles.len());
    for t in titles {
        s += &git_wrap(t, 2, 4, 72);
        s.push('\n');
    }
    s.push('\n');
    s += stat;
    s.push('\n');
    // `base-commit:` where git --base writes it; b4's change-id and
    // prerequisites follow it.
    if !trailers.is_empty() {
        s.push('\n');
        for t in trailers {
            s += t;
            s.push('\n');
        }
    }
    s += &format!("-- \n{}\n\n", m.signature);
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc2822(0), "Thu, 1 Jan 1970 00:00:00 +0000");
        assert_eq!(rfc2822(1795629881), "Wed, 25 Nov 2026 18:04:41 +0000");
    }

    #[test]
    fn names() {
        assert_eq!(
            patch_file_name(1, 1, "gpio: mvebu: Convert to platform remove callback returning void, and a very long subject that goes on"),
            "v1-0001-gpio-mvebu-Convert-to-platform-remove-callback-re.patch"
        );
        assert_eq!(subject_tag(1, 1, 10), "[PATCH v1 01/10]");
        assert_eq!(subject_tag(2, 3, 3), "[PATCH v2 3/3]");
        assert_eq!(
            from_header("Uwe Kleine-König <u@k.de>"),
            "=?UTF-8?q?Uwe=20Kleine-K=C3=B6nig?= <u@k.de>"
        );
        assert_eq!(
            from_header("A U Thor <a@example.com>"),
            "A U Thor <a@example.com>"
        );
    }
}
