//! docs/performance.md from criterion's results: one table per benchmark group (ratios and
//! absolute times) and an SVG chart beside each, generated, never drawn by hand.
//!
//! Criterion writes `<dir>/<group>/<function>/<value>/new/{benchmark,estimates}.json`; a group's
//! function ids are its columns (`native`, `portable`; `raw`, `wasiport`) and its values its
//! rows (one per backend).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use plotters::prelude::*;
use serde::{Deserialize, Serialize};

/// One benchmark's result: where it belongs and its mean time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// The criterion group, e.g. `portable_wasi`.
    pub group: String,
    /// The function id: a column, e.g. `native`.
    pub function: String,
    /// The parameter: a row, e.g. `wasmtime`.
    pub row: String,
    /// The mean time of one iteration, in nanoseconds.
    pub mean_ns: f64,
    /// The 95% confidence interval of the mean, in nanoseconds.
    pub interval_ns: (f64, f64),
}

#[derive(Deserialize)]
struct BenchmarkJson {
    group_id: String,
    function_id: Option<String>,
    value_str: Option<String>,
}

#[derive(Deserialize)]
struct Estimate {
    point_estimate: f64,
    confidence_interval: Interval,
}

#[derive(Deserialize)]
struct Interval {
    lower_bound: f64,
    upper_bound: f64,
}

#[derive(Deserialize)]
struct EstimatesJson {
    mean: Estimate,
}

/// Why the results could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PerfError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A chart could not be drawn.
    #[error("the chart of {group}: {message}")]
    Chart {
        /// The benchmark group.
        group: String,
        /// The chart library's message.
        message: String,
    },
    /// A file is not criterion's.
    #[error("{path}: not criterion's output: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, PerfError> {
    let text = std::fs::read_to_string(path).map_err(|source| PerfError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| PerfError::Format {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// The rows of a file the bench writes beside criterion's results (`name` in
/// `criterion_dir`), none if it did not write one.
fn read_side_file<T: serde::de::DeserializeOwned>(
    criterion_dir: &Path,
    name: &str,
) -> Result<Vec<T>, PerfError> {
    let path = criterion_dir.join(name);
    if !path.is_file() {
        return Ok(Vec::new());
    }
    read_json(&path)
}

/// Every result under criterion's output directory (`target/criterion`), sorted.
pub fn read_criterion(dir: &Path) -> Result<Vec<Measurement>, PerfError> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|source| PerfError::Io {
            path: d.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n == "new") {
                    if path.join("benchmark.json").is_file() {
                        found.push(path);
                    }
                } else if path.file_name().is_none_or(|n| n != "report") {
                    stack.push(path);
                }
            }
        }
    }
    let mut measurements = Vec::new();
    for new in found {
        let bench: BenchmarkJson = read_json(&new.join("benchmark.json"))?;
        let estimates: EstimatesJson = read_json(&new.join("estimates.json"))?;
        measurements.push(Measurement {
            group: bench.group_id,
            function: bench.function_id.unwrap_or_default(),
            row: bench.value_str.unwrap_or_default(),
            mean_ns: estimates.mean.point_estimate,
            interval_ns: (
                estimates.mean.confidence_interval.lower_bound,
                estimates.mean.confidence_interval.upper_bound,
            ),
        });
    }
    measurements
        .sort_by(|a, b| (&a.group, &a.row, &a.function).cmp(&(&b.group, &b.row, &b.function)));
    Ok(measurements)
}

/// A time in the unit that suits it.
///
/// ```
/// use wasiport_conformance::perf::human_time;
/// assert_eq!(human_time(42_500.0), "42.5 µs");
/// assert_eq!(human_time(3.2e9), "3.20 s");
/// ```
pub fn human_time(ns: f64) -> String {
    match ns {
        ns if ns >= 1e9 => format!("{:.2} s", ns / 1e9),
        ns if ns >= 1e6 => format!("{:.2} ms", ns / 1e6),
        ns if ns >= 1e3 => format!("{:.1} µs", ns / 1e3),
        ns => format!("{ns:.0} ns"),
    }
}

/// One group as a table: rows (backends), columns (functions), the mean of each cell.
#[derive(Debug, Clone)]
pub struct Table {
    /// The group.
    pub group: String,
    /// Column names, in order.
    pub columns: Vec<String>,
    /// Row name and a mean per column (`None` where nothing was measured).
    pub rows: Vec<(String, Vec<Option<f64>>)>,
}

impl Table {
    /// The groups of `measurements`, with the columns in `order` first (then the rest).
    pub fn group_all(measurements: &[Measurement], order: &[&str]) -> Vec<Table> {
        let mut groups: BTreeMap<&str, Vec<&Measurement>> = BTreeMap::new();
        for m in measurements {
            groups.entry(&m.group).or_default().push(m);
        }
        groups
            .into_iter()
            .map(|(group, ms)| {
                let mut columns: Vec<String> = Vec::new();
                for name in order {
                    if ms.iter().any(|m| m.function == *name) {
                        columns.push(name.to_string());
                    }
                }
                for m in &ms {
                    if !columns.contains(&m.function) {
                        columns.push(m.function.clone());
                    }
                }
                let mut rows: Vec<(String, Vec<Option<f64>>)> = Vec::new();
                for m in &ms {
                    let col = columns.iter().position(|c| *c == m.function).unwrap_or(0);
                    match rows.iter_mut().find(|(r, _)| *r == m.row) {
                        Some((_, cells)) => cells[col] = Some(m.mean_ns),
                        None => {
                            let mut cells = vec![None; columns.len()];
                            cells[col] = Some(m.mean_ns);
                            rows.push((m.row.clone(), cells));
                        }
                    }
                }
                Table {
                    group: group.to_string(),
                    columns,
                    rows,
                }
            })
            .collect()
    }

