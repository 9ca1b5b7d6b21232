//! One headless Chromium per host process, started on first use and again after it dies, with a
//! pool of pages that each run one guest at a time.
//!
//! The pages load `http://wasiport.invalid/runner.html`; no such request leaves the browser:
//! each page intercepts its own requests (the DevTools `Fetch` domain) and the host answers them
//! from the crate's scripts and the installed WASI shim.

use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::cdp::{CdpError, Connection, Pending};

/// The origin the pages are served from; `.invalid` never resolves.
pub(crate) const ORIGIN: &str = "http://wasiport.invalid/";
/// How long starting the browser or a page may take.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Idle pages kept for the next runs.
const MAX_IDLE_PAGES: usize = 4;

/// The files a page loads, by path under [`ORIGIN`].
pub(crate) struct Site {
    files: Vec<(String, &'static str, Vec<u8>)>,
}

impl Site {
    /// The runner's own files, every script of the shim's `dist` directory under `shim/`, and,
    /// for components, preview2-shim's browser build and its instantiation module under `p2/`
    /// (from the package directory `p2_shim`).
    pub(crate) fn new(shim_dist: &Path, p2_shim: Option<&Path>) -> std::io::Result<Site> {
        let mut files = vec![
            (
                "runner.html".to_string(),
                "text/html",
                include_bytes!("../js/runner.html").to_vec(),
            ),
            (
                "runner.mjs".to_string(),
                "text/javascript",
                include_bytes!("../js/runner.mjs").to_vec(),
            ),
            (
                "guest.mjs".to_string(),
                "text/javascript",
                wasiport_v8::GUEST_JS.as_bytes().to_vec(),
            ),
        ];
        let mut scripts = |dir: &Path, under: &str| -> std::io::Result<()> {
            for entry in std::fs::read_dir(dir)? {
                let path = entry?.path();
                if path.extension().is_some_and(|e| e == "js") {
                    if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                        let body = std::fs::read(&path)?;
                        files.push((format!("{under}/{name}"), "text/javascript", body));
                    }
                }
            }
            Ok(())
        };
        scripts(shim_dist, "shim")?;
        if let Some(p2) = p2_shim {
            scripts(&p2.join("dist/browser"), "p2/browser")?;
            scripts(&p2.join("dist/common"), "p2/common")?;
            for (name, body) in [
                ("component.mjs", include_str!("../js/component.mjs")),
                ("command.mjs", wasiport_v8::COMMAND_JS),
            ] {
                files.push((
                    name.to_string(),
                    "text/javascript",
                    body.as_bytes().to_vec(),
                ));
            }
        }
        Ok(Site { files })
    }

    fn serve(&self, connection: &Connection, event: &Value) {
        let params = &event["params"];
        let session = event.get("sessionId").and_then(Value::as_str);
        let Some(request) = params.get("requestId").and_then(Value::as_str) else {
            return;
        };
        let url = params["request"]["url"].as_str().unwrap_or_default();
        let path = url.strip_prefix(ORIGIN).unwrap_or_default();
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let reply = match self.files.iter().find(|(p, _, _)| p == path) {
            Some((_, mime, body)) => json!({
                "requestId": request,
                "responseCode": 200,
                "responseHeaders": [{"name": "Content-Type", "value": mime}],
                "body": BASE64.encode(body),
            }),
            None => json!({
                "requestId": request,
                "responseCode": 404,
                "responseHeaders": [{"name": "Content-Type", "value": "text/plain"}],
                "body": BASE64.encode(format!("{path}: not a file of the runner")),
            }),
        };
        connection.notify(session, "Fetch.fulfillRequest", reply);
    }
}

/// Why the browser or a page could not be had or used.
#[derive(Debug)]
pub(crate) struct Failure(pub String);

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<CdpError> for Failure {
    fn from(e: CdpError) -> Self {
        Failure(e.to_string())
    }
}

/// A page of the runner, attached over its own session.
pub(crate) struct Page {
    pub(crate) session: String,
    target: String,
}

