//! `save`: images from the store -> a docker-archive, an oci-archive (tar) or an OCI layout
//! directory. Layers are rebuilt byte for byte from their extracted files and tar-split
//! records, so diff_ids, the config blob and with it the image id are the ones the image had.
//! Runs inside the store's user namespace (layer files belong to subordinate ids).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::archive::split::Rebuilt;
use crate::error::{Context, Result};
use crate::store::{ImageIndex, ImageRecord, Store};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveFormat {
    DockerArchive,
    OciArchive,
    OciDir,
}

/// One image to write, with the names it carries in the archive.
pub struct SaveItem {
    pub image: ImageRecord,
    pub names: Vec<String>,
}

pub enum Destination {
    /// A file (written next to it first and renamed into place) or, for oci-dir, a directory.
    Path(PathBuf),
    Stdout,
}

/// Where the archive's files go: tar entries, or files in a directory.
enum Sink<'a> {
    Tar { out: &'a mut dyn Write },
    Dir { root: PathBuf },
}

const BLOCK: usize = 512;

impl Sink<'_> {
    fn header(name: &str, size: u64, dir: bool) -> Result<tar::Header> {
        let mut h = tar::Header::new_ustar();
        h.set_path(name).map_err(|e| crate::err!("archive entry {name}: {e}"))?;
        h.set_size(size);
        h.set_mode(if dir { 0o755 } else { 0o644 });
        h.set_entry_type(if dir {
            tar::EntryType::Directory
        } else {
            tar::EntryType::Regular
        });
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        h.set_cksum();
        Ok(h)
    }

    fn werr(e: std::io::Error) -> crate::error::Error {
        crate::err!("writing the archive: {e}")
    }

    fn dir(&mut self, name: &str) -> Result<()> {
        match self {
            Sink::Tar { out } => out
                .write_all(Self::header(&format!("{name}/"), 0, true)?.as_bytes())
                .map_err(Self::werr),
            Sink::Dir { root } => {
                let p = root.join(name);
                std::fs::create_dir_all(&p).ctx(|| format!("creating {}", p.display()))
            }
        }
    }

    fn bytes(&mut self, name: &str, data: &[u8]) -> Result<()> {
        self.stream(name, data.len() as u64, &mut |w| {
            w.write_all(data).map_err(Self::werr).map(|_| String::new())
        })
        .map(drop)
    }

    /// An entry of `size` bytes written by `fill`, which returns what it computed (a digest).
    fn stream(
        &mut self,
        name: &str,
        size: u64,
        fill: &mut dyn FnMut(&mut dyn Write) -> Result<String>,
    ) -> Result<String> {
        match self {
            Sink::Tar { out } => {
                out.write_all(Self::header(name, size, false)?.as_bytes())
                    .map_err(Self::werr)?;
                let mut counted = Counting {
                    inner: &mut **out,
                    n: 0,
                };
                let r = fill(&mut counted)?;
                if counted.n != size {
                    crate::bail!("archive entry {name}: wrote {} bytes instead of {size}", counted.n);
                }
                let pad = (BLOCK - (size as usize % BLOCK)) % BLOCK;
                out.write_all(&[0u8; BLOCK][..pad]).map_err(Self::werr)?;
                Ok(r)
            }
            Sink::Dir { root } => {
                let p = root.join(name);
                let f = std::fs::File::create(&p).ctx(|| format!("creating {}", p.display()))?;
                let mut w = std::io::BufWriter::with_capacity(256 * 1024, f);
                let r = fill(&mut w)?;
                w.flush().ctx(|| format!("writing {}", p.display()))?;
                Ok(r)
            }
        }
    }

    fn finish(self) -> Result<()> {
        if let Sink::Tar { out } = self {
            out.write_all(&[0u8; 2 * BLOCK]).map_err(Self::werr)?;
            out.flush().map_err(Self::werr)?;
        }
        Ok(())
    }
}

struct Counting<'a> {
    inner: &'a mut dyn Write,
    n: u64,
}

impl Write for Counting<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// A layer ready to be written: its tar-split record and its directory.
struct Layer {
    id: String,
    rebuilt: Rebuilt,
    size: u64,
}