    /// The Markdown table: a column per function, and with two functions, the ratio of the
    /// second to the first.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let ratio = self.columns.len() == 2;
        out.push_str("| backend |");
        for c in &self.columns {
            let _ = write!(out, " {c} |");
        }
        if ratio {
            let _ = write!(out, " {} / {} |", self.columns[1], self.columns[0]);
        }
        out.push_str("\n| --- |");
        for _ in 0..self.columns.len() + usize::from(ratio) {
            out.push_str(" ---: |");
        }
        out.push('\n');
        for (row, cells) in &self.rows {
            let _ = write!(out, "| {row} |");
            for cell in cells {
                match cell {
                    Some(ns) => {
                        let _ = write!(out, " {} |", human_time(*ns));
                    }
                    None => out.push_str(" — |"),
                }
            }
            if ratio {
                match (cells[0], cells[1]) {
                    (Some(a), Some(b)) if a > 0.0 => {
                        let r = b / a;
                        let digits = if r < 0.1 { 3 } else { 2 };
                        let _ = write!(out, " **{r:.digits$}x** |");
                    }
                    _ => out.push_str(" — |"),
                }
            }
            out.push('\n');
        }
        out
    }

    /// A horizontal bar chart drawn with `plotters`: a bar per cell, grouped by row (the first
    /// row on top), lengths to scale, each labelled with its time, and a legend of the columns.
    pub fn svg(&self) -> Result<String, PerfError> {
        const COLORS: [RGBColor; 4] = [
            RGBColor(0x4e, 0x79, 0xa7),
            RGBColor(0xf2, 0x8e, 0x2b),
            RGBColor(0x59, 0xa1, 0x4f),
            RGBColor(0xe1, 0x57, 0x59),
        ];
        let chart_error = |e: &dyn std::fmt::Display| PerfError::Chart {
            group: self.group.clone(),
            message: e.to_string(),
        };
        let columns = self.columns.len().max(1);
        // One bar a slot; slot 0 is at the bottom, so the first row's bars count down from the
        // top.
        let slots = self.rows.len() * columns;
        let slot = |row: usize, column: usize| slots - 1 - (row * columns + column);
        let max = self
            .rows
            .iter()
            .flat_map(|(_, c)| c.iter().flatten())
            .fold(0.0f64, |a, b| a.max(*b))
            .max(1.0);
        let height = 90 + 18 * slots as u32 + 8 * self.rows.len() as u32;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (720, height)).into_drawing_area();
            root.fill(&WHITE).map_err(|e| chart_error(&e))?;
            let mut chart = ChartBuilder::on(&root)
                .caption(&self.group, ("sans-serif", 16))
                .margin(8)
                .margin_right(90)
                .x_label_area_size(36)
                .y_label_area_size(170)
                .build_cartesian_2d(0.0..max, (0..slots.max(1)).into_segmented())
                .map_err(|e| chart_error(&e))?;
            let row_label = |value: &SegmentValue<usize>| match value {
                // The label of a row sits by its first bar.
                SegmentValue::CenterOf(s) => match (slots - 1).checked_sub(*s) {
                    Some(n) if n % columns == 0 => self
                        .rows
                        .get(n / columns)
                        .map(|(row, _)| row.clone())
                        .unwrap_or_default(),
                    _ => String::new(),
                },
                _ => String::new(),
            };
            let time_label = |ns: &f64| human_time(*ns);
            chart
                .configure_mesh()
                .disable_y_mesh()
                .light_line_style(WHITE)
                .y_labels(slots.max(1))
                .y_label_formatter(&row_label)
                .x_labels(6)
                .x_label_formatter(&time_label)
                .x_desc("time of one iteration")
                .label_style(("sans-serif", 12))
                .draw()
                .map_err(|e| chart_error(&e))?;
            for (c, column) in self.columns.iter().enumerate() {
                let color = COLORS[c % COLORS.len()];
                let bars = self.rows.iter().enumerate().filter_map(|(r, (_, cells))| {
                    let ns = cells.get(c).copied().flatten()?;
                    let s = slot(r, c);
                    Some(Rectangle::new(
                        [
                            (0.0, SegmentValue::Exact(s)),
                            (ns, SegmentValue::Exact(s + 1)),
                        ],
                        color.filled(),
                    ))
                });
                chart
                    .draw_series(bars)
                    .map_err(|e| chart_error(&e))?
                    .label(column)
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 10, y + 5)], color.filled())
                    });
                let labels = self.rows.iter().enumerate().filter_map(|(r, (_, cells))| {
                    let ns = cells.get(c).copied().flatten()?;
                    Some(
                        EmptyElement::at((ns, SegmentValue::CenterOf(slot(r, c))))
                            + Text::new(human_time(ns), (4, -6), ("sans-serif", 11)),
                    )
                });
                chart.draw_series(labels).map_err(|e| chart_error(&e))?;
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.9))
                .border_style(BLACK)
                .label_font(("sans-serif", 12))
                .draw()
                .map_err(|e| chart_error(&e))?;
            root.present().map_err(|e| chart_error(&e))?;
        }
        Ok(svg)
    }
}

