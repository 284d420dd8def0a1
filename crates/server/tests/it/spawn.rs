//! Starting a server on port 0 in a temporary data directory.

use std::path::Path;

use gatehouse_server::{Config, Server, start};

/// A configuration whose data directory is `dir/data`.
pub fn config(dir: &Path) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.join("data"),
        ..Config::default()
    }
}

/// Starts `config` and serves it on a free port; returns the server and its base URL.
pub async fn spawn(config: Config) -> (Server, String) {
    let server = start(config).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(gatehouse_server::serve(listener, server.clone()));
    (server, url)
}
