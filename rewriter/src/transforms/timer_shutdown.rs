//! `timer-shutdown-on-teardown`: `del_timer_sync(T)` / `del_timer(T)` (and
//! their `timer_delete*` names) on a teardown path become
//! `timer_shutdown_sync(T)` / `timer_shutdown(T)`, which also stop anything
//! from arming the timer again. Whether a call is on a teardown path is
//! what a rule cannot say, so it is decided here:
//!
//! - `auto` when the object holding the timer (`x` in `&x->timer`) is
//!   freed later in the same function, by a statement of the block that
//!   holds the stop or of one around it (kfree() and friends): nothing
//!   can legitimately arm the timer once its memory is gone;
//! - `auto` in a module exit (`__exit`, or named in `module_exit()`);
//! - `auto` in a driver unbind function (`*_exit`, `*_remove`,
//!   `*_disconnect`...) when the file sets the same timer
//!   up again (`timer_setup()` and the older forms) elsewhere: a later
//!   probe re-initializes it, so the shutdown cannot outlive the binding;
//! - `manual` when the function arms the same timer again after the call
//!   (the shutdown would silently turn that into a no-op), when an unbind
//!   function stops a timer nothing in the file sets up again (a
//!   `DEFINE_TIMER` that a second probe would find dead), and in other
//!   teardown-named functions (release, destroy, free, cleanup, deinit...)
//!   that do not free the object: a later open or resume may arm it again;
//! - no site anywhere else: stopping a timer for a while is what
//!   del_timer_sync() is for.

use super::c_util::{call_args, callee, descendants, enclosing_definition, path_to, squeezed};
use super::{Transform, TransformCtx, TransformOutput};
use crate::edit::Edit;
use crate::model::{first_line_excerpt, Note, Site, Verdict};
use crate::parse::function_name;
use tree_sitter::Node;

pub struct TimerShutdown;

/// The calls that stop a timer, and what each becomes.
const STOPS: &[(&str, &str)] = &[
    ("del_timer_sync", "timer_shutdown_sync"),
    ("del_timer", "timer_shutdown"),
    ("timer_delete_sync", "timer_shutdown_sync"),
    ("timer_delete", "timer_shutdown"),
];

/// Calls that arm a timer (its first argument).
const ARMS: &[&str] = &[
    "mod_timer",
    "add_timer",
    "add_timer_on",
    "mod_timer_pending",
    "timer_reduce",
    "timer_setup",
    "setup_timer",
    "init_timer",
    "timer_setup_on_stack",
];

/// Calls that set a timer up (the ones a later probe would run again).
const SETUPS: &[&str] = &[
    "timer_setup",
    "setup_timer",
    "init_timer",
    "timer_setup_on_stack",
    "__setup_timer",
    "init_timer_key",
];

/// Calls that free the object given as an argument.
const FREES: &[&str] = &[
    "kfree",
    "kvfree",
    "vfree",
    "kfree_sensitive",
    "kzfree",
    "devm_kfree",
    "kfree_rcu",
    "kvfree_rcu",
    "kmem_cache_free",
];

/// Function name words of a module exit or a driver unbind.
const UNBIND_WORDS: &[&str] = &["exit", "remove", "disconnect", "detach", "unbind"];

/// Words that may follow an unbind word in a callback's name
/// (`foo_remove_one`, `foo_exit_module`, `sdhci_remove_host`).
const UNBIND_TAILS: &[&str] = &[
    "one", "common", "dev", "device", "module", "driver", "pci", "usb", "platform", "host", "port",
    "intf",
];

/// Whether a function named by `words` (split at `_`), whose head (return
/// type, name and parameters) is `head`, unbinds a driver or exits a
/// module. The unbind word must end the name but for a known tail, so
/// `foo_remove_sta_key` is not one; `disconnect` only counts for bus
/// callbacks that get a USB interface, a serio port or a HID device, as
/// wireless drivers use the word for losing an access point.
fn is_unbind_name(words: &[&str], head: &[u8]) -> bool {
    let Some(at) = words.iter().rposition(|w| UNBIND_WORDS.contains(w)) else {
        return false;
    };
    if !words[at + 1..].iter().all(|w| UNBIND_TAILS.contains(w)) {
        return false;
    }
    if words[at] == "disconnect" {
        let head = String::from_utf8_lossy(head);
        return ["usb_interface", "serio", "hid_device", "usb_serial"]
            .iter()
            .any(|t| head.contains(t));
    }
    true
}

/// Function name words of other teardown functions.
const TEARDOWN_WORDS: &[&str] = &[
    "release",
    "destroy",
    "free",
    "cleanup",
    "teardown",
    "deinit",
    "uninit",
    "fini",
    "unregister",
    "unload",
];