/// A goal a group's results are held to, checked when the report is written.
#[derive(Debug, Clone, Copy)]
pub enum Goal {
    /// The second column over the first at most this, on every row (or on the named one).
    RatioAtMost(f64, Option<&'static str>),
    /// The second column over the first at least this, on every row.
    RatioAtLeast(f64),
    /// The named column over the first at least this, on every row that has both.
    ColumnOverFirstAtLeast(&'static str, f64),
    /// The first column at most this many nanoseconds on the named row.
    TimeAtMost(f64, &'static str),
    /// The first column, on each named row, at least this many times faster than the same row
    /// of another group's column (`group/column`), measured in the same run.
    FasterThan {
        /// How many times faster.
        times: f64,
        /// The other group.
        group: &'static str,
        /// Its column.
        column: &'static str,
        /// The rows held to it.
        rows: &'static [&'static str],
    },
}

/// What each known group measures, for the report: its name, title, how to read it, and its
/// goal.
pub const GROUPS: &[(&str, &str, &str, &[Goal])] = &[
    (
        "overhead",
        "What wasiport adds to a runtime",
        "`benches/overhead.rs`: a precompiled WASI hello (`tests/guests/wat/hello.wat`) \
         instantiated and run, stdout captured, fuel on — `raw` with the runtime's own API \
         written in the bench (wasmtime: `InstancePre` + wasmtime-wasi; wasmer: wasmer-wasix with an \
         empty file system, as a sandboxing host needs; wasmi: wasmi_wasi; wasm3: its C API \
         with the hello's one import, `fd_write`, as a raw function capturing into memory — \
         wasm3's own WASI writes to the host's fds — and the same 8 MiB value stack; it makes \
         no WASI context, so its ratio counts wasiport's whole portable WASI against it), each \
         with argv and both output streams set as wasiport sets them, `wasiport` through \
         `Backend::run`. WasmEdge has no raw baseline: wasiport runs it in a worker process, \
         so it is not an embedded backend here.",
        &[Goal::RatioAtMost(1.05, None)],
    ),
    (
        "warm_start",
        "Warm start: a precompiled hello, instantiated and run",
        "The fastest path of each backend through wasiport: wasmtime with its pooling allocator \
         (`Wasmtime::pooling`) and `InstancePre`; the others as they are (WasmEdge includes its \
         worker process; node and chromium are their warm runners: a worker thread of one node \
         process, a page of one headless browser, each run with a fresh WASI and instance).",
        &[
            Goal::TimeAtMost(50_000.0, "wasmtime"),
            Goal::TimeAtMost(2_000_000.0, "node"),
            Goal::TimeAtMost(10_000_000.0, "chromium"),
            Goal::FasterThan {
                times: 20.0,
                group: "cold_start",
                column: "fresh_process",
                rows: &["node", "chromium"],
            },
        ],
    ),
    (
        "component_start",
        "Component start: a precompiled WASI 0.2 hello component, instantiated and run",
        "`tests/guests/wat/hello.wat` wrapped into a `wasi:cli/command` component by the preview-1 \
         adapter (`wasiport::rewrite::preview1_to_component`), compiled once, then run through \
         `Backend::run` on each backend that declares `components`: wasmtime with its pooling \
         allocator and a `CommandPre` (wasmtime-wasi's WASI 0.2).",
        &[Goal::TimeAtMost(20_000.0, "wasmtime")],
    ),
    (
        "component_vs_module",
        "The component model's cost: the same hello as a module and as a component",
        "The hello as a preview-1 module and wrapped as a WASI 0.2 component, side by side on \
         wasmtime (pooling allocator, `InstancePre` / `CommandPre`): the component pays for its \
         adapter's instance and state and for WASI 0.2's resources.",
        &[],
    ),
    (
        "cold_start",
        "Cold start: compile, instantiate and run from bytes",
        "The hello's bytes compiled and run through wasiport, no cache (node and chromium: \
         compiled in their warm runner). `fresh_process`: the same hello in a process of its own \
         per run, what the warm runners save — `node benches/fresh/node.mjs` (node:wasi), and \
         `chromium --headless --dump-dom` of `benches/fresh/chromium.html` (browser_wasi_shim).",
        &[],
    ),
    (
        "throughput",
        "Throughput: SHA-256 over 16 MiB",
        "The probe guest's `sha256 16` (the sha2 crate, built for wasm32-wasip1 with opt-level \
         s), precompiled, no limit set. Not criterion's: each backend's runs are interleaved with \
         its raw baseline's (raw, wasiport, wasiport, raw, ... after a warm-up pair, as many \
         pairs as fit in 30 s, 3 to 15), and the times are their medians, so that a slow minute \
         of this shared machine falls on both columns alike. `raw` with the runtime's own API \
         and neither fuel metering nor epoch checks: wasmtime, wasmer, wasmi: the `overhead` \
         group's baselines with the probe's arguments; wasm3: its C API, the WASI calls the \
         probe makes (its arguments, `fd_write`) raw functions; WasmEdge: its C API in this \
         process, the interpreter with its own WASI, as the worker runs a job. `wasiport` \
         through `Backend::run`: on wasmtime, wasmer and wasmi code compiled without fuel \
         metering or epoch checks, as no limit is set; WasmEdge in its worker process, counting no \
         cost, the module rewritten to count the depth of its recursive functions. node and \
         chromium have no raw baseline here: the engines' code side by side.",
        &[Goal::RatioAtMost(1.05, None)],
    ),
    (
        "throughput_fuel",
        "Throughput with fuel counted: what metering costs",
        "The same SHA-256 over 16 MiB, interleaved the same way, with fuel counted: `raw` with \
         the runtime's metering on (wasmtime: `consume_fuel` and epochs; wasmer: its metering \
         middleware, one point per operator; wasmi: `consume_fuel`; WasmEdge: its cost \
         measuring; wasm3, which has none: the module metered as wasiport meters it, \
         `wasiport::rewrite::meter`, its counter never running out), `wasiport` with a fuel \
         budget (on wasm3 handed to the guest a slice at a time by a host function). Against \
         the `throughput` group's `raw`, the cost of counting fuel.",
        &[Goal::RatioAtMost(1.05, None)],
    ),
    (
        "module_cache",
        "The module cache: compiling against loading from disk",
        "The probe guest (120 KB of Wasm): `compile` is `Backend::compile`; `disk_load` a new \
         `ModuleCache` over a directory that already holds it (key and checksum checked, the \
         runtime's deserializer run), on the backends that declare `serialized-modules`.",
        &[],
    ),
    (
        "suite",
        "The conformance suite: in process against a process per test",
        "20 WASI tests of the built-in suite, per test: `in_process` runs them with the \
         conformance runner in this process (each module compiled once, one job); \
         `subprocess` starts a fresh process per test that compiles its module and runs it, \
         as wasi-testsuite's runner starts a runtime's CLI per test.",
        &[Goal::RatioAtLeast(10.0)],
    ),
    (
        "suite_cold",
        "A suite's first run: large modules, no cache, against a process per test",
        "12 tests in wasi-testsuite's layout, each with a module of its own: the probe built \
         without optimization as wasi-testsuite builds its Rust tests (about 3 MB: 190 KB of \
         code, the rest debug information), made distinct by a custom section, run as `probe \
         exit 0`, so compiling is most of the work. \
         Per iteration the whole suite, in whole processes of the release build: \
         `conformance` is `wasiport conformance --no-cache --suite DIR --backend B` (its \
         worker, as many jobs as cores, a test's module compiled when a job takes it up, a 10 s \
         timeout per test); `subprocess` a process per test, one after another, as \
         wasi-testsuite's runner starts a runtime's CLI: `wasiport run --no-cache --timeout \
         10`; `runtime_cli` the same with the wasmtime CLI, its cache off (`wasmtime run -C \
         cache=n`), where one is installed.",
        &[
            Goal::RatioAtLeast(1.0),
            Goal::ColumnOverFirstAtLeast("runtime_cli", 1.0),
        ],
    ),
    (
        "suite_warm",
        "The same suite again, its modules in the cache",
        "The `suite_cold` command again over the module cache an earlier run filled \
         (`--cache-dir`: each module loaded from disk on the backends that declare \
         `serialized-modules`; wasmi and wasm3 compile lazily and keep nothing).",
        &[Goal::FasterThan {
            times: 10.0,
            group: "suite_cold",
            column: "subprocess",
            // Where the cache holds compiled code: wasmi and wasm3 have none to keep.
            rows: &["wasmtime", "wasmer"],
        }],
    ),
    (
        "call",
        "Calls of a live instance's export: a plugin's auth-token check",
        "`benches/overhead.rs`: the `token` guest (`tests/guests/src/token.rs`, a wasm32-wasip1 \
         cdylib) checks an HMAC-SHA256-signed token of 90 bytes in its memory; the host \
         instantiates it once, writes the token, then calls `check(ptr, len)` per iteration. \
         `raw`: the runtime's own typed function, its fuel set again before each call (what a \
         per-call budget needs); `wasiport`: `Instance::call_typed` (the signature checked, fuel \
         and deadline armed, the call's output collected); `fresh_instance`: a new wasiport \
         instance, the token written and checked, per request. wasm3's `raw` is its C API with \
         the guest's WASI imports as raw functions and no metering (wasm3 has none; wasiport's \
         wasm3 instances are always metered, by a rewrite of the module); WasmEdge's is its C \
         API's interpreter with its own WASI and cost measuring, the cost limit set again \
         before each call (wasiport's WasmEdge instance: the portable WASI, in process, the \
         module rewritten to count its call depth).",
        &[Goal::RatioAtMost(1.10, None)],
    ),
    (
        "portable_wasi",
        "Portable WASI against each runtime's own",
        "`benches/portable_wasi.rs`: the probe guest's `syscalls 100 /data` (100 rounds of \
         creating a file with 8 small writes, a stat of it and a listing of its directory: about \
         2,000 WASI calls), compiled once, each iteration one run (instantiate + `_start`) with \
         `WasiImpl::Native` and `WasiImpl::Portable` side by side in one bench run. The ratio is \
         portable / native: under 1 the portable layer is the faster. wasm3 has no native WASI, \
         WasmEdge's runs include its worker process.",
        &[Goal::RatioAtMost(1.3, Some("wasmtime"))],
    ),
];

impl Goal {
    /// Whether `table` meets the goal, in words (`all` holds the other groups of the run).
    ///
    /// ```
    /// use wasiport_conformance::perf::{Goal, Table};
    /// let table = Table {
    ///     group: "suite_cold".into(),
    ///     columns: vec!["in_process".into(), "subprocess".into(), "runtime_cli".into()],
    ///     rows: vec![
    ///         ("wasmtime".into(), vec![Some(8.0), Some(9.0), Some(7.0)]),
    ///         ("wasmi".into(), vec![Some(1.0), Some(2.0), None]),
    ///     ],
    /// };
    /// assert_eq!(
    ///     Goal::ColumnOverFirstAtLeast("runtime_cli", 1.0).verdict(&table, &[]),
    ///     "Goal: runtime_cli / in_process ≥ 1x — wasmtime 0.88x (missed)."
    /// );
    /// assert_eq!(
    ///     Goal::RatioAtLeast(1.0).verdict(&table, &[]),
    ///     "Goal: subprocess / in_process ≥ 1x — wasmtime 1.1x (met), wasmi 2.0x (met)."
    /// );
    /// ```
    pub fn verdict(self, table: &Table, all: &[Table]) -> String {
        let ratio = |cells: &[Option<f64>]| match cells {
            [Some(a), Some(b), ..] if *a > 0.0 => Some(b / a),
            _ => None,
        };
        let rows = |only: Option<&'static str>| {
            table
                .rows
                .iter()
                .filter(move |(r, _)| only.is_none_or(|o| o == r))
        };
        let (goal, checks): (String, Vec<(String, bool)>) = match self {
            Goal::RatioAtMost(max, only) => (
                format!("{} / {} ≤ {max}x", col(table, 1), col(table, 0)),
                rows(only)
                    .filter_map(|(r, c)| ratio(c).map(|x| (format!("{r} {x:.2}x"), x <= max)))
                    .collect(),
            ),
            Goal::RatioAtLeast(min) => (
                format!("{} / {} ≥ {min}x", col(table, 1), col(table, 0)),
                rows(None)
                    .filter_map(|(r, c)| ratio(c).map(|x| (format!("{r} {x:.1}x"), x >= min)))
                    .collect(),
            ),
            Goal::ColumnOverFirstAtLeast(column, min) => {
                let at = table.columns.iter().position(|c| c == column);
                (
                    format!("{column} / {} ≥ {min}x", col(table, 0)),
                    rows(None)
                        .filter_map(|(r, c)| {
                            let first = c.first().copied().flatten()?;
                            let other = c.get(at?).copied().flatten()?;
                            let x = other / first;
                            (first > 0.0).then(|| (format!("{r} {x:.2}x"), x >= min))
                        })
                        .collect(),
                )
            }
            Goal::FasterThan {
                times,
                group,
                column,
                rows: held,
            } => {
                let other = all.iter().find(|t| t.group == group);
                let other_cell = |row: &str| {
                    let t = other?;
                    let c = t.columns.iter().position(|c| c == column)?;
                    t.rows
                        .iter()
                        .find(|(r, _)| r == row)?
                        .1
                        .get(c)
                        .copied()
                        .flatten()
                };
                (
                    format!("{} ≥ {times}x faster than {group}/{column}", col(table, 0)),
                    rows(None)
                        .filter(|(r, _)| held.contains(&r.as_str()))
                        .filter_map(|(r, c)| {
                            let here = c.first().copied().flatten()?;
                            let x = other_cell(r)? / here;
                            Some((format!("{r} {x:.0}x"), x >= times))
                        })
                        .collect(),
                )
            }
            Goal::TimeAtMost(ns, row) => (
                format!("{row} ≤ {}", human_time(ns)),
                rows(Some(row))
                    .filter_map(|(r, c)| {
                        c.first()
                            .copied()
                            .flatten()
                            .map(|t| (format!("{r} {}", human_time(t)), t <= ns))
                    })
                    .collect(),
            ),
        };
        if checks.is_empty() {
            return format!("Goal: {goal} — not measured.");
        }
        let list: Vec<String> = checks
            .iter()
            .map(|(what, ok)| format!("{what} ({})", if *ok { "met" } else { "missed" }))
            .collect();
        format!("Goal: {goal} — {}.", list.join(", "))
    }
}

fn col(table: &Table, i: usize) -> &str {
    table.columns.get(i).map_or("?", String::as_str)
}

/// One row of `memory.json`, which the `overhead` bench writes beside criterion's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryRow {
    /// The backend.
    pub backend: String,
    /// Live instances.
    pub instances: u64,
    /// The resident memory they added.
    pub rss_bytes: u64,
}

