//! Debian's nginx in front of the benchmark's server, as SPEC §8.1 deploys
//! it (packaging/nginx.conf.example): HTTP/1.1 upstream keep-alive,
//! request bodies streamed. Started on a free port with its own prefix
//! directory, stopped (SIGTERM) when dropped.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// A running nginx proxying to one upstream.
pub struct Nginx {
    child: Child,
    /// Where nginx listens.
    pub addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Nginx {
    /// Starts `binary` in front of `upstream`; answers once it accepts
    /// connections.
    ///
    /// # Errors
    /// When nginx cannot be started or does not listen within 10 s.
    pub fn start(binary: &Path, upstream: SocketAddr) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, config(dir.path(), addr, upstream))?;
        let child = Command::new(binary)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut nginx = Self { child, addr, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(addr).is_err() {
            if let Some(status) = nginx.child.try_wait()? {
                bail!("nginx exited at start: {status}");
            }
            if Instant::now() > deadline {
                bail!("nginx did not listen on {addr} within 10 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(nginx)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM (not SIGKILL) so that the master takes its workers along.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// The configuration: one worker, as the benchmark machine has two cores
/// for the server, the proxy and the load together.
fn config(dir: &Path, listen: SocketAddr, upstream: SocketAddr) -> String {
    let d = PathBuf::from(dir).display().to_string();
    format!(
        "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log warn;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
           fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
           upstream gatehouse {{\n    server {upstream};\n    keepalive 64;\n    keepalive_requests 1000000;\n    keepalive_timeout 60s;\n  }}\n\
           server {{\n    listen {listen};\n    keepalive_requests 1000000;\n    client_max_body_size 1m;\n\
             location / {{\n      proxy_pass http://gatehouse;\n      proxy_http_version 1.1;\n\
               proxy_set_header Connection \"\";\n      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
               proxy_request_buffering off;\n    }}\n  }}\n}}\n"
    )
}
