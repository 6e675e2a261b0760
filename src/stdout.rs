//! Standard output for commands whose exit code means something: a
//! reader that goes away (`unplug check … | head`) must not turn the run
//! into an error, nor lose the code the run would have had.

use std::io::{self, Write};

/// Standard output that a reader going away (`unplug scan … | head`) does
/// not turn into an error: once a write meets a broken pipe the rest of the
/// output is dropped, and the run goes on to its own end and exit code
/// (a scan is still recorded in its campaign).
pub fn stdout() -> ClosedOk<io::StdoutLock<'static>> {
    ClosedOk {
        inner: io::stdout().lock(),
        closed: false,
    }
}

/// A writer that takes a broken pipe as "nobody reads any more".
pub struct ClosedOk<W> {
    inner: W,
    closed: bool,
}

impl<W: Write> ClosedOk<W> {
    fn absorb<T>(&mut self, r: io::Result<T>, dropped: T) -> io::Result<T> {
        match r {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(dropped)
            }
            r => r,
        }
    }
}

impl<W: Write> Write for ClosedOk<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        let r = self.inner.write(buf);
        self.absorb(r, buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let r = self.inner.flush();
        self.absorb(r, ())
    }
}

/// Whether standard output is a pipe whose reader has gone: an error that
/// a broken pipe caused is then the reader's choice, not the run's failure.
pub fn stdout_closed() -> bool {
    let mut fd = libc::pollfd {
        fd: libc::STDOUT_FILENO,
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: one valid pollfd, zero timeout.
    let n = unsafe { libc::poll(&mut fd, 1, 0) };
    n == 1 && fd.revents & libc::POLLERR != 0
}
