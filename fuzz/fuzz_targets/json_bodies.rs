//! The strict JSON body of every native write route (SPEC §7) on arbitrary
//! bytes: read, or refused as the client's fault (4xx), never a panic or a
//! 5xx.
#![no_main]

use gatehouse_server::json::WRITE_BODIES;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    for (name, read) in WRITE_BODIES {
        if let Err(problem) = read(bytes) {
            let status = problem.code().status();
            assert!((400..500).contains(&status), "{name}: {status}");
        }
    }
});