fn layer(store: &Store, id: &str) -> Result<Layer> {
    let split = store.read_tar_split(id).ok_or_else(|| {
        crate::err!("layer sha256:{id} was stored by an older hutch without its tar-split record; pull the image again to save it")
    })?;
    let rebuilt = Rebuilt::open(&split)?;
    let size = rebuilt.len();
    Ok(Layer {
        id: id.to_string(),
        rebuilt,
        size,
    })
}

fn write_layer(store: &Store, sink: &mut Sink, name: &str, l: &Layer) -> Result<()> {
    let root = store.layer_dir(&l.id).join("diff");
    let got = sink.stream(name, l.size, &mut |w| l.rebuilt.write_to(&root, w))?;
    let want = format!("sha256:{}", l.id);
    if got != want {
        crate::bail!(
            "layer {want} could not be rebuilt from its files (it hashes to {got}); the store's copy was changed"
        );
    }
    Ok(())
}

/// `write_all`; each layer's files are read ahead while it is written (`Rebuilt::write_to`).
fn write_warm(store: &Store, items: &[SaveItem], layers: &[Layer], format: SaveFormat, sink: Sink) -> Result<()> {
    write_all(store, items, layers, format, sink)
}

/// Write `items` to `dest` in `format`.
pub fn save(store: &Store, items: &[SaveItem], format: SaveFormat, dest: &Destination) -> Result<()> {
    // Every layer must be rebuildable before anything is written.
    let mut layers: Vec<Layer> = Vec::new();
    for it in items {
        for id in &it.image.layers {
            if !layers.iter().any(|l| &l.id == id) {
                layers.push(layer(store, id)?);
            }
        }
    }
    match (format, dest) {
        (SaveFormat::OciDir, Destination::Stdout) => {
            crate::bail!("--format oci-dir needs an output directory (-o DIR)")
        }
        (SaveFormat::OciDir, Destination::Path(dir)) => {
            // An existing layout gets the image added, as containers/image's oci: transport does.
            let merge = dir.join("oci-layout").is_file();
            if !merge && dir.exists() && std::fs::read_dir(dir).map(|mut d| d.next().is_some()).unwrap_or(true) {
                crate::bail!(
                    "{}: already exists and is neither an empty directory nor an OCI layout",
                    dir.display()
                );
            }
            let old_index = if merge { Some(read_layout_index(dir)?) } else { None };
            let tmp = sibling_temp(dir)?;
            std::fs::create_dir(&tmp).ctx(|| format!("creating {}", tmp.display()))?;
            let r = write_warm(store, items, &layers, format, Sink::Dir { root: tmp.clone() });
            let r = match (r, old_index) {
                (Ok(()), Some(old)) => merge_layout(&tmp, dir, old),
                (r, _) => r,
            };
            if r.is_err() || merge {
                crate::store::make_writable(&tmp);
                let _ = std::fs::remove_dir_all(&tmp);
                return r;
            }
            if dir.exists() {
                std::fs::remove_dir(dir).ctx(|| format!("replacing {}", dir.display()))?;
            }
            std::fs::rename(&tmp, dir).ctx(|| format!("moving the layout into {}", dir.display()))
        }
        (_, Destination::Path(file)) => {
            if file.is_dir() {
                crate::bail!("{}: is a directory", file.display());
            }
            let tmp = sibling_temp(file)?;
            let f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .ctx(|| format!("creating {}", tmp.display()))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
            // Renamed into place once whole, not synced: an archive is the user's file, written
            // as tar, podman save or cp write theirs (a sync costs more than the rest of a save).
            let r = write_warm(store, items, &layers, format, Sink::Tar { out: &mut w }).and_then(|_| {
                w.into_inner()
                    .map(drop)
                    .map_err(|e| crate::err!("writing {}: {}", tmp.display(), e.error()))
            });
            if r.is_err() {
                let _ = std::fs::remove_file(&tmp);
                return r;
            }
            std::fs::rename(&tmp, file).ctx(|| format!("writing {}", file.display()))
        }
        (_, Destination::Stdout) => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
            write_warm(store, items, &layers, format, Sink::Tar { out: &mut w })?;
            w.flush().map_err(|e| crate::err!("writing the archive: {e}"))
        }
    }
}

