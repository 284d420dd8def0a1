//! Serving a started server until SIGTERM or ctrl-c, letting requests in
//! flight finish, while following other instances' commits and, with SMTP
//! configured, sending the outbox.

use std::net::SocketAddr;

use tokio::net::TcpListener;

use crate::error::StartError;
use crate::start::Server;

/// Serves `server` on `listener` until SIGTERM or ctrl-c.
///
/// # Errors
/// [`StartError::Serve`] when the listener fails.
pub async fn serve(listener: TcpListener, server: Server) -> Result<(), StartError> {
    let follower = tokio::spawn(server.app().clone().follow());
    let mailer = server
        .mailer()
        .map(|mailer| tokio::spawn(mailer.clone().run(server.app().clone())));
    let result = axum::serve(
        listener,
        server.router().into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(StartError::Serve);
    follower.abort();
    if let Some(mailer) = mailer {
        mailer.abort();
    }
    result
}

/// Resolves at the first SIGTERM or ctrl-c.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
