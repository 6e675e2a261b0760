//! A `regex` whose named groups are written like metavariables
//! (`(?P<OWNER>.+)->`) captures the part of the node's text each group
//! matched, as `$OWNER`: a part of a node (the object in `&priv->timer`,
//! the `_sync` of a name) that no snippet can name. A name already bound
//! must capture the same text again, as a metavariable used twice must.

use super::snippet::Captures;
use regex::Regex;
use std::ops::Range;

/// The group names of `re` that bind captures (upper case, as `$NAME`).
pub fn capture_names(re: &Regex) -> Vec<String> {
    re.capture_names()
        .flatten()
        .filter(|n| is_capture_name(n))
        .map(str::to_string)
        .collect()
}

/// A name spelled as a capture (`OWNER`, `FIELDS`): upper case, digits, `_`.
pub(super) fn is_capture_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// Whether `re` matches the text at `range` of `file`; on a match, each
/// capture-named group that took part binds its range of the file.
/// `caps` is unchanged when the match fails or a bound name disagrees.
pub fn match_binding(re: &Regex, file: &[u8], range: Range<usize>, caps: &mut Captures) -> bool {
    let Ok(text) = std::str::from_utf8(&file[range.clone()]) else {
        return false;
    };
    let names = capture_names(re);
    if names.is_empty() {
        return re.is_match(text);
    }
    let Some(found) = re.captures(text) else {
        return false;
    };
    let mut trial = caps.clone();
    for name in &names {
        let Some(m) = found.name(name) else { continue };
        let at = range.start + m.start()..range.start + m.end();
        match trial.get(name.as_str()) {
            Some(prev) if file.get(prev.clone()) != Some(m.as_str().as_bytes()) => return false,
            Some(_) => {}
            None => {
                trial.insert(name.as_str().into(), at);
            }
        }
    }
    *caps = trial;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_groups_bind_parts_and_must_agree() {
        let re = Regex::new(r"^&(?P<OWNER>.+)->(?P<sub>.*)$").unwrap();
        assert_eq!(capture_names(&re), ["OWNER"]);
        let file = b"x = &priv->timer; kfree(priv); kfree(other);";
        let mut caps = Captures::new();
        assert!(match_binding(&re, file, 4..16, &mut caps));
        assert_eq!(&file[caps["OWNER"].clone()], b"priv");
        assert_eq!(caps.len(), 1, "a lower-case group binds nothing");
        let same = Regex::new(r"^kfree\((?P<OWNER>\w+)\)$").unwrap();
        assert!(match_binding(&same, file, 18..29, &mut caps));
        assert!(!match_binding(&same, file, 31..43, &mut caps));
        assert_eq!(&file[caps["OWNER"].clone()], b"priv");
    }

    #[test]
    fn an_empty_group_binds_an_empty_capture() {
        let re = Regex::new(r"^del_timer(?P<SYNC>(?:_sync)?)$").unwrap();
        let mut caps = Captures::new();
        assert!(match_binding(&re, b"del_timer", 0..9, &mut caps));
        assert_eq!(caps["SYNC"], 9..9);
        let optional = Regex::new(r"^del_timer(?P<SYNC>_sync)?$").unwrap();
        let mut caps = Captures::new();
        assert!(match_binding(&optional, b"del_timer", 0..9, &mut caps));
        assert!(caps.is_empty(), "a group that took no part binds nothing");
    }
}
