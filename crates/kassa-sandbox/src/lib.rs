//! Loopback emulators of the five provider APIs Kassa talks to, for the tests and for
//! demo mode. Each runs on its own loopback port with the paths, headers, credentials,
//! status codes and error bodies of its document (`../shared/seeds/`), and keeps state as
//! the document describes: SWiP orders are paid and closed, Flexiti authorizations are
//! captured and returned, Vourity payment requests are approved on the terminal, Venue
//! Manager invoices are numbered, DropPay devices are soft-deleted.
//!
//! The emulators are written apart from `kassa-providers` and share none of its types:
//! each reads and writes the documents' bodies with its own code, so a misreading in the
//! client shows up as a failing test instead of hiding in both.
//!
//! Deduplication happens only where a document promises it (SWiP refuses a second order
//! with the same `merchantOrderId`); anywhere else a repeated call charges, captures or
//! refunds again, as a real provider may, so fault tests cannot pass against an emulator
//! kinder than the real thing.
//!
//! Every emulator has the shared control endpoints of [`harness`] (log, faults) and its
//! own under `/_sandbox/` to act as the other side.

pub mod harness;

pub mod droppay;
pub mod flexiti;
pub mod swip;
pub mod venue_manager;
pub mod vourity;

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use harness::{Fault, FaultRule, Harness, LogEntry};

/// The five provider APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Provider {
    /// Vourity Partners API: the cloud card terminal.
    Vourity,
    /// Venue Manager shop API (Core).
    VenueManager,
    /// Flexiti POS API v2.5.1.
    Flexiti,
    /// SWiP POS API v3.
    Swip,
    /// DropPay Shop API v1, POS devices.
    DropPay,
}

impl Provider {
    /// Every provider, in the order of the documents.
    pub const ALL: [Provider; 5] = [
        Provider::Vourity,
        Provider::VenueManager,
        Provider::Flexiti,
        Provider::Swip,
        Provider::DropPay,
    ];

