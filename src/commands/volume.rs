//! `hutch volume create|ls|inspect|rm|prune|exists|export|import`.

use std::io::{IsTerminal, Write};

use serde_json::Value;

use crate::cli::{
    VolumeCommand, VolumeCreateArgs, VolumeExistsArgs, VolumeExportArgs, VolumeImportArgs, VolumeInspectArgs,
    VolumeLsArgs, VolumeMountArgs, VolumePruneArgs, VolumeRmArgs,
};
use crate::error::{Class, Context, Result};
use crate::format::Format;
use crate::output::{error, out};
use crate::store::Store;
use crate::volume::{self, Filter};

pub fn run(c: VolumeCommand) -> Result<i32> {
    match c {
        VolumeCommand::Create(a) => create(a),
        VolumeCommand::Ls(a) => ls(a),
        VolumeCommand::Inspect(a) => inspect(a),
        VolumeCommand::Rm(a) => rm(a),
        VolumeCommand::Prune(a) => prune(a),
        VolumeCommand::Mount(a) => mount(a, true),
        VolumeCommand::Unmount(a) => mount(a, false),
        VolumeCommand::Exists(a) => exists(a),
        VolumeCommand::Export(a) => export(a),
        VolumeCommand::Import(a) => import(a),
    }
}

fn create(a: VolumeCreateArgs) -> Result<i32> {
    let store = Store::open()?;
    let rec = volume::create(
        &store,
        &volume::CreateOptions {
            name: a.name,
            labels: a.label,
            opts: a.opt,
            driver: a.driver,
            ignore: a.ignore,
        },
    )?;
    out(&format!("{}\n", rec.name));
    Ok(0)
}

fn filters(given: &[String]) -> Result<Vec<Filter>> {
    given.iter().map(|f| Filter::parse(f)).collect()
}

fn ls(a: VolumeLsArgs) -> Result<i32> {
    let filters = filters(&a.filter)?;
    let store = Store::open()?;
    let vols = volume::list(&store, &filters)?;
    if a.quiet {
        out(&vols.iter().map(|v| format!("{}\n", v.name)).collect::<String>());
        return Ok(0);
    }
    let containers = store.load_containers()?;
    let items: Vec<Value> = vols
        .iter()
        .map(|v| volume::inspect_json(&store, v, &containers))
        .collect();
    super::print_listing(
        a.format.as_deref(),
        &items,
        &[
            ("Name", "VOLUME NAME"),
            ("Mountpoint", "MOUNTPOINT"),
            ("CreatedAt", "CREATED AT"),
        ],
        a.noheading,
        || {
            let rows: Vec<Vec<String>> = vols.iter().map(|v| vec![v.driver.clone(), v.name.clone()]).collect();
            if a.noheading {
                rows.iter().map(|r| format!("{:<12}{}\n", r[0], r[1])).collect()
            } else {
                crate::output::table(&["DRIVER", "VOLUME NAME"], &rows)
            }
        },
    )?;
    Ok(0)
}

fn inspect(a: VolumeInspectArgs) -> Result<i32> {
    // A bad template is the one error, before any item is looked up.
    if let Format::Template { tmpl, .. } = Format::parse(a.format.as_deref()) {
        crate::format::render(&tmpl, false, &[])?;
    }
    let store = Store::open()?;
    let containers = store.load_containers()?;
    let names: Vec<String> = if a.all {
        volume::list(&store, &[])?.into_iter().map(|v| v.name).collect()
    } else {
        a.volumes.clone()
    };
    let mut items = Vec::new();
    let mut failed = false;
    for n in &names {
        match volume::find(&store, n) {
            Ok(v) => items.push(volume::inspect_json(&store, &v, &containers)),
            Err(e) => {
                error(&e.message);
                failed = true;
            }
        }
    }
    super::print_inspected(a.format.as_deref(), &items, failed)
}

fn rm(a: VolumeRmArgs) -> Result<i32> {
    let store = Store::open()?;
    let names: Vec<String> = if a.all {
        volume::list(&store, &[])?.into_iter().map(|v| v.name).collect()
    } else {
        a.volumes.clone()
    };
    let mut failed = Vec::new();
    for n in &names {
        match volume::remove_within(&store, n, a.force, a.time) {
            Ok(()) => out(&format!("{n}\n")),
            // As Podman: with -f, a volume that does not exist is no error.
            Err(e) if a.force && e.class == Class::NoSuchObject => {}
            Err(e) => {
                error(&e.message);
                failed.push(e.class);
            }
        }
    }
    // podman-volume-rm(1): 1 when a volume did not exist, 2 when one is in use, else 125.
    Ok(if failed.is_empty() {
        0
    } else if failed.iter().all(|c| *c == Class::NoSuchObject) {
        1
    } else if failed.iter().all(|c| matches!(c, Class::NoSuchObject | Class::InUse)) {
        2
    } else {
        125
    })
}

