//! The network engine: user-defined networks (`hutch network …`), kept in the store as
//! `networks.json` (under `networks.lock`), and what containers on them need at create and at
//! `network connect`/`disconnect`. The shared network namespace that carries them lives in
//! runtime/sharednet.rs; the model and its rules in spec/network.rs.

use crate::error::{Class, Context, Result};
use crate::spec::network::{self, CreateRequest, Mode, Network};
use crate::store::containers::ContainerRecord;
use crate::store::Store;

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Index {
    #[serde(default)]
    networks: Vec<Network>,
}

fn index_path(store: &Store) -> std::path::PathBuf {
    store.base().join("networks.json")
}

fn lock(store: &Store) -> Result<crate::sys::lock::FileLock> {
    crate::sys::lock::FileLock::exclusive(&store.base().join("networks.lock"))
}

fn load(store: &Store) -> Result<Index> {
    let p = index_path(store);
    match std::fs::read(&p) {
        Ok(b) => serde_json::from_slice(&b).map_err(|e| crate::err!("{}: {e}", p.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Index::default()),
        Err(e) => Err(crate::err!("reading {}: {e}", p.display())),
    }
}

fn save(store: &Store, idx: &Index, _held: &crate::sys::lock::FileLock) -> Result<()> {
    let p = index_path(store);
    let data = serde_json::to_vec_pretty(idx).expect("json");
    crate::fault::point("before:save-networks");
    crate::sys::fs::write_atomic(&p, &data, 0o600).ctx(|| format!("writing {}", p.display()))?;
    crate::fault::point("after:save-networks");
    Ok(())
}

/// The store's birth time (its mtime where the file system keeps none): stable, unlike the
/// mtime, which moves whenever an entry of the store's root comes or goes.
fn default_created(store: &Store) -> String {
    let secs = std::fs::metadata(store.base())
        .ok()
        .and_then(|m| m.created().or_else(|_| m.modified()).ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64)
        .unwrap_or_else(crate::output::now_secs);
    rfc3339(secs)
}

/// "2026-01-02T03:04:05Z", as Podman writes a network's creation time.
fn rfc3339(secs: i64) -> String {
    let t = crate::output::format_time(secs);
    format!("{}Z", t.get(..19).unwrap_or(&t).replacen(' ', "T", 1))
}

/// Every network: the default one first, then the created ones in creation order.
pub fn list(store: &Store) -> Result<Vec<Network>> {
    let mut v = vec![network::default_network(&default_created(store))];
    v.extend(load(store)?.networks);
    Ok(v)
}

/// The network named `what` (or whose id starts with it).
pub fn find(all: &[Network], what: &str) -> Result<Network> {
    if let Some(n) = all.iter().find(|n| n.name == what || n.id == what) {
        return Ok(n.clone());
    }
    let hits: Vec<&Network> = if what.len() >= 3 && what.bytes().all(|b| b.is_ascii_hexdigit()) {
        all.iter().filter(|n| n.id.starts_with(what)).collect()
    } else {
        vec![]
    };
    match hits.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(
            crate::err!("unable to find network with name or ID {what}: network not found")
                .classed(Class::NoSuchObject),
        ),
        _ => Err(crate::err!("network id {what} is ambiguous: give more of it")),
    }
}

/// The networks a container's mode names, resolved (an unknown one is an error).
pub fn resolve_mode(store: &Store, mode: &Mode) -> Result<Vec<Network>> {
    let Mode::Bridge(names) = mode else {
        return Ok(vec![]);
    };
    let all = list(store)?;
    names
        .iter()
        .map(|n| find(&all, n).map_err(|e| crate::err!("--network {n}: {}", e.message)))
        .collect()
}

/// `network create`.
pub fn create(store: &Store, req: &CreateRequest) -> Result<Network> {
    let l = lock(store)?;
    let mut idx = load(store)?;
    let mut all = vec![network::default_network(&default_created(store))];
    all.extend(idx.networks.iter().cloned());
    let auto = (1..)
        .map(|i| format!("hutch{i}"))
        .find(|n| !all.iter().any(|x| &x.name == n))
        .expect("a free name");
    let n = network::new_network(
        req,
        &all,
        &auto,
        &crate::digest::random_hex(32),
        &rfc3339(crate::output::now_secs()),
    )?;
    idx.networks.push(n.clone());
    save(store, &idx, &l)?;
    Ok(n)
}

/// The containers whose networks include `name`.
pub fn users(store: &Store, name: &str) -> Result<Vec<ContainerRecord>> {
    Ok(store
        .load_containers()?
        .containers
        .into_iter()
        .filter(|c| matches!(&c.spec.network, Mode::Bridge(v) if v.iter().any(|n| n == name)))
        .collect())
}