/// The index.json of the OCI layout `dir`, checked.
fn read_layout_index(dir: &Path) -> Result<Value> {
    let p = dir.join("index.json");
    let b = std::fs::read(&p).ctx(|| format!("reading {}", p.display()))?;
    let v: Value =
        serde_json::from_slice(&b).map_err(|e| crate::err!("{}: not a valid OCI index: {e}", p.display()))?;
    if !v.get("manifests").is_some_and(Value::is_array) {
        crate::bail!("{}: not a valid OCI index: no manifests list", p.display());
    }
    Ok(v)
}

/// Move the blobs of the layout written in `tmp` into the layout `dir` (those it lacks), then
/// add `tmp`'s index entries to `old`, `dir`'s index: an entry with the same name replaces the
/// one there. The index is replaced last and atomically, so a failure leaves `dir` as it was
/// but for unreferenced blobs.
fn merge_layout(tmp: &Path, dir: &Path, mut old: Value) -> Result<()> {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).ctx(|| format!("creating {}", blobs.display()))?;
    let src = tmp.join("blobs/sha256");
    for e in std::fs::read_dir(&src).ctx(|| format!("reading {}", src.display()))? {
        let e = e.ctx(|| format!("reading {}", src.display()))?;
        let to = blobs.join(e.file_name());
        if !to.exists() {
            std::fs::rename(e.path(), &to).ctx(|| format!("writing {}", to.display()))?;
        }
    }
    let new = read_layout_index(tmp)?;
    let name_of = |d: &Value| {
        d.pointer("/annotations/org.opencontainers.image.ref.name")
            .and_then(Value::as_str)
            .map(String::from)
    };
    let list = old["manifests"].as_array_mut().expect("checked");
    for d in new["manifests"].as_array().expect("written") {
        match name_of(d) {
            Some(n) => list.retain(|x| name_of(x).as_deref() != Some(n.as_str())),
            None => list.retain(|x| !(name_of(x).is_none() && x.get("digest") == d.get("digest"))),
        }
        list.push(d.clone());
    }
    let p = dir.join("index.json");
    crate::sys::fs::write_atomic(&p, &serde_json::to_vec(&old).expect("json"), 0o644)
        .ctx(|| format!("writing {}", p.display()))
}

/// `DIR/.NAME.hutch-tmp-RANDOM` next to `p`, so the final rename stays on one file system.
fn sibling_temp(p: &Path) -> Result<PathBuf> {
    let name = p
        .file_name()
        .ok_or_else(|| crate::err!("{}: not a file name", p.display()))?;
    let parent = p
        .parent()
        .filter(|x| !x.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        crate::bail!("{}: no such directory", parent.display());
    }
    Ok(parent.join(format!(
        ".{}.hutch-tmp-{}",
        name.to_string_lossy(),
        crate::digest::random_hex(6)
    )))
}

