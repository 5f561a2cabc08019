#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: ironrule::fuzzing::abort_on_own_panics(), |data: &[u8]| {
    ironrule::fuzzing::geotiff(data);
});