/// One row of `process_memory.json`, which the `overhead` bench writes beside criterion's
/// results: the peak resident memory of a whole process running a guest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessMemoryRow {
    /// The guest and its arguments, e.g. `sieve 40`.
    pub guest: String,
    /// The command that ran it, e.g. `wasiport run --backend wasmtime`.
    pub program: String,
    /// The median over the runs of each run's peak resident memory.
    pub peak_rss_bytes: u64,
    /// How many runs.
    pub runs: u64,
}

/// The whole-process memory measurement, if the bench wrote one.
pub fn read_process_memory(criterion_dir: &Path) -> Result<Vec<ProcessMemoryRow>, PerfError> {
    read_side_file(criterion_dir, "process_memory.json")
}

/// The section on whole processes' peak memory: per guest, each program's.
fn process_memory_markdown(rows: &[ProcessMemoryRow]) -> String {
    let mut out = String::from("## Memory: a whole `wasiport run`, beside the runtime's CLI\n\n");
    if rows.is_empty() {
        out.push_str(
            "Not measured in this run (`cargo bench --bench overhead` writes it when \
             `target/release/wasiport` is built).\n\n",
        );
        return out;
    }
    out.push_str(
        "Peak resident memory (the kernel's `ru_maxrss`, through GNU time) of one whole \
         process, the median of the runs, the module cache warm: each program with no guest \
         (`--version`: the program itself), the hello (`tests/guests/wat/hello.wat`) and the \
         probe's `sieve 40`, which fills a 40 MB array. A run adds to the program the \
         runtime's engine, the module's compiled code and the guest's linear memory, which is \
         most of the sieve's figure on every program. wasiport's program links every backend \
         (wasmtime, wasmer, wasmi, wasm3, the JS engines' hosts): what of the difference to the \
         CLI is the program shows in the `--version` rows. The wasmtime CLI is measured only \
         where one is installed (`WASMTIME` or PATH).\n\n\
         | guest | program | runs | peak resident |\n| --- | --- | ---: | ---: |\n",
    );
    for row in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.1} MiB |",
            row.guest,
            row.program,
            row.runs,
            row.peak_rss_bytes as f64 / f64::from(1 << 20)
        );
    }
    out.push('\n');
    out
}

