//! What can be read off a component's bytes: the WIT interfaces it imports and exports, and from
//! them the WASI version and the world it targets.

use std::fmt;

use crate::Capability;

/// A WASI release line a component targets.
///
/// ```
/// use wasiport::WasiVersion;
/// assert_eq!(WasiVersion::V0_2.to_string(), "0.2");
/// assert!(WasiVersion::V0_3 > WasiVersion::V0_2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WasiVersion {
    /// WASI 0.2 (preview 2): `wasi:*@0.2.x`.
    V0_2,
    /// WASI 0.3 (async): `wasi:*@0.3.x`, and its release candidates.
    V0_3,
}

impl WasiVersion {
    /// The capability a backend declares when it runs components of this line.
    pub fn capability(self) -> Capability {
        match self {
            WasiVersion::V0_2 => Capability::Wasi0_2,
            WasiVersion::V0_3 => Capability::Wasi0_3,
        }
    }
}

impl fmt::Display for WasiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WasiVersion::V0_2 => "0.2",
            WasiVersion::V0_3 => "0.3",
        })
    }
}

/// A WIT interface name as a component imports or exports it: `wasi:cli/run@0.2.6` is package
/// `wasi:cli`, interface `run`, version `0.2.6`. Plain names (`run`, `greet`) have no package.
///
/// ```
/// use wasiport::InterfaceName;
/// let name = InterfaceName::parse("wasi:cli/run@0.2.6");
/// assert_eq!((name.package(), name.interface(), name.version()), (Some("wasi:cli"), "run", Some("0.2.6")));
/// assert_eq!(InterfaceName::parse("greet").package(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InterfaceName {
    full: String,
    /// Where the package ends (the `/`), if there is one.
    slash: Option<usize>,
    /// Where the version starts (the `@`), if there is one.
    at: Option<usize>,
}

impl InterfaceName {
    /// Splits a name; never fails (a name without `/` is an interface of no package).
    pub fn parse(name: &str) -> Self {
        let slash = name.find('/');
        let at = name.rfind('@').filter(|&at| slash.is_none_or(|s| at > s));
        InterfaceName {
            full: name.to_string(),
            slash,
            at,
        }
    }

    /// The package, `namespace:name`, if the name has one.
    pub fn package(&self) -> Option<&str> {
        self.slash.map(|s| &self.full[..s])
    }

    /// The interface within the package (or the plain name).
    pub fn interface(&self) -> &str {
        let start = self.slash.map_or(0, |s| s + 1);
        let end = self.at.unwrap_or(self.full.len());
        &self.full[start..end]
    }

    /// The package's version, if given.
    pub fn version(&self) -> Option<&str> {
        self.at.map(|a| &self.full[a + 1..])
    }

    /// The WASI line of a `wasi:` interface with a version.
    pub fn wasi_version(&self) -> Option<WasiVersion> {
        let package = self.package()?;
        if !package.starts_with("wasi:") {
            return None;
        }
        let version = self.version()?;
        if version.starts_with("0.2.") {
            Some(WasiVersion::V0_2)
        } else if version.starts_with("0.3.") {
            Some(WasiVersion::V0_3)
        } else {
            None
        }
    }

    /// The whole name.
    pub fn as_str(&self) -> &str {
        &self.full
    }
}

impl fmt::Display for InterfaceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

/// What a component imports and exports at its top level, and what that says it needs.
///
/// ```
/// use wasiport::{Capability, ModuleInfo, WasiVersion};
/// // A component of no content, importing one WASI 0.2 interface: enough for the header and
/// // the import section wasiport reads.
/// let wasm = wat::parse_str(r#"(component
///     (import "wasi:cli/environment@0.2.6" (instance))
///     (import "wasi:sockets/tcp@0.2.6" (instance)))"#)?;
/// let info = ModuleInfo::parse(&wasm)?;
/// let component = info.component().expect("a component");
/// assert_eq!(component.wasi_version(), Some(WasiVersion::V0_2));
/// assert_eq!(component.world(), None); // it exports no `wasi:cli/run`: not a command
/// assert!(component.needs().contains(&Capability::WasiSockets));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentInfo {
    imports: Vec<InterfaceName>,
    exports: Vec<InterfaceName>,
}

