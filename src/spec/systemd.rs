//! The text of systemd user units for `generate systemd` (pure: the command gathers the facts).
//!
//! hutch's process model decides the unit's type: `hutch start` / `hutch run -d` return once
//! the container's monitor (a session leader that stays the container's parent, in the
//! caller's cgroup, i.e. the unit's) reports the container started, and that monitor lives
//! exactly as long as the container. So the unit is `Type=forking` with `PIDFile=` naming the
//! monitor's pid file, which it writes before it reports: systemd then follows the monitor as
//! the service's main process, and the container's exit ends (or restarts) the service.

use crate::error::Result;

/// What a unit runs. Pods (a pod's unit requiring one unit per container) are meant to be
/// another variant here, rendered by their own function next to `container_unit`.
pub enum Target<'a> {
    Container(&'a ContainerUnit),
    Pod(&'a PodUnit),
}

/// A pod's unit (it starts and stops the pod's infra container; the containers' units are
/// bound to it), as `generate systemd POD` asks for it.
pub struct PodUnit {
    /// `pod-NAME.service`.
    pub unit_name: String,
    pub pod_name: String,
    /// The infra container's id (or name with --name).
    pub infra: String,
    pub hutch: String,
    pub restart_policy: String,
    pub stop_timeout: u32,
    /// Where the infra container's monitor writes its pid.
    pub pidfile: String,
    /// The units of the pod's other containers, which this one wants and starts before.
    pub members: Vec<String>,
    pub header: Option<Vec<String>>,
    /// --new: the `pod create` arguments (`new_pod_args`): the unit creates the pod at each
    /// start (ExecStartPre) and removes it, with its containers, at stop.
    pub new_create: Option<Vec<String>>,
}

/// A container's unit, as `generate systemd` asks for it.
pub struct ContainerUnit {
    pub id: String,
    pub name: String,
    /// --new: the `run` arguments after hutch's own (`new_run_args`), image and command last.
    pub run_args: Vec<String>,
    /// The absolute path of hutch.
    pub hutch: String,
    /// `--new`: create the container at each start (from `create_command`), remove it at stop.
    pub new: bool,
    /// `--name`: the unit is named after the container's name (else its id).
    pub use_name: bool,
    pub prefix: String,
    pub separator: String,
    pub restart_policy: String,
    /// A member of a pod: its unit is bound to the pod's (BindsTo=, After=).
    pub pod_unit: Option<String>,
    /// --new for a member of a pod: the pod's name, which `run --pod` joins.
    pub pod_name: Option<String>,
    /// `StartLimitBurst=` (a --new unit of an `on-failure:N` container, as Podman's).
    pub start_limit_burst: Option<u32>,
    /// Seconds `hutch stop` waits before SIGKILL.
    pub stop_timeout: u32,
    /// Without --new: where the monitor of this container writes its pid.
    pub pidfile: String,
    /// The header comment's lines (version, date), None for --no-header.
    pub header: Option<Vec<String>>,
}

impl ContainerUnit {
    /// `container-NAME.service`.
    pub fn unit_name(&self) -> String {
        let who = if self.use_name { &self.name } else { &self.id };
        format!("{}{}{}.service", self.prefix, self.separator, who)
    }
}

pub fn render(t: &Target) -> Result<String> {
    match t {
        Target::Container(c) => container_unit(c),
        Target::Pod(p) => pod_unit(p),
    }
}

/// One word of an Exec line, as systemd splits them: quoted when it holds white space, quotes
/// or backslashes (C escapes), with `%` (specifiers) and `$` (variables) doubled.
pub fn exec_word(w: &str) -> String {
    let w = w.replace('%', "%%").replace('$', "$$");
    if !w.is_empty()
        && !w
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '\\' | ';'))
    {
        return w;
    }
    let mut out = String::from("\"");
    for c in w.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            ';' => out.push(';'),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn exec_line(words: &[String]) -> String {
    words.iter().map(|w| exec_word(w)).collect::<Vec<_>>().join(" ")
}

