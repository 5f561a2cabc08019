//! Replays the committed fuzz corpora (fuzz/corpus/*) through the same entry points the fuzz
//! targets use, so every input that ever found a new path is re-checked by `cargo test`.

use crate::common::root;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = root().join("fuzz/corpus").join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        // A fuzzer running alongside may replace corpus files while we read them.
        let Ok(data) = std::fs::read(&path) else {
            continue;
        };
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{} panics", path.display());
        n += 1;
    }
    assert!(n > 0, "empty corpus for {target}");
}

#[test]
fn geojson_corpus() {
    replay("geojson", ironrule::fuzzing::geojson);
}

#[test]
fn rule_toml_corpus() {
    replay("rule_toml", ironrule::fuzzing::rule_toml);
}

#[test]
fn cql2_filter_corpus() {
    replay("cql2_filter", ironrule::fuzzing::cql2_filter);
}

#[test]
fn fgb_corpus() {
    replay("fgb", ironrule::fuzzing::fgb);
}

#[test]
fn parquet_corpus() {
    replay("parquet", ironrule::fuzzing::parquet);
}

#[test]
fn serve_request_corpus() {
    replay("serve_request", ironrule::fuzzing::serve_request);
}

#[test]
fn geotiff_corpus() {
    replay("geotiff", ironrule::fuzzing::geotiff);
}