/// The worlds wasiport knows by the interface a component exports: `(package, interface,
/// world)`.
const WORLDS: &[(&str, &str, &str)] = &[
    ("wasi:cli", "run", "wasi:cli/command"),
    ("wasi:http", "incoming-handler", "wasi:http/proxy"),
    ("wasi:http", "handler", "wasi:http/service"),
];

impl ComponentInfo {
    /// Whether `wasm` is a component's binary (by its header), not a core module's.
    ///
    /// ```
    /// use wasiport::ComponentInfo;
    /// assert!(ComponentInfo::is_component(&wat::parse_str("(component)")?));
    /// assert!(!ComponentInfo::is_component(&wat::parse_str("(module)")?));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_component(wasm: &[u8]) -> bool {
        wasmparser::Parser::is_component(wasm)
    }

    /// A component's top-level import and export names.
    pub fn new(
        imports: impl IntoIterator<Item = String>,
        exports: impl IntoIterator<Item = String>,
    ) -> Self {
        ComponentInfo {
            imports: imports
                .into_iter()
                .map(|n| InterfaceName::parse(&n))
                .collect(),
            exports: exports
                .into_iter()
                .map(|n| InterfaceName::parse(&n))
                .collect(),
        }
    }

    /// Every top-level import, in order.
    pub fn imports(&self) -> &[InterfaceName] {
        &self.imports
    }

    /// Every top-level export, in order.
    pub fn exports(&self) -> &[InterfaceName] {
        &self.exports
    }

    /// The newest WASI line among its `wasi:` imports and exports (a component that names none
    /// targets no WASI).
    pub fn wasi_version(&self) -> Option<WasiVersion> {
        self.imports
            .iter()
            .chain(&self.exports)
            .filter_map(InterfaceName::wasi_version)
            .max()
    }

    /// The world it targets, with the version of the interface that says so, e.g.
    /// `wasi:cli/command@0.2.6` for a component that exports `wasi:cli/run@0.2.6`; `None` for a
    /// component that exports none of those worlds' entry points.
    pub fn world(&self) -> Option<String> {
        self.exports.iter().find_map(|e| {
            let package = e.package()?;
            let (_, _, world) = WORLDS
                .iter()
                .find(|(p, i, _)| *p == package && *i == e.interface())?;
            Some(match e.version() {
                Some(v) => format!("{world}@{v}"),
                None => world.to_string(),
            })
        })
    }

    /// Whether it is a command: it exports `wasi:cli/run`.
    pub fn is_command(&self) -> bool {
        self.exports
            .iter()
            .any(|e| e.package() == Some("wasi:cli") && e.interface() == "run")
    }

    /// Whether it is a `wasi:http` handler, which a server calls for each request: it exports
    /// `wasi:http/incoming-handler` (WASI 0.2's `wasi:http/proxy`) or `wasi:http/handler`
    /// (WASI 0.3's `wasi:http/service`).
    ///
    /// ```
    /// use wasiport::ModuleInfo;
    /// let wasm = wat::parse_str(r#"(component
    ///     (instance $h)
    ///     (export "wasi:http/incoming-handler@0.2.6" (instance $h)))"#)?;
    /// let info = ModuleInfo::parse(&wasm)?;
    /// let component = info.component().expect("a component");
    /// assert!(component.is_http_handler());
    /// assert!(!component.is_command());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_http_handler(&self) -> bool {
        self.exports.iter().any(|e| {
            e.package() == Some("wasi:http")
                && matches!(e.interface(), "incoming-handler" | "handler")
        })
    }

    /// What a backend must declare to run it: [`Capability::Components`], the WASI line's, and
    /// [`Capability::WasiSockets`] or [`Capability::WasiHttp`] when it imports or exports
    /// those packages.
    pub fn needs(&self) -> Vec<Capability> {
        let mut needs = vec![Capability::Components];
        needs.extend(self.wasi_version().map(WasiVersion::capability));
        let uses = |package: &str| {
            self.imports
                .iter()
                .chain(&self.exports)
                .any(|n| n.package() == Some(package))
        };
        if uses("wasi:sockets") {
            needs.push(Capability::WasiSockets);
        }
        if uses("wasi:http") {
            needs.push(Capability::WasiHttp);
        }
        needs
    }
}