/// The `run` arguments of a --new unit: the container's create command with the flags the unit
/// sets itself (-d, --rm, --replace, --name, --conmon-pidfile) taken out. `takes_value(flag)`
/// says whether an option of `run` (`--long` or `-c`) takes a value.
/// `extra_drop`: more options to take out (`--pod` for a pod's member, whose unit names the pod).
pub fn new_run_args(
    create_command: &[String],
    takes_value: &dyn Fn(&str) -> Option<bool>,
    extra_drop: &[&str],
) -> Result<Vec<String>> {
    let mut it = create_command.iter().skip(1).peekable();
    if it.peek().map(|s| s.as_str()) == Some("container") {
        it.next();
    }
    match it.next().map(|s| s.as_str()) {
        Some("run" | "create") => {}
        _ => crate::bail!("generate systemd --new: the container was not made by `hutch run` or `hutch create`"),
    }
    // --restart too: the unit's Restart= restarts the service (and `run --rm` refuses it).
    let mut drop = vec![
        "--detach",
        "--rm",
        "--replace",
        "--name",
        "--conmon-pidfile",
        "--restart",
    ];
    drop.extend_from_slice(extra_drop);
    strip_options(it, takes_value, &drop, "d")
}

/// The `pod create` arguments of a --new pod unit: the pod's create command with the options
/// the unit sets itself (--name, --replace, --infra-conmon-pidfile, --pod-id-file) taken out.
pub fn new_pod_args(create_command: &[String], takes_value: &dyn Fn(&str) -> Option<bool>) -> Result<Vec<String>> {
    let mut it = create_command.iter().skip(1).peekable();
    if it.next().map(|s| s.as_str()) != Some("pod") || it.next().map(|s| s.as_str()) != Some("create") {
        crate::bail!("generate systemd --new: the pod was not made by `hutch pod create`");
    }
    strip_options(
        it,
        takes_value,
        &["--name", "--replace", "--infra-conmon-pidfile", "--pod-id-file"],
        "n",
    )
}

/// Words of a command line after its verb without the options `drop` (and the short options
/// of `drop_short` in clusters), positional words kept verbatim.
fn strip_options<'a>(
    mut it: impl Iterator<Item = &'a String>,
    takes_value: &dyn Fn(&str) -> Option<bool>,
    drop: &[&str],
    drop_short: &str,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    while let Some(w) = it.next() {
        if w == "--" || !w.starts_with('-') || w == "-" {
            // The image, its command and arguments: verbatim.
            out.push(w.clone());
            out.extend(it.by_ref().cloned());
            break;
        }
        if let Some(long) = w.strip_prefix("--") {
            let (flag, inline) = match long.split_once('=') {
                Some((f, _)) => (format!("--{f}"), true),
                None => (format!("--{long}"), false),
            };
            let Some(value) = takes_value(&flag) else {
                crate::bail!("generate systemd --new: unknown option {flag} in the create command");
            };
            let val = if value && !inline { it.next().cloned() } else { None };
            if drop.contains(&flag.as_str()) {
                continue;
            }
            out.push(w.clone());
            out.extend(val);
            continue;
        }
        // A cluster of short flags: -dit, -v/x:/y, -e K=V.
        let chars: Vec<char> = w[1..].chars().collect();
        let mut kept = String::from("-");
        let mut val = None;
        for (i, c) in chars.iter().enumerate() {
            let Some(value) = takes_value(&format!("-{c}")) else {
                crate::bail!("generate systemd --new: unknown option -{c} in the create command");
            };
            if value {
                let rest: String = chars[i + 1..].iter().collect();
                if rest.is_empty() {
                    val = it.next().cloned();
                }
                if drop_short.contains(*c) {
                    // A dropped option with a value (-n NAME): both go.
                    val = None;
                    break;
                }
                kept.push(*c);
                kept.push_str(&rest);
                break;
            }
            if !drop_short.contains(*c) {
                kept.push(*c);
            }
        }
        if kept.len() > 1 {
            out.push(kept);
            out.extend(val);
        }
    }
    Ok(out)
}

