//! The guest's /init: mount, load unplug_verify, run the scenario steps
//! with markers on the console, flush verdicts, power off.
//!
//! All guest output goes through /dev/kmsg (with `printk.devkmsg=on` so it
//! is not rate limited): each line becomes one kernel record, so userspace
//! text can never land in the middle of a KTAP line on the serial console.
//!
//! Kprobe jump optimization is switched off in the guest: it adds another
//! round of live code patching (kobject_get is jump-optimized on 6.12), and
//! one reload crash under TCG was at an optimized probe.

use crate::scenario::{Action, Scenario};
use anyhow::{bail, Result};

/// Console markers the host reads back.
pub const MARK_STEP: &str = "UNPLUG-STEP ";
pub const MARK_RC: &str = "UNPLUG-RC ";
pub const MARK_DONE: &str = "UNPLUG-DONE";
pub const MARK_ERROR: &str = "UNPLUG-ERROR ";

const CONTROL: &str = "/sys/kernel/debug/unplug_verify/control";

fn quote(s: &str) -> Result<String> {
    if s.contains('\'') || s.contains('\n') {
        bail!("{s:?}: quotes and newlines are not allowed here");
    }
    Ok(format!("'{s}'"))
}

fn describe(a: &Action) -> String {
    match a {
        Action::Run(c) => format!("run {}", c.lines().next().unwrap_or("")),
        Action::Modprobe(m) => format!("modprobe {m}"),
        Action::Insmod(m) => format!("insmod {m}"),
        Action::Rmmod(m) => format!("rmmod {m}"),
        Action::Unbind(d) => format!("unbind {d}"),
        Action::Bind(d) => format!("bind {d}"),
        Action::Wait(p) => format!("wait {p}"),
        Action::Hold(p) => format!("hold {p}"),
        Action::Release => "release".into(),
    }
}

/// `insmod: NAME [param=value]...`: the fixture's module and its
/// parameters, which must be plain `key=value` words.
fn insmod(spec: &str) -> Result<String> {
    let mut words = spec.split_whitespace();
    let name = words.next().unwrap_or_default();
    let mut cmd = format!("insmod $K/extra/{name}.ko");
    for p in words {
        let plain = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.,".contains(c))
        };
        match p.split_once('=') {
            Some((k, v)) if plain(k) && plain(v) => cmd += &format!(" {p}"),
            _ => bail!("insmod {spec:?}: parameter {p:?} is not a plain key=value"),
        }
    }
    Ok(cmd)
}

fn command(a: &Action, step: usize) -> Result<String> {
    Ok(match a {
        Action::Run(c) => format!("(\n{c}\n)"),
        Action::Modprobe(m) => format!("modprobe {m}"),
        Action::Insmod(m) => insmod(m)?,
        Action::Rmmod(m) => format!("rmmod {m}"),
        // Every device bound to the driver on any bus; remembered for bind.
        Action::Unbind(d) => format!(
            "(n=0; for l in /sys/bus/*/drivers/{d}/*; do [ -L \"$l\" ] || continue; x=${{l##*/}}; \
             [ \"$x\" = module ] && continue; echo \"$x\" > \"${{l%/*}}/unbind\" || exit 1; \
             echo \"${{l%/*}} $x\" >> /tmp/unbound-{d}; n=$((n+1)); done; \
             [ $n -gt 0 ] || {{ echo 'no device bound to {d}'; exit 1; }})"
        ),
        Action::Bind(d) => format!(
            "(while read dir x; do echo \"$x\" > \"$dir/bind\" || exit 1; done < /tmp/unbound-{d}; rm -f /tmp/unbound-{d})"
        ),
        Action::Wait(p) => {
            let q = quote(p)?;
            format!("(i=0; while [ ! -e {q} ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; [ -e {q} ])")
        }
        // A background shell keeps the file open until its fifo is written.
        Action::Hold(p) => {
            let q = quote(p)?;
            format!(
                "(mkfifo /tmp/hold{step}) && {{ sh -c \"exec 3>{q} || exit 1; read x < /tmp/hold{step}\" & \
                 echo $! > /tmp/hold{step}.pid; i=0; while [ ! -e /proc/$!/fd/3 ] && kill -0 $! 2>/dev/null && [ $i -lt 50 ]; \
                 do sleep 0.05; i=$((i+1)); done; [ -e /proc/$!/fd/3 ]; }}"
            )
        }
        Action::Release => "release_holds".into(),
    })
}

