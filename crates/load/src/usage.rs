//! What the loaded server process spent over the measured window (`--server-pid`; the echo
//! process, `--echo-pid`, in the echo phase): CPU time per answered guess, in user space and
//! in the kernel, and its resident memory at the window's end.
//!
//! Comparing two servers by throughput on a shared machine says little; the CPU each one
//! spends per guess at the same offered load says more (a neighbour's build slows both
//! but adds nothing to either's CPU time). The bots know exactly when the window opens and
//! closes and how many guesses were answered by then, so they sample the server's
//! `utime + stime` (`/proc/PID/stat`) and `VmRSS` (`/proc/PID/status`) at those two
//! instants themselves, instead of a script guessing the window from outside (connecting
//! thousands of bots, matchmaking on Colyseus, is not what is compared).
//!
//! Linux only: elsewhere, or for a process that is gone, the figures are absent. Times are
//! in clock ticks of `USER_HZ`, which is 100 on every Linux the kernel ABI allows.

use std::time::Duration;

use serde::Serialize;

/// `USER_HZ`: the clock ticks per second of `/proc/PID/stat` (fixed by the kernel's ABI).
const TICKS_PER_SEC: f64 = 100.0;

/// What a process spent over the measured window: the server (or echo) loaded, or the
/// load generator itself (`bots_usage`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerUsage {
    /// The process sampled.
    pub pid: u32,
    /// User plus system CPU time over the window, in seconds.
    pub cpu_secs: f64,
    /// Guesses answered within the window (the same instants as the CPU samples).
    pub window_guesses: u64,
    /// `cpu_secs / window_guesses`, in microseconds: the figure compared across servers.
    pub cpu_us_per_guess: f64,
    /// The part of it spent in user space (`utime`): the server's own code. The rest is the
    /// kernel's (`stime`): system calls, the sockets, waking threads.
    pub user_us_per_guess: f64,
    /// The part of it spent in the kernel (`stime`).
    pub system_us_per_guess: f64,
    /// CPU time over wall time: 1.0 is one core kept busy.
    pub cores: f64,
    /// Resident memory at the window's end, KiB.
    pub rss_kib: u64,
}

/// One sample of the process: CPU ticks so far, in user space and in the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sample {
    user: u64,
    system: u64,
}

impl Sample {
    /// Samples process `pid`; `None` if its `/proc` entry cannot be read or parsed.
    pub(crate) fn take(pid: u32) -> Option<Self> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        cpu_ticks(&stat).map(|(user, system)| Self { user, system })
    }

    /// The usage between `self` (window start) and `end`, `guesses` answered in `wall`.
    pub(crate) fn usage(self, pid: u32, end: Sample, guesses: u64, wall: Duration) -> ServerUsage {
        let user_secs = end.user.saturating_sub(self.user) as f64 / TICKS_PER_SEC;
        let system_secs = end.system.saturating_sub(self.system) as f64 / TICKS_PER_SEC;
        let cpu_secs = user_secs + system_secs;
        let per_guess = |secs: f64| match guesses {
            0 => 0.0,
            n => (secs * 1e6 / n as f64 * 100.0).round() / 100.0,
        };
        let rss_kib = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|status| rss_kib(&status))
            .unwrap_or(0);
        ServerUsage {
            pid,
            cpu_secs,
            window_guesses: guesses,
            cpu_us_per_guess: per_guess(cpu_secs),
            user_us_per_guess: per_guess(user_secs),
            system_us_per_guess: per_guess(system_secs),
            cores: (cpu_secs / wall.as_secs_f64().max(1e-9) * 1000.0).round() / 1000.0,
            rss_kib,
        }
    }
}

/// `(utime, stime)` from the text of `/proc/PID/stat`. The command name (field 2) may hold
/// spaces and parentheses, so fields are counted from its last `)`: after it come `state`
/// (field 3) … `utime` (14) and `stime` (15).
fn cpu_ticks(stat: &str) -> Option<(u64, u64)> {
    let (_, after_name) = stat.rsplit_once(')')?;
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime, stime))
}

/// `VmRSS` in KiB from the text of `/proc/PID/status`.
fn rss_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_utime_and_stime_even_with_a_tricky_name() {
        let stat =
            "4242 (node (x) y) S 1 4242 4242 0 -1 4194560 9000 0 12 0 1234 567 0 0 20 0 11 0";
        assert_eq!(cpu_ticks(stat), Some((1234, 567)));
        assert_eq!(cpu_ticks("4242 (node) S 1 2"), None);
        assert_eq!(cpu_ticks("garbage"), None);
    }

    #[test]
    fn rss_is_read_from_status() {
        let status = "Name:\tnode\nVmPeak:\t 99 kB\nVmRSS:\t  81234 kB\nThreads:\t7\n";
        assert_eq!(rss_kib(status), Some(81_234));
        assert_eq!(rss_kib("Name:\tnode\n"), None);
    }

    #[test]
    fn usage_divides_the_window_cpu_by_its_guesses() {
        let start = Sample {
            user: 1_000,
            system: 400,
        };
        let end = Sample {
            user: 1_150,
            system: 500,
        };
        let usage = start.usage(u32::MAX, end, 50_000, Duration::from_secs(5));
        assert_eq!(usage.cpu_secs, 2.5);
        assert_eq!(usage.cpu_us_per_guess, 50.0);
        assert_eq!(usage.user_us_per_guess, 30.0);
        assert_eq!(usage.system_us_per_guess, 20.0);
        assert_eq!(usage.cores, 0.5);
        assert_eq!(usage.rss_kib, 0, "no such process");
    }

    #[test]
    fn this_process_can_be_sampled() {
        assert!(Sample::take(std::process::id()).is_some());
        assert_eq!(Sample::take(u32::MAX), None);
    }
}