/// `network rm`: one network; with `force` the containers on it are removed first.
pub fn remove(store: &Store, what: &str, force: bool, grace: Option<u32>) -> Result<String> {
    let all = list(store)?;
    let n = find(&all, what)?;
    if n.name == network::DEFAULT_NETWORK {
        crate::bail!("default network {} cannot be removed", n.name);
    }
    let using = users(store, &n.name)?;
    if !using.is_empty() {
        if !force {
            return Err(crate::err!(
                "network {} is used by container {}: remove the container first, or use -f",
                n.name,
                using.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
            )
            .classed(Class::InUse));
        }
        for c in &using {
            crate::container::ensure_stopped_within(store, c, true, grace)?;
            crate::container::remove(store, c, false)?;
        }
    }
    let l = lock(store)?;
    let mut idx = load(store)?;
    idx.networks.retain(|x| x.name != n.name);
    save(store, &idx, &l)?;
    Ok(n.name)
}

/// `network prune`: every created network no container uses; their names.
pub fn prune(store: &Store) -> Result<Vec<String>> {
    let l = lock(store)?;
    let mut idx = load(store)?;
    let containers = store.load_containers()?.containers;
    let used = |name: &str| {
        containers
            .iter()
            .any(|c| matches!(&c.spec.network, Mode::Bridge(v) if v.iter().any(|n| n == name)))
    };
    let (gone, kept): (Vec<Network>, Vec<Network>) = idx.networks.drain(..).partition(|n| !used(&n.name));
    idx.networks = kept;
    save(store, &idx, &l)?;
    Ok(gone.into_iter().map(|n| n.name).collect())
}

/// Names (container name, aliases) already answering on `net`, other than `except`'s.
fn names_on(store: &Store, net: &str, except: &str) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for c in users(store, net)? {
        if c.id == except {
            continue;
        }
        out.push((c.name.clone(), c.name.clone()));
        for a in &c.spec.network_aliases {
            out.push((a.clone(), c.name.clone()));
        }
    }
    Ok(out)
}

/// Check a new container's (or connection's) names against the others on its networks.
pub fn check_names(store: &Store, nets: &[Network], id: &str, name: &str, aliases: &[String]) -> Result<()> {
    for n in nets {
        let taken = names_on(store, &n.name, id)?;
        for a in aliases {
            if let Some((_, owner)) = taken.iter().find(|(t, _)| t == a) {
                crate::bail!(
                    "--network-alias {a}: the name is already used on network {} by container {owner}",
                    n.name
                );
            }
        }
        if let Some((_, owner)) = taken.iter().find(|(t, _)| t == name) {
            crate::bail!(
                "container name {name}: already an alias on network {} of container {owner}",
                n.name
            );
        }
    }
    Ok(())
}

/// `network connect NET CTR`: a stopped container gets the network at its next start; a
/// running one at once as well.
pub fn connect(store: &Store, net: &str, ctr: &str, aliases: &[String]) -> Result<()> {
    let all = list(store)?;
    let n = find(&all, net)?;
    for a in aliases {
        if !network::valid_network_name(a) {
            crate::bail!("--alias {a}: not a valid name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)");
        }
    }
    let lock = store.lock_containers()?;
    let mut idx = store.load_containers()?;
    let i = idx.resolve(ctr)?;
    let rec = idx.containers[i].clone();
    let mut names = match &rec.spec.network {
        Mode::Bridge(v) => v.clone(),
        other => crate::bail!(
            "container {}: --network {other} cannot be connected to networks (create it with --network NAME)",
            rec.name
        ),
    };
    if names.contains(&n.name) {
        crate::bail!("container {} is already connected to network {}", rec.name, n.name);
    }
    check_names(store, std::slice::from_ref(&n), &rec.id, &rec.name, aliases)?;
    let taken = names_on(store, &n.name, &rec.id)?;
    for a in &rec.spec.network_aliases {
        if taken.iter().any(|(t, _)| t == a) {
            crate::bail!(
                "container {}: its alias {a} is already used on network {}",
                rec.name,
                n.name
            );
        }
    }
    if crate::container::running_now(&rec.id) {
        let live = crate::runtime::state::read_live(&rec.id)
            .ok_or_else(|| crate::err!("container {}: its live state is gone", rec.name))?;
        let mut all_aliases = rec.spec.network_aliases.clone();
        all_aliases.extend(aliases.iter().cloned());
        let reply = crate::runtime::sharednet::connect_running(&rec, live.pid, &n, &all_aliases)?;
        running_addresses(store, &rec, None, Some(&reply));
    }
    names.push(n.name.clone());
    let rec = &mut idx.containers[i];
    rec.spec.network = Mode::Bridge(names);
    for a in aliases {
        if !rec.spec.network_aliases.contains(a) {
            rec.spec.network_aliases.push(a.clone());
        }
    }
    store.save_containers(&idx, &lock)?;
    Ok(())
}