fn container_unit(c: &ContainerUnit) -> Result<String> {
    let unit = c.unit_name();
    let mut s = String::new();
    if let Some(lines) = &c.header {
        s.push_str(&format!("# {unit}\n"));
        for l in lines {
            s.push_str(&format!("# {l}\n"));
        }
        s.push('\n');
    }
    s.push_str(&format!(
        "[Unit]\nDescription=hutch {unit}\nDocumentation=man:hutch-generate-systemd(1)\nWants=network-online.target\nAfter=network-online.target\n"
    ));
    if !c.new {
        s.push_str(&format!(
            "# The container {} ({}) must exist: `hutch ps -a`.\n",
            c.name,
            &c.id[..12]
        ));
    }
    if let Some(p) = &c.pod_unit {
        s.push_str(&format!("BindsTo={p}\nAfter={p}\n"));
    }
    if let Some(n) = c.start_limit_burst {
        s.push_str(&format!("StartLimitBurst={n}\n"));
    }
    s.push_str("\n[Service]\nEnvironment=HUTCH_SYSTEMD_UNIT=%n\n");
    s.push_str(&format!("Restart={}\n", c.restart_policy));
    s.push_str(&format!("TimeoutStopSec={}\n", c.stop_timeout + 60));
    let h = &c.hutch;
    let t = c.stop_timeout.to_string();
    let w = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    if c.new {
        // Stale files of a crashed start would name a dead pid: start clean.
        s.push_str("ExecStartPre=/bin/rm -f %t/%n.pid\n");
        let mut line = format!("{} --conmon-pidfile %t/%n.pid ", exec_line(&w(&[h, "run"])));
        line.push_str(&exec_line(&w(&["--replace", "--rm", "-d", "--name", &c.name])));
        if let Some(p) = &c.pod_name {
            line.push(' ');
            line.push_str(&exec_line(&w(&["--pod", p])));
        }
        if !c.run_args.is_empty() {
            line.push(' ');
            line.push_str(&exec_line(&c.run_args));
        }
        s.push_str(&format!("ExecStart={line}\n"));
        s.push_str(&format!(
            "ExecStop={}\n",
            exec_line(&w(&[h, "stop", "--ignore", "-t", &t, &c.name]))
        ));
        s.push_str(&format!(
            "ExecStopPost={}\n",
            exec_line(&w(&[h, "rm", "-f", "--ignore", &c.name]))
        ));
        s.push_str("PIDFile=%t/%n.pid\n");
    } else {
        s.push_str(&format!("ExecStart={}\n", exec_line(&w(&[h, "start", &c.id]))));
        s.push_str(&format!("ExecStop={}\n", exec_line(&w(&[h, "stop", "-t", &t, &c.id]))));
        s.push_str(&format!(
            "ExecStopPost={}\n",
            exec_line(&w(&[h, "stop", "-t", &t, &c.id]))
        ));
        s.push_str(&format!("PIDFile={}\n", c.pidfile.replace('%', "%%")));
    }
    s.push_str("Type=forking\n\n[Install]\nWantedBy=default.target\n");
    Ok(s)
}

