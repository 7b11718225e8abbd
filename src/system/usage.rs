//! What the store holds and how much room it takes, for `system df` and `system prune`: read
//! without any lock (indices are replaced atomically), so it never waits for a pull or a run.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use crate::error::Result;
use crate::runtime::state::{self, Status};
use crate::store::containers::ContainerRecord;
use crate::store::{ImageRecord, Store};
use crate::system::volumes::{self, Volume};

/// Bytes under `p` (apparent sizes of files, links and directories; what cannot be read, such
/// as a directory a container made private to one of its users, is left out).
pub fn du(p: &Path) -> u64 {
    let Ok(m) = std::fs::symlink_metadata(p) else { return 0 };
    if !m.is_dir() {
        return m.len();
    }
    let mut n = 0;
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            n += du(&e.path());
        }
    }
    n
}

/// One image as `system df -v` shows it.
pub struct ImageUse {
    pub rec: ImageRecord,
    /// Bytes of its layers that other images use too.
    pub shared: u64,
    /// Containers made from it.
    pub containers: usize,
}

pub struct ContainerUse {
    pub rec: ContainerRecord,
    pub running: bool,
    pub status: String,
    pub size: u64,
    /// Volumes it mounts.
    pub volumes: usize,
}

pub struct Usage {
    pub images: Vec<ImageUse>,
    /// Bytes of all layers (each counted once) and of those no container's image uses.
    pub images_size: u64,
    pub images_reclaimable: u64,
    pub containers: Vec<ContainerUse>,
    pub volumes: Vec<Volume>,
}

/// Volume names a container uses: its named volumes and its anonymous ones.
pub fn container_volumes(rec: &ContainerRecord, all: &[Volume]) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = rec
        .spec
        .mounts
        .iter()
        .filter(|m| m.kind == crate::spec::MountKind::Volume && !m.source.is_empty())
        .map(|m| m.source.clone())
        .collect();
    let anon = format!("anon-{}-", &rec.id[..12.min(rec.id.len())]);
    out.extend(all.iter().filter(|v| v.name.starts_with(&anon)).map(|v| v.name.clone()));
    out
}

/// Everything `system df` reports. `sizes`: measure container and volume directories (a walk
/// of their files); without it they count as 0.
pub fn measure(store: &Store, sizes: bool) -> Result<Usage> {
    let images = store.load_images()?.images;
    let layers = store.load_layers()?;
    let containers = store.load_containers()?.containers;
    let layer_size: HashMap<&str, u64> = layers.layers.iter().map(|l| (l.id.as_str(), l.size)).collect();
    let mut users: HashMap<&str, usize> = HashMap::new();
    for i in &images {
        for l in i.layers.iter().collect::<HashSet<_>>() {
            *users.entry(l.as_str()).or_default() += 1;
        }
    }
    let active_images: HashSet<&str> = containers.iter().map(|c| c.image.as_str()).collect();
    let active_layers: HashSet<&str> = images
        .iter()
        .filter(|i| active_images.contains(i.id.as_str()))
        .flat_map(|i| i.layers.iter().map(String::as_str))
        .collect();
    let all_layers: HashSet<&str> = images
        .iter()
        .flat_map(|i| i.layers.iter().map(String::as_str))
        .collect();
    let size_of = |l: &str| layer_size.get(l).copied().unwrap_or(0);
    let images_size = all_layers.iter().map(|l| size_of(l)).sum();
    let images_reclaimable = all_layers
        .iter()
        .filter(|l| !active_layers.contains(*l))
        .map(|l| size_of(l))
        .sum();
    let image_uses = images
        .iter()
        .map(|i| ImageUse {
            shared: i
                .layers
                .iter()
                .collect::<HashSet<_>>()
                .into_iter()
                .filter(|l| users.get(l.as_str()).copied().unwrap_or(0) > 1)
                .map(|l| size_of(l))
                .sum(),
            containers: containers.iter().filter(|c| c.image == i.id).count(),
            rec: i.clone(),
        })
        .collect();
    let vols = volumes::list(store, sizes);
    let ctrs = containers
        .iter()
        .map(|c| {
            let (st, _, _) = state::status(store, c);
            ContainerUse {
                running: matches!(st, Status::Running { .. }),
                status: st.word().to_string(),
                size: if sizes { du(&store.container_dir(&c.id)) } else { 0 },
                volumes: container_volumes(c, &vols).len(),
                rec: c.clone(),
            }
        })
        .collect();
    Ok(Usage {
        images: image_uses,
        images_size,
        images_reclaimable,
        containers: ctrs,
        volumes: vols,
    })
}

impl Usage {
    /// Volume names some container uses.
    pub fn used_volumes(&self) -> HashSet<String> {
        self.containers
            .iter()
            .flat_map(|c| container_volumes(&c.rec, &self.volumes))
            .collect()
    }
}
