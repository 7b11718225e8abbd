//! Start latency, issue 14 (second part), session 26: less CPU per `run --rm --network none`.
//! - `run` is parsed with its own definitions and the global options alone, not the whole tree
//!   of verbs; errors and help still come from the whole tree, word for word.
//! - Container ids and generated names come from the kernel's random numbers (no user-space
//!   generator to set up, which probes the CPU).
//! - A foreground start's `init`, `start` and `attach` events are appended together, in order.

mod common;
use common::*;

const BASIC: &str = "fixtures/basic";

/// Argument lists (after `hutch run`) whose fast parse must equal the whole tree's, or be
/// refused like it.
const ARGVS: &[&[&str]] = &[
    &["--rm", "--network", "none", BASIC, "true"],
    &[
        "--rm",
        "--network=none",
        "-it",
        "--name",
        "web",
        "-e",
        "A=1",
        "-e",
        "B",
        BASIC,
        "sh",
        "-c",
        "echo -x",
    ],
    // Global options after the verb, repeated flags (the last wins), `--` and trailing flags.
    &[
        "--log-level",
        "debug",
        "--root",
        "/tmp/r",
        "--rm",
        "--name=a",
        "--name=b",
        BASIC,
        "--",
        "ls",
        "--rm",
    ],
    &[
        "-dit",
        "-p",
        "8080:80",
        "-v",
        "/a:/b:ro",
        "--userns=keep-id",
        BASIC,
        "httpd",
        "-f",
    ],
    &[
        "--rm=true",
        "--tty=false",
        "--env-file",
        "/dev/null",
        "--runtime",
        "hutch",
        BASIC,
    ],
    &[
        "--pull",
        "never",
        "--security-opt",
        "seccomp=unconfined",
        "--cap-drop",
        "ALL",
        BASIC,
        "id",
        "-u",
    ],
    // Refused: errors, help, version, nothing to run.
    &["--bogus", BASIC],
    &["--help"],
    &["-h"],
    &["--version"],
    &[],
    &["--rm"],
    &["--log-level", "chatty", BASIC],
];

#[test]
fn run_is_parsed_alone_as_the_whole_tree_parses_it() {
    for a in ARGVS {
        hutch::fuzz::cli_run(a.join("\n").as_bytes()).unwrap();
    }
}

#[test]
fn errors_and_help_of_run_are_the_whole_trees() {
    let env = env_with(&[BASIC]);
    // An unknown flag: one line, exit 125, nothing created.
    let r = env.hutch(["run", "--rm", "--bogus", BASIC, "true"]);
    let r = r.fails_with("unexpected argument '--bogus' found");
    assert_eq!(
        r.stderr.trim(),
        "Error: unexpected argument '--bogus' found (see 'hutch --help')"
    );
    assert_eq!(env.hutch(["ps", "-a", "-q"]).ok().stdout, "");
    // `run --help` is the whole tree's page (as `help run` shows it).
    let help = env.hutch(["run", "--help"]).ok().stdout;
    assert!(
        help.contains("Run a command in a new container") && help.contains("Examples:"),
        "{help}"
    );
    assert_eq!(help, env.hutch(["help", "run"]).ok().stdout);
    // Global options after the verb still apply.
    let r = env
        .hutch([
            "run",
            "--log-level",
            "debug",
            "--rm",
            "--network",
            "none",
            BASIC,
            "echo",
            "hi",
        ])
        .ok();
    assert_eq!(r.stdout, "hi\n");
    assert!(r.stderr.contains("debug"), "{r:?}");
}

#[test]
fn a_foreground_run_has_random_ids_names_and_its_events_in_order() {
    let env = env_with(&[BASIC]);
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id = env
            .hutch(["create", "--network", "none", BASIC, "true"])
            .ok()
            .stdout
            .trim()
            .to_string();
        assert!(id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
        let name = fmt(&env, &["inspect", &id], "{{.Name}}");
        let (a, b) = name.split_once('_').unwrap_or_else(|| panic!("{name}"));
        assert!(
            !a.is_empty() && b.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
            "{name}"
        );
        ids.push(id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "{ids:?}");
    let r = env.hutch([
        "run",
        "--rm",
        "--network",
        "none",
        "--name",
        "evs",
        BASIC,
        "sh",
        "-c",
        "exit 3",
    ]);
    assert_eq!(r.code, 3, "{r:?}");
    let log = std::fs::read_to_string(env.run_dir().join("hutch/events/events.log")).unwrap();
    let statuses: Vec<String> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["Name"] == "evs")
        .map(|e| e["Status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        statuses,
        ["create", "init", "start", "attach", "died", "remove"],
        "{log}"
    );
    // The three created ones are left; the run is gone.
    let left = env.hutch(["ps", "-a", "-q"]).ok().stdout;
    assert_eq!(left.lines().count(), 3, "{left}");
}