    /// The provider's name as the app shows it.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Vourity => "Vourity",
            Provider::VenueManager => "Venue Manager",
            Provider::Flexiti => "Flexiti",
            Provider::Swip => "SWiP",
            Provider::DropPay => "DropPay",
        }
    }

    /// The provider's key in settings, the CLI and the keyring (`venue-manager`).
    pub fn key(self) -> &'static str {
        match self {
            Provider::Vourity => "vourity",
            Provider::VenueManager => "venue-manager",
            Provider::Flexiti => "flexiti",
            Provider::Swip => "swip",
            Provider::DropPay => "droppay",
        }
    }

    /// The fixed loopback port of demo mode (`kassa sandbox`, `kassa demo`).
    pub fn demo_port(self) -> u16 {
        match self {
            Provider::Vourity => 47101,
            Provider::VenueManager => 47102,
            Provider::Flexiti => 47103,
            Provider::Swip => 47104,
            Provider::DropPay => 47105,
        }
    }

    /// The path below the host where the document's paths start (the part of the base
    /// URL a client is configured with).
    pub fn base_path(self) -> &'static str {
        match self {
            Provider::Vourity => vourity::BASE_PATH,
            Provider::VenueManager => venue_manager::BASE_PATH,
            Provider::Flexiti => flexiti::BASE_PATH,
            Provider::Swip => swip::BASE_PATH,
            Provider::DropPay => droppay::BASE_PATH,
        }
    }

    fn router(self, harness: Harness) -> axum::Router {
        match self {
            Provider::Vourity => vourity::router(harness),
            Provider::VenueManager => venue_manager::router(harness),
            Provider::Flexiti => flexiti::router(harness),
            Provider::Swip => swip::router(harness),
            Provider::DropPay => droppay::router(harness),
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which ports the emulators listen on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ports {
    /// Any free loopback port, chosen by the system (tests).
    Ephemeral,
    /// [`Provider::demo_port`] each (demo mode).
    Demo,
}

/// One emulator, serving until dropped.
pub struct RunningEmulator {
    provider: Provider,
    address: SocketAddr,
    harness: Harness,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RunningEmulator {
    /// Starts the emulator of `provider` on the current tokio runtime.
    pub async fn start(provider: Provider, ports: Ports) -> io::Result<RunningEmulator> {
        let port = match ports {
            Ports::Ephemeral => 0,
            Ports::Demo => provider.demo_port(),
        };
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .await
            .map_err(|error| {
                io::Error::new(
                    error.kind(),
                    format!("{provider} emulator: cannot listen on 127.0.0.1:{port}: {error}"),
                )
            })?;
        let address = listener.local_addr()?;
        let harness = Harness::new(provider.name());
        let router = harness.wrap(provider.router(harness.clone()));
        let (shutdown, stop) = oneshot::channel();
        let task = tokio::spawn(harness::serve(listener, router, stop));
        Ok(RunningEmulator {
            provider,
            address,
            harness,
            shutdown: Some(shutdown),
            task,
        })
    }

    /// Which provider this emulates.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// `http://127.0.0.1:<port>`, where the control endpoints are.
    pub fn origin(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The base URL a client is configured with: the origin and the document's base path.
    pub fn base_url(&self) -> String {
        format!("{}{}", self.origin(), self.provider.base_path())
    }

    /// The log and faults of this emulator.
    pub fn harness(&self) -> &Harness {
        &self.harness
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.task.abort();
    }
}

/// All five emulators.
pub struct Sandbox {
    emulators: Vec<RunningEmulator>,
}

impl Sandbox {
    /// Starts every emulator on the current tokio runtime.
    pub async fn start(ports: Ports) -> io::Result<Sandbox> {
        let mut emulators = Vec::new();
        for provider in Provider::ALL {
            emulators.push(RunningEmulator::start(provider, ports).await?);
        }
        Ok(Sandbox { emulators })
    }

    /// The running emulators, in the order of [`Provider::ALL`].
    pub fn emulators(&self) -> &[RunningEmulator] {
        &self.emulators
    }

    /// The emulator of `provider`.
    pub fn emulator(&self, provider: Provider) -> &RunningEmulator {
        self.emulators
            .iter()
            .find(|emulator| emulator.provider == provider)
            .expect("Sandbox::start starts every provider")
    }
}

/// A [`Sandbox`] on a runtime of its own, for synchronous callers: the CLI's
/// `kassa sandbox`, and tests of the synchronous application service.
pub struct BackgroundSandbox {
    // Dropped before the runtime, so the servers stop while it still runs.
    sandbox: Option<Sandbox>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl BackgroundSandbox {
    /// Starts every emulator on a new two-thread runtime.
    pub fn start(ports: Ports) -> io::Result<BackgroundSandbox> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("kassa-sandbox")
            .enable_all()
            .build()?;
        let sandbox = runtime.block_on(Sandbox::start(ports))?;
        Ok(BackgroundSandbox {
            sandbox: Some(sandbox),
            runtime: Some(runtime),
        })
    }

    /// The running emulators.
    pub fn sandbox(&self) -> &Sandbox {
        self.sandbox.as_ref().expect("present until dropped")
    }

    /// Blocks the calling thread until the process is interrupted (Ctrl-C).
    pub fn wait_for_interrupt(&self) -> io::Result<()> {
        self.runtime
            .as_ref()
            .expect("present until dropped")
            .block_on(tokio::signal::ctrl_c())
    }
}

impl Drop for BackgroundSandbox {
    fn drop(&mut self) {
        let runtime = self.runtime.take();
        let _guard = runtime.as_ref().map(|runtime| runtime.enter());
        self.sandbox.take();
        drop(_guard);
        if let Some(runtime) = runtime {
            runtime.shutdown_background();
        }
    }
}
