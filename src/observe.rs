//! `run --listen ADDR`: `/healthz` (200 while the scheduler ticks on time and
//! the last sync worked; 503 with the reason otherwise) and `/metrics`
//! (Prometheus text of the last cycle), for a load balancer, Kubernetes
//! probes or a Prometheus scrape.

use crate::daemon::Health;
use anyhow::{Context, Result};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tracing::{info, warn};

/// Binds `addr` and serves until the returned task is aborted.
pub async fn serve(
    addr: SocketAddr,
    health: Arc<Health>,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener.local_addr()?;
    info!(%bound, "serving /healthz and /metrics");
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let health = health.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| {
                    let health = health.clone();
                    async move { Ok::<_, std::convert::Infallible>(answer(&request, &health)) }
                });
                if let Err(e) = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await
                {
                    warn!("observability connection: {e}");
                }
            });
        }
    });
    Ok((bound, task))
}

fn answer(request: &Request<Incoming>, health: &Health) -> Response<Full<Bytes>> {
    let (status, content_type, body) = match request.uri().path() {
        "/healthz" => match health.status() {
            Ok(()) => (StatusCode::OK, "text/plain", "ok\n".to_string()),
            Err(reason) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "text/plain",
                format!("{reason}\n"),
            ),
        },
        "/metrics" => (
            StatusCode::OK,
            "text/plain; version=0.0.4",
            health.metrics(),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain",
            "not found: try /healthz or /metrics\n".to_string(),
        ),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}
