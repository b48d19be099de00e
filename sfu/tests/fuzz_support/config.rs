//! How many cases a fuzz target runs, and where its failures are kept.
//!
//! Bounded by case count, never by wall time, so `cargo test` takes the
//! same work on any machine and a run cannot pass on a fast machine and
//! fail on a slow one. `CONFIDE_FUZZ_CASES=N` runs N cases per target
//! instead (longer local runs); `PROPTEST_RNG_SEED=S` fixes the seed.
//! A failing case's seed is appended to the target's file under
//! `tests/proptest-regressions/` and replayed first on every later run,
//! so a found failure stays part of the corpus once the file is committed.

use proptest::test_runner::{Config, FileFailurePersistence};

/// The configuration of one target: `default_cases` unless
/// `CONFIDE_FUZZ_CASES` says otherwise; failures persisted to
/// `regressions` (an absolute path, see [`fuzz_config!`]).
pub fn fuzz_config(regressions: &'static str, default_cases: u32) -> Config {
    let cases = std::env::var("CONFIDE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default_cases);
    Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(regressions))),
        // Shrinking a failure of a whole-SFU target replays the call each
        // time; a bound keeps a failing run finite.
        max_shrink_iters: 1024,
        ..Config::default()
    }
}

/// `fuzz_config!("fuzz_demux", 2000)`: the configuration for a target,
/// its failures kept in `tests/proptest-regressions/fuzz_demux.txt` of the
/// crate the test belongs to.
#[macro_export]
macro_rules! fuzz_config {
    ($name:literal, $cases:expr) => {
        $crate::fuzz_support::fuzz_config(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/proptest-regressions/",
                $name,
                ".txt"
            ),
            $cases,
        )
    };
}

/// Every `*.{ext}` file of a corpus directory (relative to the crate),
/// sorted by name so a seed's index is stable.
pub fn corpus_files(manifest_dir: &str, dir: &str, ext: &str) -> Vec<(String, Vec<u8>)> {
    let path = std::path::Path::new(manifest_dir).join(dir);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&path)
        .unwrap_or_else(|err| panic!("corpus {}: {err}", path.display()))
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == ext))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("corpus file"))
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "corpus {} is empty", path.display());
    files
}
