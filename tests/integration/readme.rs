//! Every TOML and command example in README.md, extracted and run: a TOML block is read as the
//! file it shows (a whole rule, a `[test]` table in the README's rule, project tables, the
//! attribute dictionary, waivers), and a command block's `ironrule` commands run against the
//! demo with the exit codes they promise. A block this test cannot place fails it, and the
//! few commands that need what a test does not have (a server, a cluster, a user's files)
//! are listed below with the reason.

use crate::common::{code, root, stderr, stdout};
use ironrule::schema::{check, File};

/// A fenced block: its language, the README line of its first line, and its text.
struct Block {
    lang: String,
    line: usize,
    text: String,
}

fn blocks() -> Vec<Block> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for (i, l) in readme.lines().enumerate() {
        match (l.strip_prefix("```"), open.take()) {
            (Some(lang), None) => {
                open = Some(Block {
                    lang: lang.trim().to_owned(),
                    line: i + 2,
                    text: String::new(),
                })
            }
            (Some(_), Some(b)) => out.push(b),
            (None, Some(mut b)) => {
                b.text.push_str(l);
                b.text.push('\n');
                open = Some(b);
            }
            (None, None) => {}
        }
    }
    out
}

/// The known layers and DEMs of the demo project, which the README's rules name.
fn demo_layers() -> Vec<String> {
    ironrule::project::Project::load(&root().join("data/yichang/ironrule.toml"))
        .unwrap()
        .input_names()
}

fn no_problems(file: File, text: &str, line: usize) {
    let p = check(file, text);
    assert!(p.is_empty(), "README line {line}: {file:?}: {p:?}\n{text}");
}

#[test]
fn every_toml_example_is_a_valid_file() {
    let blocks = blocks();
    let rule = blocks
        .iter()
        .find(|b| b.lang == "toml" && b.text.starts_with("code = "))
        .expect("README shows a whole rule.toml");
    let layers = demo_layers();
    let mut seen = 0;
    for b in blocks.iter().filter(|b| b.lang == "toml") {
        let t = &b.text;
        if t.starts_with("code = ") {
            no_problems(File::Rule, t, b.line);
            ironrule::rules::pack::check_rule_text(t, "YC", Some(&layers))
                .unwrap_or_else(|e| panic!("README line {}: {e:?}", b.line));
        } else if t.starts_with("[test]") {
            // A [test] table of the README's rule: put in place of the rule's own.
            let head = &rule.text[..rule.text.find("[test]").unwrap()];
            let tail = rule.text[rule.text.find("[test]").unwrap()..]
                .find("\n[[")
                .map_or("", |i| &rule.text[rule.text.find("[test]").unwrap() + i..]);
            let whole = format!("{head}{t}{tail}");
            no_problems(File::Rule, &whole, b.line);
            // A land_use test reads its table beside rule.toml and the pack's classification:
            // the README's is loaded with the Yichang classification below, and YC801 loads
            // its own in every pack test.
            if !t.contains("kind = \"land_use\"") {
                ironrule::rules::pack::check_rule_text(&whole, "YC", Some(&layers))
                    .unwrap_or_else(|e| panic!("README line {}: {e:?}\n{whole}", b.line));
            }
        } else if t.starts_with("[[row]]") {
            no_problems(File::Compatibility, t, b.line);
            let classes =
                std::fs::read_to_string(root().join("rules/yichang/land-use.toml")).unwrap();
            let classes = ironrule::rules::land_use::Classification::parse(&classes).unwrap();
            ironrule::rules::land_use::Compatibility::parse(t, &classes)
                .unwrap_or_else(|e| panic!("README line {}: {e:?}", b.line));
        } else if t.contains("[[waiver]]") {
            no_problems(File::Waivers, t, b.line);
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("waivers.toml");
            std::fs::write(&path, t).unwrap();
            ironrule::triage::load_waivers(&path, &["YC202".to_owned(), "YC201".to_owned()])
                .unwrap_or_else(|e| panic!("README line {}: {e}", b.line));
        } else if t.starts_with("[[indicator]]") {
            no_problems(File::Indicators, t, b.line);
            ironrule::rules::indicators::parse(t, Some(&layers))
                .unwrap_or_else(|e| panic!("README line {}: {e:?}", b.line));
        } else if t.contains("[[attribute]]") || t.contains("[[parcel_attribute]]") {
            no_problems(File::Attributes, t, b.line);
            ironrule::rules::dictionary::Dictionary::parse_both(t)
                .unwrap_or_else(|e| panic!("README line {}: {e:?}", b.line));
        } else if t.starts_with("crs = ") {
            no_problems(File::Project, t, b.line);
        } else if t.starts_with("[[layer]]") || t.starts_with("[[dem]]") {
            let whole = format!("crs = \"EPSG:4546\"\nrules = []\n{t}");
            no_problems(File::Project, &whole, b.line);
        } else {
            panic!(
                "README line {}: a TOML example this test does not know how to read:\n{t}",
                b.line
            );
        }
        seen += 1;
    }
    assert!(seen >= 10, "{seen} TOML examples");
}