/// One row of `call_latency.json`, which the `overhead` bench's `call` group writes beside
/// criterion's results: calls of one column on one backend timed one by one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencyRow {
    /// The backend.
    pub backend: String,
    /// `raw` or `wasiport`.
    pub column: String,
    /// Calls timed.
    pub calls: u64,
    /// Their mean and percentiles.
    pub nanoseconds: Percentiles,
}

/// A distribution of call times, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// The mean.
    pub mean: u64,
    /// The median.
    pub p50: u64,
    /// The 99th percentile.
    pub p99: u64,
}

/// The per-call latencies, if the bench wrote them.
pub fn read_latency(criterion_dir: &Path) -> Result<Vec<LatencyRow>, PerfError> {
    read_side_file(criterion_dir, "call_latency.json")
}

/// The latency section of the report: per backend, the mean and p99 of raw and wasiport calls.
fn latency_markdown(rows: &[LatencyRow]) -> String {
    let mut out = String::from("## Per-call latency: mean and 99th percentile (`call`)\n\n");
    if rows.is_empty() {
        out.push_str("Not measured in this run (`cargo bench --bench overhead` writes it).\n\n");
        return out;
    }
    out.push_str(
        "The `call` group's `check` on a live instance, each call timed on its own \
         (`Instant` around it, after as many calls to warm up): criterion's means are of batches, \
         and say nothing of the slow tail.\n\n\
         | backend | calls | raw mean | raw p99 | wasiport mean | wasiport p99 | wasiport / raw (mean) |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    let mut backends: Vec<&str> = rows.iter().map(|r| r.backend.as_str()).collect();
    backends.dedup();
    for backend in backends {
        let find = |column: &str| {
            rows.iter()
                .find(|r| r.backend == backend && r.column == column)
        };
        let Some(ours) = find("wasiport") else {
            continue;
        };
        let time = |ns: u64| human_time(ns as f64);
        // A backend without a raw baseline in the bench shows wasiport's figures alone.
        let (raw_mean, raw_p99, ratio) = match find("raw") {
            Some(raw) => (
                time(raw.nanoseconds.mean),
                time(raw.nanoseconds.p99),
                format!(
                    "{:.2}x",
                    ours.nanoseconds.mean as f64 / raw.nanoseconds.mean.max(1) as f64
                ),
            ),
            None => ("—".into(), "—".into(), "—".into()),
        };
        let _ = writeln!(
            out,
            "| {backend} | {} | {raw_mean} | {raw_p99} | {} | {} | {ratio} |",
            ours.calls,
            time(ours.nanoseconds.mean),
            time(ours.nanoseconds.p99),
        );
    }
    out.push('\n');
    out
}

/// One row of `throughput.json`, which the `overhead` bench writes beside criterion's results:
/// one column of a throughput group on one backend, its runs interleaved with the other
/// column's (raw, wasiport, wasiport, raw, ...), so that both see the same machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterleavedRow {
    /// The group, e.g. `throughput`.
    pub group: String,
    /// `raw` or `wasiport`.
    pub column: String,
    /// The backend.
    pub backend: String,
    /// Runs timed.
    pub runs: u64,
    /// The median run, in nanoseconds.
    pub median_ns: u64,
    /// The fastest run.
    pub min_ns: u64,
    /// The slowest run.
    pub max_ns: u64,
}