/// The pod's unit: `hutch start` of its infra container (which holds the pod's namespaces and
/// ports; its monitor is the service's main process), wanted by and started before the
/// containers' units, which are bound to it (Podman's layout).
fn pod_unit(p: &PodUnit) -> Result<String> {
    let unit = &p.unit_name;
    let mut s = String::new();
    if let Some(lines) = &p.header {
        s.push_str(&format!("# {unit}\n"));
        for l in lines {
            s.push_str(&format!("# {l}\n"));
        }
        s.push('\n');
    }
    s.push_str(&format!(
        "[Unit]\nDescription=hutch {unit}\nDocumentation=man:hutch-generate-systemd(1)\nWants=network-online.target\nAfter=network-online.target\n"
    ));
    if p.new_create.is_none() {
        s.push_str(&format!("# The pod {} must exist: `hutch pod ps`.\n", p.pod_name));
    }
    if !p.members.is_empty() {
        let mut m = p.members.clone();
        m.sort();
        s.push_str(&format!("Wants={}\nBefore={}\n", m.join(" "), m.join(" ")));
    }
    s.push_str("\n[Service]\nEnvironment=HUTCH_SYSTEMD_UNIT=%n\n");
    s.push_str(&format!("Restart={}\n", p.restart_policy));
    s.push_str(&format!("TimeoutStopSec={}\n", p.stop_timeout + 60));
    let t = p.stop_timeout.to_string();
    let w = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    if let Some(args) = &p.new_create {
        // As Podman's: the pod is made afresh (its infra's monitor writing the PID file), started,
        // and at stop removed with its containers (their units are bound to this one).
        let h = &p.hutch;
        s.push_str("ExecStartPre=/bin/rm -f %t/%n.pid\n");
        let mut line = format!(
            "{} --infra-conmon-pidfile %t/%n.pid ",
            exec_line(&w(&[h, "pod", "create"]))
        );
        line.push_str(&exec_line(&w(&["--replace", "--name", &p.pod_name])));
        if !args.is_empty() {
            line.push(' ');
            line.push_str(&exec_line(args));
        }
        s.push_str(&format!("ExecStartPre={line}\n"));
        s.push_str(&format!(
            "ExecStart={}\n",
            exec_line(&w(&[h, "pod", "start", &p.pod_name]))
        ));
        s.push_str(&format!(
            "ExecStop={}\n",
            exec_line(&w(&[h, "pod", "stop", "--ignore", "-t", &t, &p.pod_name]))
        ));
        s.push_str(&format!(
            "ExecStopPost={}\n",
            exec_line(&w(&[h, "pod", "rm", "--ignore", "-f", &p.pod_name]))
        ));
        s.push_str("PIDFile=%t/%n.pid\nType=forking\n\n[Install]\nWantedBy=default.target\n");
        return Ok(s);
    }
    s.push_str(&format!(
        "ExecStart={}\n",
        exec_line(&w(&[&p.hutch, "start", &p.infra]))
    ));
    s.push_str(&format!(
        "ExecStop={}\n",
        exec_line(&w(&[&p.hutch, "stop", "-t", &t, &p.infra]))
    ));
    s.push_str(&format!(
        "ExecStopPost={}\n",
        exec_line(&w(&[&p.hutch, "stop", "-t", &t, &p.infra]))
    ));
    s.push_str(&format!("PIDFile={}\n", p.pidfile.replace('%', "%%")));
    s.push_str("Type=forking\n\n[Install]\nWantedBy=default.target\n");
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn takes(f: &str) -> Option<bool> {
        match f {
            "-d" | "--detach" | "--rm" | "--replace" | "-i" | "-t" => Some(false),
            "--name" | "-v" | "--volume" | "-e" | "--conmon-pidfile" | "-p" => Some(true),
            _ => None,
        }
    }

    #[test]
    fn new_run_args_drop_what_the_unit_sets() {
        let cmd = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let got = new_run_args(
            &cmd(&[
                "/bin/hutch",
                "run",
                "-dit",
                "--name",
                "web",
                "--rm",
                "-v/d:/d",
                "-e",
                "A=1",
                "--name=x",
                "--conmon-pidfile",
                "/p",
                "img",
                "-d",
                "--rm",
            ]),
            &takes,
            &[],
        )
        .unwrap();
        assert_eq!(got, cmd(&["-it", "-v/d:/d", "-e", "A=1", "img", "-d", "--rm"]));
        let got = new_run_args(&cmd(&["h", "container", "create", "-d", "img"]), &takes, &[]).unwrap();
        assert_eq!(got, cmd(&["img"]));
        assert!(new_run_args(&cmd(&["h", "pull", "img"]), &takes, &[]).is_err());
        assert!(new_run_args(&cmd(&["h", "run", "--bogus", "img"]), &takes, &[]).is_err());
    }

    #[test]
    fn exec_words_are_quoted_for_systemd() {
        assert_eq!(exec_word("plain"), "plain");
        assert_eq!(exec_word("a b"), "\"a b\"");
        assert_eq!(exec_word("100%"), "100%%");
        assert_eq!(exec_word("$HOME"), "$$HOME");
        assert_eq!(exec_word(""), "\"\"");
        assert_eq!(exec_word("say \"hi\""), "\"say \\\"hi\\\"\"");
    }
}
