//! A Mosquitto broker of one's own: a child process on a free loopback port with the settings a
//! park's broker needs (`docs/mosquitto.conf`: persistence, no limit on queued messages, a wide
//! in-flight window), for the live park's tests and benchmarks and for trying `serve` on a
//! machine whose broker is not set up for it.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The settings of a park's broker (the repository's `docs/mosquitto.conf`).
pub const CONF: &str = include_str!("../../../docs/mosquitto.conf");

/// A running Mosquitto (stopped when dropped).
pub struct Mosquitto {
    child: Child,
    bin: PathBuf,
    conf: PathBuf,
    port: u16,
}

impl Mosquitto {
    /// Starts the Mosquitto binary `bin` with [`CONF`] on a free loopback port, its persistence
    /// files in `dir` (created; opened to all users, since Mosquitto started as root drops to
    /// the user `mosquitto`). Waits up to 10 s for it to listen.
    ///
    /// # Errors
    /// A message when the directory, the port or the process cannot be had.
    pub fn start(bin: &Path, dir: &Path) -> Result<Mosquitto, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let data = dir.join("mosquitto");
        std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let _ = std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o777));
        }
        let conf = CONF
            .replace(
                "listener 1883 127.0.0.1",
                &format!("listener {port} 127.0.0.1"),
            )
            .replace("/var/lib/mosquitto/", &format!("{}/", data.display()));
        let conf_path = dir.join("mosquitto.conf");
        std::fs::write(&conf_path, conf).map_err(|e| format!("{}: {e}", conf_path.display()))?;
        let child = spawn(bin, &conf_path, port)?;
        Ok(Mosquitto {
            child,
            bin: bin.to_path_buf(),
            conf: conf_path,
            port,
        })
    }

    /// Its port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Stops the broker cleanly (SIGTERM: it saves its sessions and queues) and starts it again
    /// on the same port.
    ///
    /// # Errors
    /// A message when it cannot be started again.
    pub fn restart(&mut self) -> Result<(), String> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        self.child = spawn(&self.bin, &self.conf, self.port)?;
        Ok(())
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(bin: &Path, conf: &Path, port: u16) -> Result<Child, String> {
    let mut child = Command::new(bin)
        .arg("-c")
        .arg(conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let until = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() >= until || child.try_wait().ok().flatten().is_some() {
            let _ = child.kill();
            return Err(format!(
                "{} -c {} does not listen on {port}",
                bin.display(),
                conf.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(child)
}