impl InterleavedRow {
    /// The row as a measurement of its group's table: its median as the cell's time, its
    /// fastest and slowest runs as the interval.
    pub fn measurement(&self) -> Measurement {
        Measurement {
            group: self.group.clone(),
            function: self.column.clone(),
            row: self.backend.clone(),
            mean_ns: self.median_ns as f64,
            interval_ns: (self.min_ns as f64, self.max_ns as f64),
        }
    }
}

/// The interleaved measurements, if the bench wrote them.
pub fn read_interleaved(criterion_dir: &Path) -> Result<Vec<InterleavedRow>, PerfError> {
    read_side_file(criterion_dir, "throughput.json")
}

/// The memory measurement, if the bench wrote one.
pub fn read_memory(criterion_dir: &Path) -> Result<Vec<MemoryRow>, PerfError> {
    read_side_file(criterion_dir, "memory.json")
}

/// The report: a heading, the machine, then per group its description, table and chart
/// (`charts` is the chart directory as the Markdown links it, e.g. `perf`).
pub fn markdown(
    tables: &[Table],
    memory: &[MemoryRow],
    process_memory: &[ProcessMemoryRow],
    latency: &[LatencyRow],
    machine: &str,
    charts: &str,
) -> String {
    let mut out = String::from(
        "# Performance\n\nGenerated by `wasiport report performance` from criterion's results \
         (`cargo bench`); do not edit by hand. Times are criterion's mean per iteration unless a \
         section says otherwise; ratios are of two benchmarks measured side by side in the same \
         run.\n\n",
    );
    let _ = writeln!(out, "Measured on: {machine}\n");
    // Known groups in their order, then any other.
    let known = |t: &Table| GROUPS.iter().position(|(g, ..)| *g == t.group);
    let mut ordered: Vec<&Table> = tables.iter().collect();
    ordered.sort_by_key(|t| known(t).unwrap_or(usize::MAX));
    for table in ordered {
        let (title, about, goals) = GROUPS
            .iter()
            .find(|(g, ..)| *g == table.group)
            .map_or((table.group.as_str(), "", &[][..]), |(_, t, a, g)| {
                (*t, *a, *g)
            });
        let _ = writeln!(out, "## {title} (`{}`)\n", table.group);
        if !about.is_empty() {
            let _ = writeln!(out, "{about}\n");
        }
        out.push_str(&table.markdown());
        for goal in goals {
            let _ = writeln!(out, "\n{}", goal.verdict(table, tables));
        }
        let _ = writeln!(out, "\n![{}]({charts}/{}.svg)\n", table.group, table.group);
    }
    out.push_str(&latency_markdown(latency));
    out.push_str(&process_memory_markdown(process_memory));
    out.push_str("## Memory: 1,000 live instances of the hello\n\n");
    if memory.is_empty() {
        out.push_str("Not measured in this run (`cargo bench --bench overhead` writes it).\n");
    } else {
        out.push_str(
            "Resident memory added by 1,000 instances kept alive at once (`/proc/self/status` \
             VmRSS before and after), each instantiated with the runtime's own API as in \
             `overhead/raw`: a run through wasiport ends its instance, so wasiport itself keeps \
             none alive. Not measured: WasmEdge (a worker process per run; its C API is not \
             used in process here).\n\n\
             | backend | instances | resident | per instance |\n| --- | ---: | ---: | ---: |\n",
        );
        for row in memory {
            let _ = writeln!(
                out,
                "| {} | {} | {:.1} MiB | {} KiB |",
                row.backend,
                row.instances,
                row.rss_bytes as f64 / f64::from(1 << 20),
                row.rss_bytes / row.instances.max(1) / 1024
            );
        }
    }
    out.push_str(
        "\n## What is not measured\n\n\
         - Timings from another machine, or from different runs side by side: every ratio here \
           is of two benchmarks of the same run.\n\
         - WasmEdge's hello against a raw baseline (`overhead`), and the memory of its live \
           instances: its runs happen in a worker process.\n\
         - wasiport's own memory in live instances: its runs end their instances, so there is \
           nothing of its own to hold 1,000 of (its whole process is measured above).\n",
    );
    out
}