impl Transform for TimerShutdown {
    fn name(&self) -> &'static str {
        "timer-shutdown-on-teardown"
    }

    fn run(&self, ctx: &TransformCtx) -> TransformOutput {
        let module_exit_re =
            regex::Regex::new(r"\bmodule_exit\(\s*(\w+)\s*\)").expect("static regex");
        ctx.each_file(|p| {
            let mut out = TransformOutput::default();
            let (f, parsed, errors) = (p.file, p.parsed, p.errors);
            let nodes = descendants(parsed.root());
            let calls: Vec<Node> = nodes
                .iter()
                .copied()
                .filter(|n| n.kind() == "call_expression")
                .collect();
            // Timers this file sets up, by the member or variable name.
            let setups: Vec<(String, usize)> = calls
                .iter()
                .filter(|c| callee(**c, parsed).is_some_and(|n| SETUPS.contains(&n)))
                .filter_map(|c| {
                    call_args(*c)
                        .first()
                        .map(|a| (timer_key(&squeezed(*a, parsed)), c.start_byte()))
                })
                .collect();
            let module_exits: Vec<String> = module_exit_re
                .captures_iter(&String::from_utf8_lossy(&f.bytes))
                .map(|c| c[1].to_string())
                .collect();
            for (at, call) in calls.iter().enumerate() {
                let Some(name) = callee(*call, parsed) else {
                    continue;
                };
                let Some((_, new)) = STOPS.iter().find(|(old, _)| *old == name) else {
                    continue;
                };
                let args = call_args(*call);
                let path = path_to(parsed.root(), *call);
                let Some(def) = enclosing_definition(&path) else {
                    continue;
                };
                if args.len() != 1 {
                    continue;
                }
                let timer = squeezed(args[0], parsed);
                let owner = owner_of(&timer);
                let fn_name = function_name(def, parsed.text()).unwrap_or_default();
                let words: Vec<&str> = fn_name.split('_').collect();
                let head = &f.bytes[def.start_byte()
                    ..def
                        .child_by_field_name("body")
                        .map_or(def.end_byte(), |b| b.start_byte())];
                // A module exit: nothing of the module runs afterwards, and a
                // new load initializes its static timers afresh.
                let module_exit =
                    head.windows(6).any(|w| w == b"__exit") || module_exits.contains(&fn_name);
                let is_exit = module_exit || is_unbind_name(&words, head);
                let is_teardown = words.iter().any(|w| TEARDOWN_WORDS.contains(w));
                // What the function does after the call (the calls are in
                // document order).
                let later: Vec<Node> = calls[at + 1..]
                    .iter()
                    .copied()
                    .skip_while(|c| c.start_byte() <= call.end_byte())
                    .take_while(|c| c.end_byte() <= def.end_byte())
                    .collect();
                let line_of = |n: Node| parsed.line_col(n.start_byte()).0;
                let rearm = later.iter().find(|c| {
                    callee(**c, parsed).is_some_and(|n| ARMS.contains(&n))
                        && call_args(**c)
                            .first()
                            .is_some_and(|a| squeezed(*a, parsed) == timer)
                });
                let freed = owner.as_ref().and_then(|o| {
                    later.iter().find(|c| {
                        callee(**c, parsed).is_some_and(|n| FREES.contains(&n))
                            && call_args(**c).iter().any(|a| squeezed(*a, parsed) == *o)
                            && unconditional_after(&path, &path_to(parsed.root(), **c))
                    })
                });
                let key = timer_key(&timer);
                let set_up_elsewhere = setups
                    .iter()
                    .any(|(k, at)| *k == key && !def.byte_range().contains(at));
                let (line, column) = parsed.line_col(call.start_byte());
                if freed.is_none() && !is_exit && !is_teardown {
                    continue;
                }
                let mut notes = Vec::new();
                let (rule, verdict, reason): (&str, Verdict, Option<String>) = if let Some(r) =
                    rearm
                {
                    let what = callee(*r, parsed).unwrap_or("");
                    notes.push(Note {
                        file: f.rel.clone(),
                        line: line_of(*r),
                        message: format!("{what}({timer}, ...)"),
                    });
                    ("rearmed", Verdict::Manual, Some(format!("`{fn_name}` arms `{timer}` again with {what}() on line {}: a shut-down timer would ignore it", line_of(*r))))
                } else if let Some(fr) = freed {
                    notes.push(Note {
                        file: f.rel.clone(),
                        line: line_of(*fr),
                        message: format!(
                            "{}({})",
                            callee(*fr, parsed).unwrap_or(""),
                            owner.as_deref().unwrap_or("")
                        ),
                    });
                    ("freed-after", Verdict::Auto, None)
                } else if module_exit {
                    ("module-exit", Verdict::Auto, None)
                } else if is_exit && set_up_elsewhere {
                    ("unbind", Verdict::Auto, None)
                } else if is_exit {
                    ("unbind-no-setup", Verdict::Manual, Some(format!("nothing in this file sets `{timer}` up again (a DEFINE_TIMER or a setup elsewhere): check that it is re-initialized before another probe arms it")))
                } else if is_teardown {
                    let what = owner.as_deref().map_or(
                        String::from("the timer is not embedded in an object freed here"),
                        |o| format!("`{o}` is not always freed here"),
                    );
                    ("teardown-not-freed", Verdict::Manual, Some(format!("`{fn_name}` tears down, but {what}: check that nothing arms the timer again (a later open, resume or restart) before it is set up again")))
                } else {
                    continue;
                };
                let mut site = Site {
                    pattern: ctx.pattern_id.to_string(),
                    rule: rule.into(),
                    file: f.rel.clone(),
                    line,
                    column,
                    context: Some(fn_name.clone()),
                    verdict,
                    reason,
                    snippet: first_line_excerpt(&f.bytes, call.start_byte()),
                    notes,
                    group: f.rel.clone(),
                };
                if let Some(why) = errors.refusal(*call) {
                    site.verdict = Verdict::Unparsed;
                    site.reason = Some(why);
                }
                let index = out.sites.len();
                let auto = site.verdict == Verdict::Auto;
                out.sites.push(site);
                if auto {
                    let f_node = call
                        .child_by_field_name("function")
                        .expect("a call with a callee name");
                    out.add_edit(
                        &f.rel,
                        &f.bytes,
                        Edit {
                            range: f_node.byte_range(),
                            replacement: new.as_bytes().to_vec(),
                            site: index,
                        },
                    );
                }
            }
            out
        })
    }
}

