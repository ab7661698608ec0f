//! Wiring for the end-to-end test: the binaries under test, a display (our own Xvfb when
//! `DISPLAY` is unset), `tauri-driver` on a free port, and bounded polling. Every process we
//! start runs in its own process group and is terminated, group and all, when its guard drops.

use std::ffi::OsStr;
use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// The repository root (the `tests` package lives one level below it).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent directory")
        .to_path_buf()
}

/// The absolute path in environment variable `var`; panics with a hint when unset or missing.
pub fn required_file(var: &str) -> PathBuf {
    let value = std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| {
            panic!("{var} is not set: point it at the built binary (scripts/test.sh does this)")
        });
    let path = PathBuf::from(value);
    assert!(
        path.is_file(),
        "{var}={} does not exist: build it first (scripts/test.sh does this)",
        path.display()
    );
    path.canonicalize().expect("canonicalize an existing path")
}

/// Calls `probe` every 100 ms until it yields a value, fails, or `timeout` has passed.
pub fn poll<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Result<Option<T>>) -> Result<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe()? {
            return Ok(value);
        }
        if Instant::now() >= deadline {
            bail!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A free TCP port on the loopback interface (bound once, then released).
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("bind 127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// A child process in its own process group; dropping it terminates the whole group
/// (SIGTERM, then SIGKILL after 5 s), so grandchildren such as WebKitWebDriver and the app go too.
pub struct ChildGuard {
    name: String,
    child: Child,
}

impl ChildGuard {
    pub fn spawn(name: &str, command: &mut Command) -> Result<Self> {
        let child = command
            .process_group(0)
            .stdin(Stdio::null())
            .spawn()
            .with_context(|| format!("start {name} ({command:?})"))?;
        Ok(Self {
            name: name.to_owned(),
            child,
        })
    }

    /// `Err` when the process has already exited.
    pub fn check_running(&mut self) -> Result<()> {
        match self.child.try_wait()? {
            Some(status) => bail!("{} exited early: {status}", self.name),
            None => Ok(()),
        }
    }

    fn signal_group(&self, signal: libc::c_int) {
        let pgid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) with a negative pid signals the process group we created.
        unsafe {
            libc::kill(-pgid, signal);
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.signal_group(libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                // The leader is gone; make sure no stragglers of its group survive.
                self.signal_group(libc::SIGKILL);
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("{} ignored SIGTERM for 5 s; killing it", self.name);
        self.signal_group(libc::SIGKILL);
        let _ = self.child.wait();
    }
}

/// An X display: the caller's `DISPLAY`, or an Xvfb we started (stopped on drop).
pub struct Display {
    name: String,
    _xvfb: Option<ChildGuard>,
}

impl Display {
    /// Uses `DISPLAY` when set; otherwise starts `Xvfb :<n> -screen 0 1280x800x24` on the first
    /// free display number from 99 and waits for its socket. Xvfb's output goes to `log`.
    pub fn ensure(log: &Path) -> Result<Self> {
        if let Some(name) = std::env::var("DISPLAY").ok().filter(|d| !d.is_empty()) {
            eprintln!("e2e: using DISPLAY={name}");
            return Ok(Self { name, _xvfb: None });
        }
        for n in 99..199 {
            let socket = PathBuf::from(format!("/tmp/.X11-unix/X{n}"));
            if socket.exists() || Path::new(&format!("/tmp/.X{n}-lock")).exists() {
                continue;
            }
            let name = format!(":{n}");
            let out = File::create(log)?;
            let mut xvfb = ChildGuard::spawn(
                "Xvfb",
                Command::new("Xvfb")
                    .args([&name, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
                    .stdout(out.try_clone()?)
                    .stderr(out),
            )
            .context("start Xvfb (apt package xvfb; scripts/setup.sh installs it)")?;
            let started = poll(
                &format!("Xvfb socket {}", socket.display()),
                Duration::from_secs(20),
                || {
                    if socket.exists() {
                        return Ok(Some(true));
                    }
                    match xvfb.check_running() {
                        Ok(()) => Ok(None),
                        Err(_) => Ok(Some(false)), // lost a race for this number: try the next
                    }
                },
            )?;
            if started {
                eprintln!("e2e: DISPLAY is unset; started Xvfb on {name}");
                return Ok(Self {
                    name,
                    _xvfb: Some(xvfb),
                });
            }
        }
        bail!("no free X display number in :99..:198 (see {})", log.display())
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// `tauri-driver` (which runs WebKitWebDriver, which runs the app), stopped on drop.
pub struct Driver {
    pub url: String,
    _child: ChildGuard,
}

impl Driver {
    /// Starts `tauri-driver --port <free> --native-port <free>` on `display` with the extra
    /// environment `env` (inherited by the app) and waits until it, and the native driver it
    /// runs, accept connections.
    pub fn start<K, V>(display: &Display, env: &[(K, V)], log: &Path) -> Result<Self>
    where
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        let binary = tauri_driver()?;
        let port = free_port()?;
        let native_port = loop {
            let p = free_port()?;
            if p != port {
                break p;
            }
        };
        let out = File::create(log)?;
        let mut command = Command::new(&binary);
        command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("DISPLAY", display.name())
            // The app turns WebKit's DMA-BUF renderer off where no GPU render node exists,
            // as here, for a faster first paint. Under Xvfb that path never tells
            // WebKitWebDriver that a click's rendering update happened, so every click
            // that changes the page stalls for the driver's 300 s timeout. The window is
            // driven with the renderer kept on; `scripts/first-paint.sh` measures the
            // default, and `tests/tests/e2e/no_display.rs` runs the binary as shipped.
            .env("KASSA_WEBKIT_DMABUF", "1")
            .stdout(out.try_clone()?)
            .stderr(out);
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = ChildGuard::spawn("tauri-driver", &mut command)?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        // tauri-driver listens at once but spawns WebKitWebDriver beside it; a session
        // request sent before the native driver listens is dropped, so wait for both.
        let native = SocketAddr::from((Ipv4Addr::LOCALHOST, native_port));
        for (what, target) in [("tauri-driver", addr), ("the native WebDriver", native)] {
            poll(
                &format!("{what} to listen on {target}"),
                Duration::from_secs(30),
                || {
                    child
                        .check_running()
                        .with_context(|| format!("see {}", log.display()))?;
                    Ok(TcpStream::connect_timeout(&target, Duration::from_millis(200)).ok())
                },
            )?;
        }
        eprintln!("e2e: tauri-driver listens on {addr} (log: {})", log.display());
        Ok(Self {
            url: format!("http://{addr}"),
            _child: child,
        })
    }
}

/// `$TAURI_DRIVER`, else `tauri-driver` on PATH, else `~/.cargo/bin/tauri-driver`.
fn tauri_driver() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("TAURI_DRIVER").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("tauri-driver"));
    let in_cargo = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin/tauri-driver"));
    on_path
        .chain(in_cargo)
        .find(|p| p.is_file())
        .context("tauri-driver not found: run scripts/setup.sh (cargo install tauri-driver --locked)")
}