/// A line naming this machine: its CPU, cores and OS (what `/proc/cpuinfo` and `uname` say).
pub fn this_machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores, {}", std::env::consts::OS)
}

/// Everything the report is made from: kept beside it (`docs/perf/results.json`), so that the
/// report can be checked against its data and regenerated without running the benches again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// The machine the benches ran on.
    pub machine: String,
    /// criterion's results.
    pub measurements: Vec<Measurement>,
    /// The memory measurement.
    pub memory: Vec<MemoryRow>,
    /// The per-call latencies (none in results saved before the `call` group existed).
    #[serde(default)]
    pub latency: Vec<LatencyRow>,
    /// Whole processes' peak memory (none in results saved before it was measured).
    #[serde(default)]
    pub process_memory: Vec<ProcessMemoryRow>,
}

/// The column order of the known groups (baseline first).
const COLUMN_ORDER: &[&str] = &[
    "native",
    "portable",
    "raw",
    "wasiport",
    "fresh_instance",
    "module",
    "component",
    "in_process",
    "conformance",
    "subprocess",
    "runtime_cli",
    "compile",
    "disk_load",
];

impl Results {
    /// The results under criterion's output directory, measured on this machine. A group the
    /// bench measured interleaved (`throughput.json`) is taken from there, not from what
    /// criterion kept of it from older runs.
    pub fn from_criterion(dir: &Path) -> Result<Self, PerfError> {
        let interleaved = read_interleaved(dir)?;
        let mut measurements = read_criterion(dir)?;
        measurements.retain(|m| !interleaved.iter().any(|r| r.group == m.group));
        measurements.extend(interleaved.iter().map(InterleavedRow::measurement));
        measurements
            .sort_by(|a, b| (&a.group, &a.row, &a.function).cmp(&(&b.group, &b.row, &b.function)));
        Ok(Results {
            machine: this_machine(),
            measurements,
            memory: read_memory(dir)?,
            latency: read_latency(dir)?,
            process_memory: read_process_memory(dir)?,
        })
    }