/// One browser process.
pub(crate) struct Browser {
    pub(crate) connection: Arc<Connection>,
    child: Mutex<Child>,
    idle: Mutex<Vec<Page>>,
    /// The profile directory, which also holds the browser's log.
    profile: tempfile::TempDir,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A pipe whose ends are closed on exec (the child gets its own copies as fds 3 and 4).
fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded, so both are open descriptors that nothing else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

impl Browser {
    /// Starts `program` headless with its DevTools pipe.
    pub(crate) fn start(program: &Path, site: Arc<Site>) -> Result<Browser, Failure> {
        let failed = |what: &str, e: std::io::Error| Failure(format!("{what}: {e}"));
        let profile = tempfile::Builder::new()
            .prefix("wasiport-chromium-")
            .tempdir()
            .map_err(|e| failed("cannot make a profile directory", e))?;
        let log = File::create(profile.path().join("browser.log"))
            .map_err(|e| failed("cannot make the browser's log", e))?;
        let (browser_reads, host_writes) = pipe().map_err(|e| failed("pipe", e))?;
        let (host_reads, browser_writes) = pipe().map_err(|e| failed("pipe", e))?;
        let (r, w) = (browser_reads.as_raw_fd(), browser_writes.as_raw_fd());
        let mut command = Command::new(program);
        command
            .args(crate::HEADLESS_FLAGS)
            .arg("--remote-debugging-pipe")
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        // SAFETY: between fork and exec only async-signal-safe calls (fcntl, dup2) run. Each end
        // is first copied above fd 10, so that putting one at 3 cannot close the other.
        unsafe {
            command.pre_exec(move || {
                let r = libc::fcntl(r, libc::F_DUPFD, 10);
                let w = libc::fcntl(w, libc::F_DUPFD, 10);
                if r < 0 || w < 0 || libc::dup2(r, 3) < 0 || libc::dup2(w, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command
            .spawn()
            .map_err(|e| failed(&format!("cannot start {}", program.display()), e))?;
        drop((browser_reads, browser_writes));
        let connection = Connection::start(
            File::from(host_reads),
            File::from(host_writes),
            move |connection, event| {
                if event["method"] == "Fetch.requestPaused" {
                    site.serve(connection, event);
                }
            },
        )
        .map_err(|e| failed("cannot start a thread", e))?;
        let browser = Browser {
            connection,
            child: Mutex::new(child),
            idle: Mutex::new(Vec::new()),
            profile,
        };
        // The browser is ready when it answers.
        browser
            .connection
            .call(None, "Browser.getVersion", json!({}), Some(START_TIMEOUT))
            .map_err(|e| browser.failure(e))?;
        Ok(browser)
    }

    /// `e`, with the end of the browser's log when the browser is gone.
    pub(crate) fn failure(&self, e: impl std::fmt::Display) -> Failure {
        let log =
            std::fs::read_to_string(self.profile.path().join("browser.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(3).collect();
        if self.connection.alive() || tail.is_empty() {
            return Failure(e.to_string());
        }
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        Failure(format!(
            "{e}; the browser's last words: {}",
            tail.join(" | ")
        ))
    }

    pub(crate) fn alive(&self) -> bool {
        self.connection.alive()
    }

    /// An idle page, or a new one once it has loaded the runner.
    pub(crate) fn page(&self) -> Result<Page, Failure> {
        if let Some(page) = lock(&self.idle).pop() {
            return Ok(page);
        }
        let c = &self.connection;
        let wait = Some(START_TIMEOUT);
        let target = c.call(
            None,
            "Target.createTarget",
            json!({"url": "about:blank"}),
            wait,
        )?;
        let target = target["targetId"].as_str().unwrap_or_default().to_string();
        let attached = c.call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target, "flatten": true}),
            wait,
        )?;
        let page = Page {
            session: attached["sessionId"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            target,
        };
        let session = Some(page.session.as_str());
        c.call(
            session,
            "Fetch.enable",
            json!({"patterns": [{"urlPattern": format!("{ORIGIN}*")}]}),
            wait,
        )?;
        let navigated = c.call(
            session,
            "Page.navigate",
            json!({"url": format!("{ORIGIN}runner.html")}),
            wait,
        )?;
        if let Some(error) = navigated.get("errorText").and_then(Value::as_str) {
            return Err(Failure(format!("the runner page did not load: {error}")));
        }
        // The module script runs after the navigation commits: wait for what it defines.
        let ready = "new Promise((ok, fail) => { const t0 = Date.now(); const f = () => \
                     globalThis.wasiport ? ok(true) : Date.now() - t0 > 20000 ? \
                     fail(new Error('the runner script did not load')) : setTimeout(f, 2); f(); })";
        let mut last = None;
        for _ in 0..50 {
            match self.evaluate(&page, ready, true, wait) {
                Ok(_) => return Ok(page),
                // The first evaluation may land in the context the navigation replaces.
                Err(e) => last = Some(e),
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.close(page);
        Err(Failure(format!(
            "the runner page did not start: {}",
            last.map(|e| e.to_string()).unwrap_or_default()
        )))
    }

    /// Puts `page` back for the next run.
    pub(crate) fn give_back(&self, page: Page) {
        let mut idle = lock(&self.idle);
        if idle.len() < MAX_IDLE_PAGES {
            idle.push(page);
        } else {
            drop(idle);
            self.close(page);
        }
    }

    /// Closes `page`.
    pub(crate) fn close(&self, page: Page) {
        self.connection
            .notify(None, "Target.closeTarget", json!({"targetId": page.target}));
    }

    /// `expression` evaluated in `page`, its value returned by value.
    pub(crate) fn evaluate(
        &self,
        page: &Page,
        expression: &str,
        await_promise: bool,
        wait: Option<Duration>,
    ) -> Result<Value, Evaluated> {
        let pending = self
            .connection
            .send(
                Some(&page.session),
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true, "awaitPromise": await_promise}),
            )
            .map_err(Evaluated::Cdp)?;
        evaluated(pending.wait(wait))
    }

    /// Starts evaluating `expression` (not a promise) in `page`; read it with [`evaluated`].
    pub(crate) fn send_evaluate(
        &self,
        page: &Page,
        expression: &str,
    ) -> Result<Pending<'_>, CdpError> {
        self.connection.send(
            Some(&page.session),
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        )
    }

    /// Evaluates `expression` in `page` without waiting for it.
    pub(crate) fn tell(&self, page: &Page, expression: &str) {
        self.connection.notify(
            Some(&page.session),
            "Runtime.evaluate",
            json!({"expression": expression}),
        );
    }

    /// Stops the JavaScript (and so the guest) running in `page`.
    pub(crate) fn interrupt(&self, page: &Page) {
        self.connection
            .notify(Some(&page.session), "Runtime.terminateExecution", json!({}));
    }

    /// Calls `f` with each idle page.
    pub(crate) fn each_idle_page(&self, mut f: impl FnMut(&Page)) {
        for page in lock(&self.idle).iter() {
            f(page);
        }
    }

    pub(crate) fn kill(&self) {
        let _ = lock(&self.child).kill();
    }
}

/// Why an evaluation gave no value.
#[derive(Debug)]
pub(crate) enum Evaluated {
    /// The expression threw: its description (`CompileError: ...`).
    Threw(String),
    /// The protocol failed.
    Cdp(CdpError),
}

impl std::fmt::Display for Evaluated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Evaluated::Threw(description) => f.write_str(description),
            Evaluated::Cdp(e) => e.fmt(f),
        }
    }
}

/// The value of a `Runtime.evaluate` reply.
pub(crate) fn evaluated(reply: Result<Value, CdpError>) -> Result<Value, Evaluated> {
    let reply = reply.map_err(Evaluated::Cdp)?;
    if let Some(details) = reply.get("exceptionDetails") {
        let description = details["exception"]["description"]
            .as_str()
            .or_else(|| details["text"].as_str())
            .unwrap_or("an exception")
            .to_string();
        return Err(Evaluated::Threw(description));
    }
    Ok(reply["result"]["value"].clone())
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.connection.notify(None, "Browser.close", json!({}));
        let mut child = lock(&self.child);
        for _ in 0..200 {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// The browser of this host process for one program: started again when it died.
pub(crate) struct Browsers {
    program: PathBuf,
    site: Arc<Site>,
    current: Mutex<Option<Arc<Browser>>>,
}

impl Browsers {
    pub(crate) fn new(program: PathBuf, site: Site) -> Browsers {
        Browsers {
            program,
            site: Arc::new(site),
            current: Mutex::new(None),
        }
    }

    /// The live browser, started now if there is none.
    pub(crate) fn browser(&self) -> Result<Arc<Browser>, Failure> {
        let mut current = lock(&self.current);
        if let Some(browser) = current.as_ref().filter(|b| b.alive()) {
            return Ok(browser.clone());
        }
        *current = None;
        let browser = Arc::new(Browser::start(&self.program, self.site.clone())?);
        *current = Some(browser.clone());
        Ok(browser)
    }

    /// The live browser, if there is one.
    pub(crate) fn existing(&self) -> Option<Arc<Browser>> {
        lock(&self.current).as_ref().filter(|b| b.alive()).cloned()
    }

    /// Kills `browser`: the next run starts another.
    pub(crate) fn kill(&self, browser: &Arc<Browser>) {
        let mut current = lock(&self.current);
        if current.as_ref().is_some_and(|b| Arc::ptr_eq(b, browser)) {
            *current = None;
        }
        browser.kill();
    }
}
