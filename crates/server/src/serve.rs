//! Serving the router until SIGTERM or ctrl-c, letting requests in flight
//! finish.

use axum::Router;
use tokio::net::TcpListener;

use crate::error::StartError;

/// Serves `app` on `listener` until SIGTERM or ctrl-c.
///
/// # Errors
/// [`StartError::Serve`] when the listener fails.
pub async fn serve(listener: TcpListener, app: Router) -> Result<(), StartError> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(StartError::Serve)
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