fn prune(a: VolumePruneArgs) -> Result<i32> {
    let filters = filters(&a.filter)?;
    if filters
        .iter()
        .any(|f| matches!(f, Filter::Name(_) | Filter::Dangling(_) | Filter::Driver(_)))
    {
        crate::bail!("volume prune --filter: only label, label! and until apply");
    }
    if !a.force {
        // As Podman: the volumes that would go are listed, and the answer comes from stdin.
        let store = Store::open()?;
        let mut f = filters.clone();
        f.push(Filter::Dangling(true));
        let names: String = volume::list(&store, &f)?
            .iter()
            .map(|v| format!("{}\n", v.name))
            .collect();
        crate::output::note(&format!(
            "WARNING! This will remove all volumes not used by at least one container. The following volumes will be removed:\n{names}Are you sure you want to continue? [y/N]",
        ));
        let mut answer = String::new();
        let _ = std::io::stdin().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            return Ok(0);
        }
    }
    let store = Store::open()?;
    let removed = volume::prune(&store, &filters)?;
    out(&removed.iter().map(|n| format!("{n}\n")).collect::<String>());
    Ok(0)
}

fn exists(a: VolumeExistsArgs) -> Result<i32> {
    let Some(store) = Store::open_existing(&crate::paths::data_dir()?) else {
        return Ok(1);
    };
    Ok(if store.load_volumes()?.find(&a.volume).is_some() {
        0
    } else {
        1
    })
}

fn export(a: VolumeExportArgs) -> Result<i32> {
    match &a.output {
        None => {
            if std::io::stdout().is_terminal() {
                crate::bail!("refusing to export to terminal. Use -o flag or redirect");
            }
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
            volume::export(&a.volume, &mut w)?;
            w.flush().map_err(|e| crate::err!("volume export {}: {e}", a.volume))?;
        }
        Some(file) => {
            // Written next to the file and renamed: never a truncated tar under its name.
            let dir = file
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let name = file
                .file_name()
                .ok_or_else(|| crate::err!("-o {}: not a file name", file.display()))?;
            let tmp = dir.join(format!(
                ".{}.hutch-tmp-{}",
                name.to_string_lossy(),
                crate::digest::random_hex(6)
            ));
            let f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .ctx(|| format!("creating {}", tmp.display()))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
            let r = volume::export(&a.volume, &mut w)
                .and_then(|_| w.flush().map_err(|e| crate::err!("writing {}: {e}", tmp.display())));
            drop(w);
            if let Err(e) = r {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
            std::fs::rename(&tmp, file).ctx(|| format!("writing {}", file.display()))?;
        }
    }
    Ok(0)
}

fn import(a: VolumeImportArgs) -> Result<i32> {
    // Checked before anything is read: a missing volume is the error, not the tar.
    let store = Store::open()?;
    volume::find(&store, &a.volume)?;
    let input: Box<dyn std::io::Read> = if a.file.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(&a.file).ctx(|| format!("volume import: opening {}", a.file.display()))?)
    };
    volume::import(&a.volume, input)?;
    Ok(0)
}

/// `volume mount|unmount VOL…`: hutch's volumes are directories, so mount prints each one's
/// and unmount its name; rootless, only inside `hutch unshare` (Podman's rule: there the files
/// have the owners containers see).
fn mount(a: VolumeMountArgs, mount: bool) -> Result<i32> {
    let verb = if mount { "mount" } else { "unmount" };
    // Root: of the host, or of the store's user namespace (`hutch unshare`).
    if !nix::unistd::geteuid().is_root() {
        crate::bail!("cannot run command \"hutch volume {verb}\" in rootless mode, must execute `hutch unshare` first");
    }
    let store = Store::open()?;
    let mut failed = false;
    for n in &a.volumes {
        match volume::find(&store, n) {
            Ok(v) if mount => out(&format!("{}\n", volume::data_path(&store, &v.name).display())),
            Ok(v) => out(&format!("{}\n", v.name)),
            Err(e) => {
                error(&e.message);
                failed = true;
            }
        }
    }
    Ok(if failed { 125 } else { 0 })
}
