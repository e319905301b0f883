//! Reading a server's memory and descriptors from /proc, and raising our own descriptor limit.

use anyhow::{Context as _, bail};
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
use serde_json::{Value, json};

/// Memory and descriptors of a process at one moment.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcSample {
    /// Resident set size in KiB.
    pub rss_kib: u64,
    /// Peak resident set size in KiB.
    pub hwm_kib: u64,
    /// Open file descriptors (None when /proc/PID/fd is unreadable).
    pub fds: Option<u64>,
}

impl ProcSample {
    /// As JSON.
    pub fn to_json(self) -> Value {
        json!({ "rss_kib": self.rss_kib, "hwm_kib": self.hwm_kib, "fds": self.fds })
    }
}

/// Reads VmRSS, VmHWM and the descriptor count of `pid`.
pub fn sample(pid: u32) -> anyhow::Result<ProcSample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let rss_kib = status_field_kib(&status, "VmRSS:").context("no VmRSS in /proc status")?;
    let hwm_kib = status_field_kib(&status, "VmHWM:").unwrap_or(rss_kib);
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok().map(|d| d.count() as u64);
    Ok(ProcSample { rss_kib, hwm_kib, fds })
}

/// The value in kB of a `Name:   123 kB` line.
pub fn status_field_kib(status: &str, name: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// CPU seconds (user + system) used so far by `pid`, from /proc/PID/stat (clock ticks of 1/100 s).
pub fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    parse_stat_cpu(&stat).context("unexpected /proc stat format")
}

/// utime + stime in seconds from a /proc/PID/stat line (fields 14 and 15, after the `(comm)`).
pub fn parse_stat_cpu(stat: &str) -> Option<f64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the comm, field 3 (state) is index 0, so utime (14) is index 11 and stime (15) index 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

/// CPU seconds (user + system, all threads) this process has used so far, at nanosecond
/// resolution (`CLOCK_PROCESS_CPUTIME_ID`).
pub fn own_cpu_seconds() -> Option<f64> {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Some(t.tv_sec as f64 + t.tv_nsec as f64 / 1e9)
}

/// The machine's 1-minute load average.
pub fn loadavg() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg").ok()?.split_whitespace().next()?.parse().ok()
}

/// Raises the soft descriptor limit to at least `needed` (up to the hard limit); returns the new soft limit.
pub fn raise_nofile(needed: u64) -> anyhow::Result<u64> {
    let limit = getrlimit(Resource::Nofile);
    let current = limit.current.unwrap_or(u64::MAX);
    if current >= needed {
        return Ok(current);
    }
    let maximum = limit.maximum.unwrap_or(u64::MAX);
    let want = needed.min(maximum);
    setrlimit(Resource::Nofile, Rlimit { current: Some(want), maximum: limit.maximum })
        .context("raising the open-file limit")?;
    if want < needed {
        bail!("open-file limit is {want} (hard limit), {needed} needed: raise it with `ulimit -Hn`");
    }
    Ok(want)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_lines() {
        let status = "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n";
        assert_eq!(status_field_kib(status, "VmRSS:"), Some(1024));
        assert_eq!(status_field_kib(status, "VmHWM:"), Some(2048));
        assert_eq!(status_field_kib(status, "VmSwap:"), None);
    }

    #[test]
    fn parses_stat_cpu() {
        let stat = "42 (a (weird) name) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 5 0 0";
        assert_eq!(parse_stat_cpu(stat), Some(3.0));
        assert_eq!(parse_stat_cpu("garbage"), None);
        assert!(cpu_seconds(std::process::id()).is_ok());
        let a = own_cpu_seconds().expect("own cpu");
        let mut x = 0u64;
        for i in 0..2_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(std::hint::black_box(i));
        }
        std::hint::black_box(x);
        assert!(own_cpu_seconds().expect("own cpu") > a);
    }

    #[test]
    fn samples_this_process() {
        let s = sample(std::process::id()).expect("own /proc");
        assert!(s.rss_kib > 0);
        assert!(s.fds.is_some_and(|n| n > 0));
    }
}