/// Whether the free runs whenever the stop did (given the paths from the
/// root to each): the block holding the free also holds the stop
/// (`if (last) kfree(x);` leaves `x` alive otherwise, and a later open
/// could arm its timer again).
fn unconditional_after(stop: &[Node], free: &[Node]) -> bool {
    let Some(block_at) = free[..free.len() - 1]
        .iter()
        .rposition(|p| matches!(p.kind(), "compound_statement" | "case_statement"))
    else {
        return false;
    };
    let free_stmt = free[block_at + 1];
    matches!(
        free_stmt.kind(),
        "expression_statement" | "labeled_statement"
    ) && stop.contains(&free[block_at])
}

/// The pointer to the object that holds the timer: `priv` in `&priv->timer`,
/// `priv->port` in `&priv->port->t.timer`; none for `&timer` or `&priv.timer`.
fn owner_of(timer: &str) -> Option<String> {
    let inner = timer.strip_prefix('&')?;
    let inner = inner
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or(inner);
    let at = inner.rfind("->")?;
    Some(inner[..at].to_string())
}

/// What identifies a timer across functions: its member path after the
/// last `->` (`timer`, `fpe.verify_timer`) or its variable name.
fn timer_key(timer: &str) -> String {
    let inner = timer.trim_start_matches('&');
    match inner.rfind("->") {
        Some(at) => format!("->{}", &inner[at + 2..]),
        None => inner.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_and_keys() {
        assert_eq!(owner_of("&priv->timer").as_deref(), Some("priv"));
        assert_eq!(
            owner_of("&priv->port->t.timer").as_deref(),
            Some("priv->port")
        );
        assert_eq!(owner_of("&poll_timer"), None);
        assert_eq!(timer_key("&priv->fpe.verify_timer"), "->fpe.verify_timer");
        assert_eq!(timer_key("&poll_timer"), "poll_timer");
    }

    #[test]
    fn unbind_names() {
        let words = |s: &'static str| s.split('_').collect::<Vec<_>>();
        assert!(is_unbind_name(
            &words("foo_remove"),
            b"static void foo_remove(struct platform_device *pdev)"
        ));
        assert!(is_unbind_name(&words("foo_remove_one"), b""));
        assert!(!is_unbind_name(&words("foo_remove_sta_key"), b""));
        assert!(is_unbind_name(
            &words("foo_disconnect"),
            b"static void foo_disconnect(struct usb_interface *intf)"
        ));
        assert!(!is_unbind_name(
            &words("wlan_handle_disconnect"),
            b"static int wlan_handle_disconnect(struct wlan_vif *vif)"
        ));
    }
}
