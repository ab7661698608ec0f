//! Kassa cross-crate tests live in `tests/`; this library holds what more than one of
//! their binaries needs.

use std::io::{self, BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// `kassa sandbox --ephemeral` running as a child process, killed on drop: the emulators
/// of every provider on loopback ports the system chose, in a process of their own.
pub struct SandboxChild {
    child: Child,
    /// (provider name as printed, base URL), in the order printed.
    pub urls: Vec<(String, String)>,
}

impl SandboxChild {
    /// Starts `kassa` (the binary at `cli`) and reads its listing up to "Sandbox running".
    /// The ports are bound before anything is printed, so that line is the
    /// synchronisation.
    pub fn start(cli: &Path) -> io::Result<SandboxChild> {
        let mut child = Command::new(cli)
            .args(["sandbox", "--ephemeral"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut sandbox = SandboxChild {
            child,
            urls: Vec::new(),
        };
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            if line.starts_with("Sandbox running") {
                return Ok(sandbox);
            }
            if let Some((name, url)) = line.rsplit_once(' ') {
                sandbox.urls.push((name.trim().to_owned(), url.to_owned()));
            }
        }
        Err(io::Error::other(format!(
            "kassa sandbox exited before it ran; it printed {:?}",
            sandbox.urls
        )))
    }

    /// The base URL of `provider` (its name as `kassa sandbox` prints it: "SWiP", …).
    pub fn url(&self, provider: &str) -> io::Result<&str> {
        self.urls
            .iter()
            .find(|(name, _)| name == provider)
            .map(|(_, url)| url.as_str())
            .ok_or_else(|| io::Error::other(format!("kassa sandbox listed no {provider}: {:?}", self.urls)))
    }
}

impl Drop for SandboxChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
