//! The accept loop. Connections live in a JoinSet owned by the loop's task,
//! so aborting that task closes the listener and every open connection.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpSocket};
use tokio::task::{JoinHandle, JoinSet};

use super::router;
use super::state::Shared;

pub(crate) fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    // So `come_back` can rebind the same port while old connections linger.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

fn spawn_accept(listener: TcpListener, shared: Arc<Shared>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut conns = JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        let _ = stream.set_nodelay(true);
                        let shared = shared.clone();
                        conns.spawn(async move {
                            let svc = service_fn(move |req| {
                                let shared = shared.clone();
                                async move { Ok::<_, Infallible>(router::handle(shared, req).await) }
                            });
                            if let Err(e) = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await {
                                tracing::debug!(error = %e, "sim connection ended with an error");
                            }
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "sim accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                },
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
    })
}

pub(crate) struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Mutex<Option<JoinHandle<()>>>,
}

impl Server {
    pub fn start(listener: TcpListener, shared: Arc<Shared>) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let handle = spawn_accept(listener, shared.clone());
        Ok(Server {
            addr,
            shared,
            accept: Mutex::new(Some(handle)),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn take(&self) -> Option<JoinHandle<()>> {
        self.accept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    pub async fn stop(&self) {
        if let Some(h) = self.take() {
            h.abort();
            // Wait until the listener and connections are really gone.
            let _ = h.await;
        }
    }

    pub fn abort(&self) {
        if let Some(h) = self.take() {
            h.abort();
        }
    }

    pub async fn restart(&self) -> std::io::Result<()> {
        self.stop().await;
        let mut last = None;
        for _ in 0..50 {
            match bind(self.addr) {
                Ok(listener) => {
                    let handle = spawn_accept(listener, self.shared.clone());
                    *self.accept.lock().unwrap_or_else(PoisonError::into_inner) = Some(handle);
                    return Ok(());
                }
                Err(e) => {
                    last = Some(e);
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("could not rebind")))
    }
}