/// The /init script for a scenario.
pub fn init_script(
    sc: &Scenario,
    watch: &[String],
    settle_ms: u32,
    verbose: bool,
) -> Result<String> {
    let mut s = String::new();
    s.push_str(
        "#!/bin/busybox sh\n\
         /bin/busybox --install -s /bin\n\
         export PATH=/bin:/sbin\n\
         mount -t proc proc /proc\n\
         mount -t sysfs sysfs /sys\n\
         mount -t devtmpfs devtmpfs /dev 2>/dev/null\n\
         mount -t debugfs debugfs /sys/kernel/debug\n\
         exec > /dev/kmsg 2>&1\n\
         echo 0 > /proc/sys/debug/kprobes-optimization\n\
         dmesg -n 8\n\
         K=/lib/modules/$(uname -r)\n",
    );
    s.push_str(&format!("C={CONTROL}\n"));
    s.push_str(
        "release_holds() {\n\
         \tfor p in /tmp/hold*.pid; do [ -e \"$p\" ] || continue; f=${p%.pid}; pid=$(cat $p);\n\
         \t\tkill -0 $pid 2>/dev/null && echo > $f; wait $pid 2>/dev/null; rm -f $p $f; done\n\
         }\n",
    );
    s.push_str(&format!(
        "insmod $K/extra/unplug_verify.ko watch={} settle_ms={settle_ms} verbose={} || {{ echo '{MARK_ERROR}unplug_verify did not load'; poweroff -f; }}\n",
        if watch.is_empty() { "''".to_string() } else { watch.join(",") },
        u8::from(verbose)
    ));
    for (i, step) in sc.steps.iter().enumerate() {
        let n = i + 1;
        let a = step.action()?;
        s.push_str(&format!(
            "echo '{MARK_STEP}{n} {}'\n",
            describe(&a).replace('\'', "")
        ));
        if let Some(label) = &step.verify {
            s.push_str(&format!("echo 'begin {label}' > $C\n"));
        }
        s.push_str(&command(&a, n)?);
        s.push_str("\nrc=$?\n");
        if step.verify.is_some() {
            s.push_str("echo end > $C\n");
        }
        s.push_str(&format!("echo \"{MARK_RC}{n} $rc\"\n"));
    }
    s.push_str("release_holds\necho sync > $C\n");
    s.push_str(&format!("echo '{MARK_DONE}'\n"));
    s.push_str("rmmod unplug_verify\npoweroff -f\n");
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;

    #[test]
    fn brackets_and_markers() {
        let sc = parse(
            "name: t\nkernels: [{kernel: \"6.12\"}]\nsteps:\n  - run: echo 1 > /x\n    verify: del\n  - rmmod: m\n    may_fail: true\n",
            "t.yaml",
        )
        .unwrap();
        let s = init_script(&sc, &["m".into()], 300, false).unwrap();
        assert!(s.contains("unplug_verify.ko watch=m settle_ms=300 verbose=0"));
        let b = s.find("echo 'begin del' > $C").unwrap();
        let c = s.find("(\necho 1 > /x\n)").unwrap();
        let e = s.find("echo end > $C").unwrap();
        assert!(b < c && c < e, "{s}");
        assert!(s.contains("echo \"UNPLUG-RC 2 $rc\""));
        assert!(s.trim_end().ends_with("poweroff -f"));
    }

    #[test]
    fn insmod_passes_plain_parameters_only() {
        assert_eq!(
            command(&Action::Insmod("deferred_legacy kind=timer_on"), 1).unwrap(),
            "insmod $K/extra/deferred_legacy.ko kind=timer_on"
        );
        assert_eq!(
            command(&Action::Insmod("fx"), 1).unwrap(),
            "insmod $K/extra/fx.ko"
        );
        assert!(command(&Action::Insmod("fx kind=$(reboot)"), 1).is_err());
        assert!(command(&Action::Insmod("fx kind"), 1).is_err());
    }

    #[test]
    fn refuses_quotes_in_paths() {
        assert!(command(&Action::Wait("/a'b"), 1).is_err());
    }
}