    /// Results saved by [`Results::to_json`].
    pub fn from_json(path: &Path) -> Result<Self, PerfError> {
        read_json(path)
    }

    /// The results as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// The report (linking its charts in `charts`) and each chart as `(file name, SVG)`.
    pub fn render(&self, charts: &str) -> Result<(String, Vec<(String, String)>), PerfError> {
        let tables = Table::group_all(&self.measurements, COLUMN_ORDER);
        let svgs = tables
            .iter()
            .map(|t| Ok((format!("{}.svg", t.group), t.svg()?)))
            .collect::<Result<_, PerfError>>()?;
        Ok((
            markdown(
                &tables,
                &self.memory,
                &self.process_memory,
                &self.latency,
                &self.machine,
                charts,
            ),
            svgs,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes one benchmark as criterion lays it out.
    fn criterion_result(dir: &Path, group: &str, function: &str, row: &str, mean_ns: f64) {
        let new = dir.join(group).join(function).join(row).join("new");
        std::fs::create_dir_all(&new).unwrap();
        let bench = serde_json::json!({
            "group_id": group, "function_id": function, "value_str": row,
        });
        let estimate = serde_json::json!({"mean": {
            "point_estimate": mean_ns,
            "confidence_interval": {"lower_bound": mean_ns, "upper_bound": mean_ns},
        }});
        std::fs::write(new.join("benchmark.json"), bench.to_string()).unwrap();
        std::fs::write(new.join("estimates.json"), estimate.to_string()).unwrap();
    }

    fn row(column: &str, median_ns: u64) -> InterleavedRow {
        InterleavedRow {
            group: "throughput".into(),
            column: column.into(),
            backend: "wasmtime".into(),
            runs: 5,
            median_ns,
            min_ns: median_ns - 10,
            max_ns: median_ns + 10,
        }
    }

    #[test]
    fn interleaved_groups_replace_what_criterion_kept_of_them() {
        let dir = tempfile::tempdir().unwrap();
        // An older run's criterion results of the same group, and another group's.
        criterion_result(dir.path(), "throughput", "raw", "wasmtime", 100.0);
        criterion_result(dir.path(), "throughput", "wasiport", "wasmtime", 150.0);
        criterion_result(dir.path(), "overhead", "raw", "wasmtime", 7.0);
        let rows = vec![row("raw", 1000), row("wasiport", 1020)];
        std::fs::write(
            dir.path().join("throughput.json"),
            serde_json::to_string(&rows).unwrap(),
        )
        .unwrap();

        let results = Results::from_criterion(dir.path()).unwrap();
        let throughput: Vec<&Measurement> = results
            .measurements
            .iter()
            .filter(|m| m.group == "throughput")
            .collect();
        assert_eq!(throughput.len(), 2, "{throughput:?}");
        assert_eq!(throughput[0].function, "raw");
        assert_eq!(throughput[0].mean_ns, 1000.0);
        assert_eq!(throughput[0].interval_ns, (990.0, 1010.0));
        assert!(results.measurements.iter().any(|m| m.group == "overhead"));
        // The report's ratio is of the medians, and the goal is held to it.
        let (report, _) = results.render("perf").unwrap();
        assert!(
            report.contains("| wasmtime | 1.0 µs | 1.0 µs | **1.02x** |"),
            "{report}"
        );
        assert!(report.contains("wasmtime 1.02x (met)"), "{report}");
    }
}
