//! Restart policies (`--restart no|on-failure[:N]|always|unless-stopped`): their syntax with
//! Podman's error texts, when an exited container is started again, and how long its monitor
//! waits first. Pure: the monitor (runtime/monitor.rs) applies them.

use serde::{Deserialize, Serialize};

use crate::error::Result;

/// The policy names Podman knows, `none` being the filter's word for "no policy given".
pub const NAMES: [&str; 5] = ["none", "no", "on-failure", "always", "unless-stopped"];

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestartPolicy {
    /// "" (none given), "no", "on-failure", "always" or "unless-stopped".
    pub name: String,
    /// on-failure:N: at most N restarts (0: no limit).
    #[serde(default)]
    pub retries: u32,
}

impl RestartPolicy {
    /// `--restart VALUE`, with the words Podman 4.3 says for each mistake.
    pub fn parse(v: &str) -> Result<RestartPolicy> {
        let parts: Vec<&str> = v.split(':').collect();
        let retries = match parts.len() {
            1 => 0,
            2 => {
                if !parts[0].eq_ignore_ascii_case("on-failure") {
                    crate::bail!("restart policy retries can only be specified with on-failure restart policy");
                }
                let n: i64 = parts[1].parse().map_err(|_| {
                    crate::err!(
                        "parsing restart policy retry count: strconv.Atoi: parsing {:?}: invalid syntax",
                        parts[1]
                    )
                })?;
                if n < 0 {
                    crate::bail!("must specify restart policy retry count as a number greater than 0");
                }
                u32::try_from(n)
                    .map_err(|_| crate::err!("parsing restart policy retry count: {n}: value out of range"))?
            }
            _ => crate::bail!("invalid restart policy: may specify retries at most once"),
        };
        let name = parts[0];
        if !["", "no", "on-failure", "always", "unless-stopped"].contains(&name) {
            crate::bail!("running container create option: {name:?} is not a valid restart policy: invalid argument");
        }
        Ok(RestartPolicy {
            name: name.to_string(),
            retries,
        })
    }

    /// A policy that may start the container again (not none or "no").
    pub fn restarts(&self) -> bool {
        !matches!(self.name.as_str(), "" | "no")
    }

    /// Whether a container that exited with `code`, after `count` restarts by this policy, is
    /// started again. `stopped_by_user`: `stop` or `kill` ended it (never restarted, as in
    /// Podman, whatever the policy).
    pub fn should_restart(&self, code: i32, count: u32, stopped_by_user: bool) -> bool {
        if stopped_by_user {
            return false;
        }
        match self.name.as_str() {
            "always" | "unless-stopped" => true,
            "on-failure" => code != 0 && (self.retries == 0 || count < self.retries),
            _ => false,
        }
    }

    /// `--filter restart-policy=V`: `none` matches containers without a policy.
    pub fn filter_matches(&self, want: &str) -> bool {
        self.name == want || (want == "none" && self.name.is_empty())
    }

    /// The systemd `Restart=` value for `generate systemd --new` (Podman's translation:
    /// unless-stopped is always), None when the container has no policy of its own.
    pub fn systemd(&self) -> Option<&'static str> {
        match self.name.as_str() {
            "always" | "unless-stopped" => Some("always"),
            "on-failure" => Some("on-failure"),
            "no" => Some("no"),
            _ => None,
        }
    }
}

/// `--filter restart-policy=…` values checked up front: Podman's `Error: V invalid restart
/// policy` (all the bad ones named).
pub fn check_filter_values(values: &[&str]) -> Result<()> {
    let bad: Vec<&str> = values.iter().copied().filter(|v| !NAMES.contains(v)).collect();
    match bad.len() {
        0 => Ok(()),
        1 => crate::bail!("{} invalid restart policy", bad[0]),
        _ => crate::bail!("{} invalid restart policies", bad.join(", ")),
    }
}

/// How long the monitor waits before restart number `count + 1` (Docker's backoff: 100 ms,
/// doubled at each restart, at most a minute; a container that ran `ran_ms` of 10 s or more
/// starts over from 100 ms, as Docker's does). Podman 4.3 restarts at once; a loop of a
/// command that fails at once would then spin a CPU.
pub fn backoff_ms(count: u32, ran_ms: u64) -> u64 {
    if ran_ms >= 10_000 {
        return 100;
    }
    100u64.saturating_mul(1u64 << count.min(20)).min(60_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_with_podmans_errors() {
        assert_eq!(RestartPolicy::parse("always").unwrap().name, "always");
        assert_eq!(
            RestartPolicy::parse("on-failure:3").unwrap(),
            RestartPolicy {
                name: "on-failure".into(),
                retries: 3
            }
        );
        let e = |v: &str| RestartPolicy::parse(v).unwrap_err().message;
        assert_eq!(
            e("fakepolicy"),
            "running container create option: \"fakepolicy\" is not a valid restart policy: invalid argument"
        );
        assert_eq!(
            e("always:3"),
            "restart policy retries can only be specified with on-failure restart policy"
        );
        assert_eq!(
            e("on-failure:x"),
            "parsing restart policy retry count: strconv.Atoi: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            e("on-failure:-1"),
            "must specify restart policy retry count as a number greater than 0"
        );
        assert_eq!(
            e("on-failure:1:2"),
            "invalid restart policy: may specify retries at most once"
        );
    }

    #[test]
    fn when_to_restart() {
        let p = |v: &str| RestartPolicy::parse(v).unwrap();
        assert!(!p("no").should_restart(1, 0, false));
        assert!(p("always").should_restart(0, 99, false));
        assert!(!p("always").should_restart(0, 0, true));
        assert!(p("unless-stopped").should_restart(0, 0, false));
        assert!(!p("on-failure").should_restart(0, 0, false));
        assert!(p("on-failure").should_restart(1, 1000, false));
        assert!(p("on-failure:2").should_restart(1, 1, false));
        assert!(!p("on-failure:2").should_restart(1, 2, false));
        assert!(RestartPolicy::default().filter_matches("none"));
        assert!(!p("no").filter_matches("none"));
        assert_eq!(check_filter_values(&["always", "none"]).map_err(|e| e.message), Ok(()));
        assert_eq!(
            check_filter_values(&["fakepolicy"]).unwrap_err().message,
            "fakepolicy invalid restart policy"
        );
        assert_eq!(backoff_ms(0, 0), 100);
        assert_eq!(backoff_ms(3, 0), 800);
        assert_eq!(backoff_ms(30, 0), 60_000);
        assert_eq!(backoff_ms(30, 10_000), 100);
        assert_eq!(p("unless-stopped").systemd(), Some("always"));
    }
}
