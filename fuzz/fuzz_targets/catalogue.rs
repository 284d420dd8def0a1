//! The catalogue loader (SPEC §3) on arbitrary text: an error that names
//! the problem, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(catalogue) = gatehouse_authz::Catalogue::parse("fuzz.toml", text) {
        // What loads fits the interned ids: every action is in the set.
        assert_eq!(catalogue.all_actions().iter().count(), catalogue.actions().len());
    }
});