/// Commands the test does not run, each with why.
const NOT_RUN: [(&str, &str); 8] = [
    ("cargo test", "this is cargo test"),
    (
        "apt-get install",
        "installs system packages: .ci/run does it",
    ),
    (
        "bash tests/postgis/cluster.sh",
        "the PostGIS server: .ci/run starts it",
    ),
    (
        "planning/ironrule.toml",
        "a user's project and parcels.gpkg",
    ),
    (
        "python3 -m pip install",
        "the wheel: .ci/run builds and installs it",
    ),
    ("maturin build", "the wheel: .ci/run builds it"),
    ("spark-submit", "a Spark cluster: python/tests runs one"),
    (
        "benches/w1/run.sh",
        "the side-by-side benchmark against the peers",
    ),
];

/// Joins continued lines and drops comments (a `#` after a space, or at the start).
fn commands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for l in text.lines() {
        let l = match l.find(" #") {
            Some(i) => &l[..i],
            None if l.trim_start().starts_with('#') => "",
            None => l,
        };
        let (body, more) = match l.trim_end().strip_suffix('\\') {
            Some(b) => (b, true),
            None => (l, false),
        };
        cur.push_str(body.trim());
        cur.push(' ');
        if !more {
            if !cur.trim().is_empty() {
                out.push(cur.trim().to_owned());
            }
            cur.clear();
        }
    }
    out
}

#[test]
fn every_command_example_runs_as_promised() {
    let bin = env!("CARGO_BIN_EXE_ironrule");
    let tmp = tempfile::tempdir().unwrap();
    let mut ran = 0;
    for b in blocks().iter().filter(|b| b.lang == "sh") {
        // Each block runs in the repository, or in the folder its `cd` names.
        let mut dir = root();
        for c in commands(&b.text) {
            if NOT_RUN.iter().any(|(k, _)| c.contains(k)) {
                continue;
            }
            if let Some(d) = c.strip_prefix("cd ") {
                dir = tmp.path().join(d.trim());
                continue;
            }
            let c = c.replace(
                "/tmp/audit",
                &tmp.path().join("audit").display().to_string(),
            );
            let words: Vec<&str> = c.split_whitespace().collect();
            let args: Vec<&str> = match words.as_slice() {
                ["cargo", "run", "--release", "--", rest @ ..]
                | ["cargo", "run", "--", rest @ ..] => rest.to_vec(),
                ["ironrule", rest @ ..] => rest.to_vec(),
                ["curl", ..] | ["PEERS_PYTHON=/path/to/venv/bin/python", ..] => continue,
                _ => panic!(
                    "README line {}: a command this test does not know: {c}",
                    b.line
                ),
            };
            // `serve` runs until stopped: its own tests start it.
            if args.first() == Some(&"serve") {
                continue;
            }
            // `init DIR` makes DIR under the test's folder.
            let (args, cwd): (Vec<String>, _) = if args.first() == Some(&"init") {
                let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
                a[1] = tmp.path().join(&a[1]).display().to_string();
                (a, root())
            } else {
                (args.iter().map(|s| s.to_string()).collect(), dir.clone())
            };
            let out = std::process::Command::new(bin)
                .args(&args)
                .current_dir(&cwd)
                .env("NO_COLOR", "1")
                .env("LANG", "C.UTF-8")
                .env_remove("LC_ALL")
                .env_remove("LC_MESSAGES")
                .output()
                .unwrap();
            // What the README says each returns: findings exit 1, the rest 0, and `rules new`
            // for a layer the new project does not have yet is refused (exit 2).
            let expected = match args[0].as_str() {
                "check" | "audit" => 1,
                // The demo's proposals break indicator targets; the city as it is does not.
                "indicators" if args.iter().any(|a| a.ends_with(".geojson")) => 1,
                "rules" if args[1] == "new" => 2,
                _ => 0,
            };
            assert_eq!(
                code(&out),
                expected,
                "README line {}: {c}\n{}{}",
                b.line,
                stdout(&out),
                stderr(&out)
            );
            ran += 1;
        }
    }
    assert!(ran >= 7, "{ran} commands ran");
}