/// `network reload [--all] CTR…`: each container's result (its id, or why it was not
/// reloaded). With `all`, every running container on networks (the others are skipped, as
/// Podman does); else the ones named, which must be running on networks.
pub fn reload(store: &Store, all: bool, ctrs: &[String]) -> Result<Vec<Result<String>>> {
    let idx = store.load_containers()?;
    let recs: Vec<ContainerRecord> = if all {
        idx.containers
            .iter()
            .filter(|c| matches!(c.spec.network, Mode::Bridge(_)) && crate::container::running_now(&c.id))
            .cloned()
            .collect()
    } else {
        let mut v = Vec::new();
        for c in ctrs {
            v.push(idx.containers[idx.resolve(c)?].clone());
        }
        v
    };
    Ok(recs
        .iter()
        .map(|rec| {
            if !matches!(rec.spec.network, Mode::Bridge(_)) {
                crate::bail!(
                    "container {}: --network {} has no firewall rules to reload (network reload works on containers on networks)",
                    rec.name,
                    rec.spec.network.kind()
                );
            }
            if !crate::container::running_now(&rec.id) {
                crate::bail!("container {} is not running: its network is set up when it starts", rec.name);
            }
            crate::runtime::sharednet::reload_running(rec)?;
            Ok(rec.id.clone())
        })
        .collect())
}

/// A running container's addresses after `network connect` (`added`: hutch-netns's reply for
/// the network appended to its list) or `disconnect` (`removed`: the network's place in its
/// list): `userdata/networks.json`, which `inspect` reads, and its /etc/hosts lines, one per
/// network address (127.0.1.1 when it has none left). Best effort: the network itself is
/// already connected or gone.
fn running_addresses(store: &Store, rec: &ContainerRecord, removed: Option<usize>, added: Option<&serde_json::Value>) {
    let ud = store.container_dir(&rec.id).join("userdata");
    let path = ud.join("networks.json");
    let mut got: serde_json::Value = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_else(|| serde_json::json!({"ips": [], "macs": []}));
    let old = got["ips"].clone();
    for key in ["ips", "macs"] {
        if !got[key].is_array() {
            got[key] = serde_json::json!([]);
        }
        let list = got[key].as_array_mut().expect("an array");
        if let Some(i) = removed.filter(|i| *i < list.len()) {
            list.remove(i);
        }
        if let Some(v) = added.and_then(|r| r[key].get(0)) {
            list.push(v.clone());
        }
    }
    let _ = std::fs::write(&path, got.to_string());
    if got["ips"] != old {
        let hosts = ud.join("hosts");
        if let Ok(text) = std::fs::read_to_string(&hosts) {
            let ips: Vec<&str> = got["ips"]
                .as_array()
                .map(|v| v.iter().filter_map(|x| x.as_str()).collect())
                .unwrap_or_default();
            let _ = std::fs::write(
                &hosts,
                crate::runtime::sharednet::own_addresses(&text, &rec.spec.hostname, &ips),
            );
        }
    }
}

/// `network disconnect NET CTR`.
pub fn disconnect(store: &Store, net: &str, ctr: &str) -> Result<()> {
    let all = list(store)?;
    let n = find(&all, net)?;
    let lock = store.lock_containers()?;
    let mut idx = store.load_containers()?;
    let i = idx.resolve(ctr)?;
    let rec = idx.containers[i].clone();
    let names = match &rec.spec.network {
        Mode::Bridge(v) if v.contains(&n.name) => v.clone(),
        _ => crate::bail!("container {} is not connected to network {}", rec.name, n.name),
    };
    if crate::container::running_now(&rec.id) {
        let pid = crate::runtime::state::read_live(&rec.id).map(|l| l.pid);
        crate::runtime::sharednet::disconnect_running(&rec, pid, &n)?;
        if let Some(at) = names.iter().position(|x| x == &n.name) {
            running_addresses(store, &rec, Some(at), None);
        }
    }
    let left: Vec<String> = names.into_iter().filter(|x| x != &n.name).collect();
    // On no network it stays a container of the networks (Podman's "bridge" with none), so it
    // can be connected again.
    idx.containers[i].spec.network = Mode::Bridge(left);
    store.save_containers(&idx, &lock)?;
    Ok(())
}
