//! A cache of compiled modules, in memory and on disk, keyed by what the compiled code depends
//! on: the module's bytes (SHA-256), the backend, its runtime version, and its engine settings.
//!
//! On disk each entry is one file holding its key and a CRC-32 of its payload: an entry whose
//! key, length or checksum does not match — truncated, corrupt, or written by another version —
//! is never loaded; it is compiled again and replaced. (The checksum finds damage, not forgery:
//! that is the directory's trust's job. A CRC-32 reads at memory speed, where a SHA-256 of a
//! large module's code was a quarter of a warm suite run's time.) Loading runs the runtime's own
//! deserializer (wasmtime and wasmer check its version and settings once more), which trusts
//! the bytes as machine code: the directory must be as trusted as the program itself (the
//! default is the user's own, `$XDG_CACHE_HOME/wasiport` or `~/.cache/wasiport`), and one that
//! is not the user's own or that others may write is refused.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use sha2::{Digest, Sha256};

use crate::{Backend, CompiledModule, Error, ModuleInfo};

/// The first bytes of every entry file (`2`: the payload's checksum is a CRC-32).
const MAGIC: &[u8; 16] = b"wasiport-cache2\n";

/// How a lookup was served, counted by [`ModuleCache::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Found compiled in memory.
    pub memory_hits: u64,
    /// Loaded from the disk.
    pub disk_hits: u64,
    /// Compiled (not cached yet, or the backend has no serialized form).
    pub compiled: u64,
    /// Disk entries found corrupt or stale, and replaced.
    pub rejected: u64,
}

/// One key's module; its lock is held while the module is compiled, so that threads asking
/// for it at once wait for one compilation. A failed compilation is not kept.
type Slot = Arc<Mutex<Option<CompiledModule>>>;

/// Compiled modules by key, in memory and (optionally) in a directory. In memory a module is
/// also kept apart per backend value (its engine), by the value's address: a cache should not
/// outlive the backends it serves.
///
/// ```
/// use wasiport::{Backend, ModuleCache};
/// let backend = wasiport_wasmi::Wasmi::new()?;
/// let wasm = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "_start")))"#)?;
/// let cache = ModuleCache::in_memory();
/// let a = cache.get_or_compile(&backend, &wasm)?;
/// let b = cache.get_or_compile(&backend, &wasm)?;
/// assert_eq!((cache.stats().compiled, cache.stats().memory_hits), (1, 1));
/// assert!(backend.run(&b, &wasiport::RunConfig::default())?.success());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct ModuleCache {
    memory: Mutex<HashMap<String, Slot>>,
    dir: Option<PathBuf>,
    memory_hits: AtomicU64,
    disk_hits: AtomicU64,
    compiled: AtomicU64,
    rejected: AtomicU64,
}

impl ModuleCache {
    /// A cache in memory only.
    pub fn in_memory() -> Self {
        ModuleCache::default()
    }

