//! A burst of logins cannot grow the server's memory (SPEC §6.1): argon2
//! work goes through a gate of one worker per core with a bounded queue,
//! and what does not fit is refused with 503 and `Retry-After`. Measured on
//! the real binary: the peak resident size (`VmHWM`) from `/proc`.

use std::io::{Read as _, Write as _};
use std::process::{Command, Stdio};

/// One argon2 job's memory (the crate's default, m = 19 MiB).
const ARGON2_KIB: u64 = 19 * 1024;

/// A field of `/proc/<pid>/status`, in KiB.
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("the field is in /proc/<pid>/status")
}

/// Sends one login for an unknown user; answers the status line.
fn login(addr: &str, i: usize) -> String {
    let body = format!(r#"{{"username": "nobody-{i}", "password": "not the password at all"}}"#);
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST /api/v1/auth/token HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

#[test]
#[cfg(target_os = "linux")]
fn a_burst_of_240_logins_keeps_peak_memory_within_the_argon2_gate() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .arg("serve")
        .current_dir(dir.path())
        .env_remove("GATEHOUSE_DATABASE_URL")
        .env("GATEHOUSE_ADMIN_PASSWORD", "correct horse battery staple")
        .env("GATEHOUSE_LISTEN", "127.0.0.1:0")
        .env("GATEHOUSE_DATA_DIR", dir.path().join("data"))
        .env("GATEHOUSE_LOGIN_ATTEMPTS_PER_MINUTE", "100000")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kept open for the whole test, as serve may still write to it.
    let (addr, _stdout) = crate::serve_cli::listening(&mut child);
    let pid = child.id();
    // Warm up: one login, so the allocator holds one job's memory already.
    assert!(login(&addr, 0).starts_with("HTTP/1.1 401"));
    let before = status_kib(pid, "VmHWM:");

    let threads: Vec<_> = (1..=240)
        .map(|i| {
            let addr = addr.clone();
            std::thread::spawn(move || login(&addr, i))
        })
        .collect();
    let answers: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let peak = status_kib(pid, "VmHWM:");
    let _ = child.kill();
    let _ = child.wait();

    let busy: Vec<_> = answers.iter().filter(|a| a.starts_with("HTTP/1.1 503")).collect();
    for answer in &answers {
        assert!(
            answer.starts_with("HTTP/1.1 401") || answer.starts_with("HTTP/1.1 503"),
            "{answer}"
        );
    }
    assert!(!busy.is_empty(), "past the queue, logins are refused");
    for answer in &busy {
        assert!(answer.to_ascii_lowercase().contains("retry-after:"), "{answer}");
        assert!(answer.contains("\"code\":\"busy\""), "{answer}");
    }
    // At most one job per core at once, each 19 MiB, plus room for the
    // connections and the allocator: far from the 240 × 19 MiB (4.5 GB)
    // of unbounded hashing.
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get) as u64;
    let bound = before + (workers + 1) * ARGON2_KIB * 3 / 2 + 64 * 1024;
    assert!(
        peak <= bound,
        "peak {peak} KiB after {before} KiB before the burst: over the bound {bound} KiB ({workers} workers)"
    );
}
