//! Boot a kernel under QEMU TCG, stream the serial console, enforce a
//! timeout so a hung guest is an error, never a hang.

use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub struct Boot<'a> {
    pub vmlinuz: &'a Path,
    pub initrd: &'a Path,
    pub smp: u32,
    pub memory_mb: u32,
    pub disk: Option<&'a Path>,
    pub devices: &'a [String],
    pub single_thread_tcg: bool,
    /// `-M` machine: `q35` unless a scenario names another (`microvm`).
    pub machine: &'a str,
    pub timeout: Duration,
    /// The console log is written here as it arrives.
    pub log: &'a Path,
}

pub struct Console {
    pub text: String,
    pub elapsed: Duration,
}

pub fn args(b: &Boot) -> Vec<String> {
    let mut a: Vec<String> = [
        "-M",
        b.machine,
        "-accel",
        if b.single_thread_tcg {
            "tcg,thread=single"
        } else {
            "tcg"
        },
        "-cpu",
        "max",
        "-nodefaults",
        "-display",
        "none",
        "-no-reboot",
        // The serial port shares stdio with QEMU's monitor so that a hung
        // guest can be sent a break (magic SysRq) before it is killed.
        "-serial",
        "mon:stdio",
        "-monitor",
        "none",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.extend([
        "-smp".into(),
        b.smp.to_string(),
        "-m".into(),
        b.memory_mb.to_string(),
    ]);
    a.extend([
        "-kernel".into(),
        b.vmlinuz.display().to_string(),
        "-initrd".into(),
        b.initrd.display().to_string(),
    ]);
    // panic=-1 with -no-reboot: a panicking guest ends QEMU at once.
    a.extend([
        "-append".into(),
        "console=ttyS0 panic=-1 loglevel=4 printk.devkmsg=on sysrq_always_enabled".into(),
    ]);
    if let Some(d) = b.disk {
        a.extend([
            "-drive".into(),
            format!("file={},format=raw,if=none,id=d0", d.display()),
            "-device".into(),
            "ide-hd,drive=d0,bus=ide.0".into(),
        ]);
    }
    for d in b.devices {
        a.extend(["-device".into(), d.clone()]);
    }
    a
}

/// The QEMU to run: `UNPLUG_QEMU` (a lab's own build, or a wrapper
/// script) or `qemu-system-x86_64` from PATH.
pub fn qemu_binary() -> std::ffi::OsString {
    std::env::var_os("UNPLUG_QEMU").unwrap_or_else(|| "qemu-system-x86_64".into())
}

/// SysRq keys sent to a guest that timed out: backtraces of the running
/// CPUs, then of the blocked tasks.
const SYSRQ_ON_HANG: &[u8] = b"lw";

/// How long each SysRq dump may take to arrive.
const SYSRQ_WAIT: Duration = Duration::from_secs(3);

/// Run the guest to power-off; `on_line` sees each console line live.
/// Threads reading the guest console (line by line, into the channel)
/// and QEMU's stderr (whole).
fn read_output(
    stdout: std::process::ChildStdout,
    stderr: std::process::ChildStderr,
) -> (
    mpsc::Receiver<String>,
    std::thread::JoinHandle<()>,
    std::thread::JoinHandle<String>,
) {
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        let mut buf = vec![];
        while let Ok(n) = r.read_until(b'\n', &mut buf) {
            if n == 0 {
                break;
            }
            let line = String::from_utf8_lossy(&buf)
                .trim_end_matches(['\n', '\r'])
                .to_string();
            if tx.send(line).is_err() {
                break;
            }
            buf.clear();
        }
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut s);
        s
    });
    (rx, reader, err_reader)
}

/// A SysRq key to the hung guest: a serial break (Ctrl-A b to QEMU's mux)
/// makes the next character a SysRq key. Best effort: a guest that no
/// longer reads is reported as timed out all the same.
fn sysrq(stdin: &mut std::process::ChildStdin, key: u8) {
    let _ = stdin.write_all(&[0x01, b'b']);
    let _ = stdin.flush();
    std::thread::sleep(Duration::from_millis(200));
    let _ = stdin.write_all(&[key]);
    let _ = stdin.flush();
}

pub fn run(b: &Boot, on_line: &mut dyn FnMut(&str)) -> Result<Console> {
    let start = Instant::now();
    let qemu = qemu_binary();
    let mut child = Command::new(&qemu)
        .args(args(b))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| {
            format!(
                "starting {} (install qemu-system-x86, or point UNPLUG_QEMU at a QEMU binary)",
                qemu.to_string_lossy()
            )
        })?;
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (rx, reader, err_reader) = read_output(stdout, stderr);
    let mut log = std::fs::File::create(b.log)?;
    let mut text = String::new();
    let mut take = |until: Instant, text: &mut String| -> Result<bool> {
        loop {
            let now = Instant::now();
            if now >= until {
                return Ok(false);
            }
            match rx.recv_timeout(until - now) {
                Ok(line) => {
                    writeln!(log, "{line}")?;
                    on_line(&line);
                    text.push_str(&line);
                    text.push('\n');
                }
                Err(mpsc::RecvTimeoutError::Timeout) => return Ok(false),
                Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(true),
            }
        }
    };
    let timed_out = !take(start + b.timeout, &mut text)?;
    // Before the SysRq dumps add theirs.
    let last_line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("(no output)")
        .to_string();
    if timed_out {
        // Ask the hung kernel where its CPUs and blocked tasks are, so
        // the log shows what hangs.
        for key in SYSRQ_ON_HANG {
            sysrq(&mut stdin, *key);
            take(Instant::now() + SYSRQ_WAIT, &mut text)?;
        }
        let _ = child.kill();
    }
    let status = child.wait()?;
    let _ = reader.join();
    let qemu_err = err_reader
        .join()
        .unwrap_or_else(|_| "(the stderr reader panicked)".into());
    if timed_out {
        bail!(
            "guest timed out after {} s; last console line: {last_line}; SysRq backtraces follow it in the log: {}",
            b.timeout.as_secs(),
            b.log.display()
        );
    }
    if !status.success() {
        bail!("qemu failed ({status}): {}", qemu_err.trim());
    }
    Ok(Console {
        text,
        elapsed: start.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line() {
        let devs = vec!["e1000".to_string()];
        let b = Boot {
            vmlinuz: Path::new("/k"),
            initrd: Path::new("/i"),
            smp: 2,
            memory_mb: 512,
            disk: Some(Path::new("/d.img")),
            devices: &devs,
            single_thread_tcg: false,
            machine: "q35",
            timeout: Duration::from_secs(1),
            log: Path::new("/l"),
        };
        let a = args(&b).join(" ");
        assert!(a.contains("-cpu max") && a.contains("-accel tcg "));
        assert!(a.contains("-serial mon:stdio") && a.contains("sysrq_always_enabled"));
        let single = args(&Boot {
            single_thread_tcg: true,
            ..b
        })
        .join(" ");
        assert!(single.contains("-accel tcg,thread=single "), "{single}");
        assert!(a.contains("-smp 2 -m 512"));
        assert!(a.contains("ide-hd,drive=d0,bus=ide.0"));
        assert!(a.ends_with("-device e1000"));
        assert!(a.starts_with("-M q35 "));
        let micro = args(&Boot {
            machine: "microvm",
            ..b
        })
        .join(" ");
        assert!(micro.starts_with("-M microvm "), "{micro}");
    }
}