    /// A cache in memory and in `dir` (made if missing, readable and writable by its owner
    /// only). Loading an entry runs its code, so a directory that is not this user's own, or
    /// that its group or others may write, is refused with [`Error::UntrustedCacheDir`].
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// use std::os::unix::fs::PermissionsExt;
    /// let shared = tempfile::tempdir()?;
    /// std::fs::set_permissions(shared.path(), std::fs::Permissions::from_mode(0o777))?;
    /// let refused = wasiport::ModuleCache::with_dir(shared.path()).unwrap_err();
    /// assert!(matches!(refused, wasiport::Error::UntrustedCacheDir { .. }));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_dir(dir: impl Into<PathBuf>) -> Result<Self, Error> {
        let dir = dir.into();
        let io = |source| Error::Io {
            path: dir.clone(),
            source,
        };
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let meta = std::fs::metadata(&dir).map_err(io)?;
            // SAFETY: geteuid has no preconditions and cannot fail.
            let me = unsafe { libc::geteuid() };
            let reason = if meta.uid() != me {
                Some(format!(
                    "it belongs to user {}, not to this one ({me})",
                    meta.uid()
                ))
            } else if meta.mode() & 0o022 != 0 {
                Some(format!(
                    "its group or others may write to it (mode {:o})",
                    meta.mode() & 0o777
                ))
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(Error::UntrustedCacheDir { path: dir, reason });
            }
        }
        Ok(ModuleCache {
            dir: Some(dir),
            ..ModuleCache::default()
        })
    }

    /// The per-user default directory: `$XDG_CACHE_HOME/wasiport`, else `~/.cache/wasiport`.
    pub fn default_dir() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
        Some(base.join("wasiport"))
    }

    /// The directory, if the cache has one.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// How lookups were served so far.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            memory_hits: self.memory_hits.load(Ordering::Relaxed),
            disk_hits: self.disk_hits.load(Ordering::Relaxed),
            compiled: self.compiled.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
        }
    }

    /// The key of `wasm` on `backend`, with the code `variant` its runs need.
    fn key(backend: &dyn Backend, wasm: &[u8], variant: &str) -> String {
        let digest = Sha256::digest(wasm);
        let variant = match variant {
            "" => String::new(),
            v => format!("+{v}"),
        };
        format!(
            "{}/{}/{}{variant}/{}",
            backend.code_name(),
            backend.runtime_version(),
            backend.engine_fingerprint(),
            hex(&digest)
        )
    }

    /// `wasm` compiled by `backend`: from memory, else from the disk, else compiled (and then
    /// kept in both). Threads asking for the same module at once wait for one compilation.
    ///
    /// The module runs any configuration; a backend may compile the code some limits need (fuel
    /// metering) on the first run that sets them. Where the limits of the runs are known,
    /// [`ModuleCache::get_or_compile_for`] keeps that code too.
    pub fn get_or_compile(
        &self,
        backend: &dyn Backend,
        wasm: &[u8],
    ) -> Result<CompiledModule, Error> {
        self.get_or_compile_for(backend, wasm, &crate::Limits::default())
    }

    /// `wasm` compiled by `backend` with the code runs within `limits` need (fuel metering, on
    /// a backend that compiles it only on demand: [`Backend::code_variant`]), kept apart from
    /// the module without it, in memory and on disk.
    ///
    /// ```
    /// use wasiport::{Backend, Limits, ModuleCache, RunConfig};
    /// let backend = wasiport_wasmtime::Wasmtime::new()?;
    /// let wasm = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "_start")))"#)?;
    /// let config = RunConfig::builder().fuel(1_000).build()?;
    /// let cache = ModuleCache::in_memory();
    /// let metered = cache.get_or_compile_for(&backend, &wasm, config.limits())?;
    /// let plain = cache.get_or_compile(&backend, &wasm)?;
    /// assert_eq!(cache.stats().compiled, 2);
    /// assert!(backend.run(&metered, &config)?.fuel_consumed.is_some());
    /// assert!(backend.run(&plain, &RunConfig::default())?.success());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_or_compile_for(
        &self,
        backend: &dyn Backend,
        wasm: &[u8],
        limits: &crate::Limits,
    ) -> Result<CompiledModule, Error> {
        let key = Self::key(backend, wasm, backend.code_variant(limits));
        // In memory, compiled code belongs to one backend value (its engine): two backends of
        // the same runtime never share a module. On disk, the key alone decides.
        let slot = self
            .memory
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(format!("{key}@{}", backend.id().serial()))
            .or_default()
            .clone();
        let mut module = slot.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(module) = &*module {
            self.memory_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(module.clone());
        }
        let compiled = self.load_or_compile(backend, wasm, limits, &key)?;
        *module = Some(compiled.clone());
        Ok(compiled)
    }

    fn load_or_compile(
        &self,
        backend: &dyn Backend,
        wasm: &[u8],
        limits: &crate::Limits,
        key: &str,
    ) -> Result<CompiledModule, Error> {
        let path = self.dir.as_ref().map(|d| d.join(file_name(backend, key)));
        if let Some(path) = &path {
            match read_entry(path, key) {
                Entry::Missing => {}
                Entry::Rejected => {
                    self.rejected.fetch_add(1, Ordering::Relaxed);
                }
                Entry::Found(bytes, start) => {
                    let payload = &bytes[start..];
                    let info = ModuleInfo::parse(wasm).map_err(|message| Error::InvalidModule {
                        backend: backend.name(),
                        message,
                    })?;
                    // SAFETY: the payload is what `serialize` of a backend of this code name, runtime
                    // version and engine settings wrote into this cache (the key says so, the
                    // checksum says it is whole), in a directory as trusted as this program.
                    match unsafe { backend.deserialize(payload, info) } {
                        Ok(module) => {
                            self.disk_hits.fetch_add(1, Ordering::Relaxed);
                            return Ok(module);
                        }
                        // The runtime refused it (another build of it, say): compiled again.
                        Err(_) => {
                            self.rejected.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
        }
        let module = backend.compile_for(wasm, limits)?;
        self.compiled.fetch_add(1, Ordering::Relaxed);
        if let Some(path) = &path {
            // A cache that cannot be written is only slower: the module is returned anyway.
            if let Ok(Some(payload)) = backend.serialize(&module) {
                let _ = write_entry(path, key, &payload);
            }
        }
        Ok(module)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The entry's file name: the backend, and a digest of the whole key.
fn file_name(backend: &dyn Backend, key: &str) -> String {
    format!(
        "{}-{}.bin",
        backend.code_name(),
        &hex(&Sha256::digest(key.as_bytes()))[..40]
    )
}

enum Entry {
    Missing,
    Rejected,
    /// The entry file's bytes, and where its payload starts in them.
    Found(Vec<u8>, usize),
}

/// An entry: magic, key length (u32 LE) and key, payload length (u64 LE), CRC-32 of the
/// payload (u32 LE), the payload.
fn read_entry(path: &Path, key: &str) -> Entry {
    let Ok(bytes) = std::fs::read(path) else {
        return Entry::Missing;
    };
    let parse = || -> Option<usize> {
        let rest = bytes.strip_prefix(MAGIC.as_slice())?;
        let (len, rest) = rest.split_at_checked(4)?;
        let key_len = u32::from_le_bytes(len.try_into().ok()?) as usize;
        let (stored_key, rest) = rest.split_at_checked(key_len)?;
        if stored_key != key.as_bytes() {
            return None;
        }
        let (len, rest) = rest.split_at_checked(8)?;
        let payload_len = usize::try_from(u64::from_le_bytes(len.try_into().ok()?)).ok()?;
        let (sum, payload) = rest.split_at_checked(4)?;
        if payload.len() != payload_len || crc32fast::hash(payload).to_le_bytes() != sum {
            return None;
        }
        Some(bytes.len() - payload.len())
    };
    match parse() {
        Some(start) => Entry::Found(bytes, start),
        None => Entry::Rejected,
    }
}

/// Writes an entry whole or not at all: to a temporary file, renamed into place.
fn write_entry(path: &Path, key: &str, payload: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let mut tmp = tempfile_in(dir)?;
    tmp.1.write_all(MAGIC)?;
    tmp.1.write_all(&(key.len() as u32).to_le_bytes())?;
    tmp.1.write_all(key.as_bytes())?;
    tmp.1.write_all(&(payload.len() as u64).to_le_bytes())?;
    tmp.1.write_all(&crc32fast::hash(payload).to_le_bytes())?;
    tmp.1.write_all(payload)?;
    // No fsync: an entry a crash leaves torn fails its length or checksum, and is compiled
    // again; the rename keeps a reader from ever seeing one half written.
    std::fs::rename(&tmp.0, path)
}

/// A new file in `dir` with a name no other writer uses.
fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        ".tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let path = dir.join(name);
    let file = std::fs::File::create_new(&path)?;
    Ok((path, file))
}