fn write_all(store: &Store, items: &[SaveItem], layers: &[Layer], format: SaveFormat, mut sink: Sink) -> Result<()> {
    let find = |id: &str| layers.iter().find(|l| l.id == id).expect("collected");
    match format {
        SaveFormat::DockerArchive => {
            let mut manifest = Vec::new();
            let mut written = std::collections::HashSet::new();
            for it in items {
                let config = store.read_blob(&format!("sha256:{}", it.image.id))?;
                let cfg_name = format!("{}.json", it.image.id);
                if written.insert(cfg_name.clone()) {
                    sink.bytes(&cfg_name, &config)?;
                }
                for id in &it.image.layers {
                    let name = format!("{id}.tar");
                    if written.insert(name.clone()) {
                        write_layer(store, &mut sink, &name, find(id))?;
                    }
                }
                manifest.push(json!({
                    "Config": cfg_name,
                    "RepoTags": it.names,
                    "Layers": it.image.layers.iter().map(|id| format!("{id}.tar")).collect::<Vec<_>>(),
                }));
            }
            sink.bytes("manifest.json", &serde_json::to_vec(&manifest).expect("json"))?;
        }
        SaveFormat::OciArchive | SaveFormat::OciDir => {
            sink.bytes("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
            sink.dir("blobs")?;
            sink.dir("blobs/sha256")?;
            let mut written = std::collections::HashSet::new();
            let mut index = Vec::new();
            for it in items {
                let config = store.read_blob(&format!("sha256:{}", it.image.id))?;
                if written.insert(it.image.id.clone()) {
                    sink.bytes(&format!("blobs/sha256/{}", it.image.id), &config)?;
                }
                for id in &it.image.layers {
                    if written.insert(id.clone()) {
                        write_layer(store, &mut sink, &format!("blobs/sha256/{id}"), find(id))?;
                    }
                }
                let manifest = oci_manifest(&it.image, config.len(), layers);
                let mdigest = crate::digest::sha256_hex(&manifest);
                if written.insert(mdigest.clone()) {
                    sink.bytes(&format!("blobs/sha256/{mdigest}"), &manifest)?;
                }
                let desc = |name: Option<&String>| {
                    let mut d = json!({
                        "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "digest": format!("sha256:{mdigest}"),
                        "size": manifest.len(),
                    });
                    if let Some(n) = name {
                        d["annotations"] = json!({ "org.opencontainers.image.ref.name": n });
                    }
                    d
                };
                if it.names.is_empty() {
                    index.push(desc(None));
                }
                for n in &it.names {
                    index.push(desc(Some(n)));
                }
            }
            let index = json!({ "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": index });
            sink.bytes("index.json", &serde_json::to_vec(&index).expect("json"))?;
        }
    }
    sink.finish()
}

/// An OCI manifest for the image with uncompressed layers (their digests are the diff_ids).
fn oci_manifest(img: &ImageRecord, config_size: usize, layers: &[Layer]) -> Vec<u8> {
    let ls: Vec<Value> = img
        .layers
        .iter()
        .map(|id| {
            let size = layers.iter().find(|l| &l.id == id).map(|l| l.size).unwrap_or(0);
            json!({ "mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": format!("sha256:{id}"), "size": size })
        })
        .collect();
    serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{}", img.id), "size": config_size },
        "layers": ls,
    }))
    .expect("json")
}

/// The name `what` found `img` by (so the archive carries the name the user gave), or none when
/// it was an id.
fn name_given(img: &ImageRecord, what: &str) -> Option<String> {
    img.names
        .iter()
        .find(|n| {
            let mut one = img.clone();
            one.names = vec![(*n).clone()];
            one.id = "-".repeat(64); // never matches as an id
            ImageIndex { images: vec![one] }.resolve(what).is_ok()
        })
        .cloned()
}

/// Resolve `images` (with `multi`, each is an image; without, the others are extra names for
/// the first) in the user's store and save them, from inside the store's user namespace.
pub fn save_images(images: &[String], multi: bool, format: SaveFormat, dest: &Destination) -> Result<()> {
    crate::runtime::userns::enter()?;
    let store = Store::open()?;
    // As a reader until the archive is written: a concurrent rmi waits rather than removing
    // layers being read.
    let _reading = store.lock_images_shared()?;
    let idx = store.load_images()?;
    let mut items: Vec<SaveItem> = Vec::new();
    if multi {
        for what in images {
            let img = idx.images[idx.resolve(what)?].clone();
            let name = name_given(&img, what);
            match items.iter_mut().find(|i| i.image.id == img.id) {
                Some(it) => it.names.extend(name.filter(|n| !it.names.contains(n))),
                None => items.push(SaveItem {
                    names: name.into_iter().collect(),
                    image: img,
                }),
            }
        }
    } else {
        let first = &images[0];
        let img = idx.images[idx.resolve(first)?].clone();
        let mut names: Vec<String> = name_given(&img, first).into_iter().collect();
        for extra in &images[1..] {
            let n = crate::image::tag::normalize_new_name(extra)?;
            if !names.contains(&n) {
                names.push(n);
            }
        }
        items.push(SaveItem { image: img, names });
    }
    save(&store, &items, format, dest)
}
