//! Keeps linfa-bayes 0.8.1 from writing to stderr.
//!
//! `MultinomialNb::fit_with` in linfa-bayes 0.8.1 calls `dbg!` on every
//! class's histogram on every call (megabytes per call for a real
//! vocabulary). We do not fork or vendor the crate; instead the one call site
//! runs with file descriptor 2 pointed at /dev/null and restored right after.
//! A process-wide lock serializes those windows so that two trainings never
//! restore each other's descriptor. Our own logs go to stdout, so nothing of
//! ours is lost in the window; a panic inside it still propagates (the guard
//! restores stderr while unwinding) and its message is printed by the caller.

use std::sync::Mutex;

static STDERR_LOCK: Mutex<()> = Mutex::new(());

/// Runs `f` with the process's stderr discarded.
pub(crate) fn without_stderr<T>(f: impl FnOnce() -> T) -> T {
    let _lock = STDERR_LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let _redirect = Redirect::to_null();
    f()
}

struct Redirect {
    saved: Option<libc::c_int>,
}

impl Redirect {
    #[cfg(unix)]
    fn to_null() -> Self {
        use std::io::Write;
        let _ = std::io::stderr().flush();
        // SAFETY: plain descriptor calls on fd 2 and descriptors we own; every
        // failure leaves stderr as it was (saved = None).
        unsafe {
            let saved = libc::dup(2);
            if saved < 0 {
                return Self { saved: None };
            }
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
            if null < 0 {
                libc::close(saved);
                return Self { saved: None };
            }
            let ok = libc::dup2(null, 2) >= 0;
            libc::close(null);
            if !ok {
                libc::close(saved);
                return Self { saved: None };
            }
            Self { saved: Some(saved) }
        }
    }

    #[cfg(not(unix))]
    fn to_null() -> Self {
        Self { saved: None }
    }
}

impl Drop for Redirect {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(saved) = self.saved.take() {
            use std::io::Write;
            let _ = std::io::stderr().flush();
            // SAFETY: `saved` is a descriptor we duplicated from fd 2 above.
            unsafe {
                libc::dup2(saved, 2);
                libc::close(saved);
            }
        }
    }
}
