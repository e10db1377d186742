//! Watch streams: initial events or history replay, then live events from
//! the resource's broadcast channel, bookmarks, timeouts, and cuts.

use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use http::{Response, header};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use serde_json::json;
use tokio::sync::{broadcast, mpsc};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_stream::wrappers::ReceiverStream;

use super::api_error::ApiError;
use super::body::{self, Body, StreamCut};
use super::registry::{ResourceDef, ResourceId};
use super::selector::Selectors;
use super::state::Shared;
use super::store::{Change, ChangeKind, Stored};

#[derive(Debug)]
pub(crate) struct WatchParams {
    pub id: ResourceId,
    pub ns: Option<String>,
    pub sel: Selectors,
    /// `None` for "" and "0": start with the current state.
    pub rv: Option<u64>,
    pub bookmarks: bool,
    pub timeout: Option<Duration>,
    pub initial_events: bool,
}

fn line(kind: &str, object: &[u8]) -> Bytes {
    let mut b = BytesMut::with_capacity(object.len() + 32);
    b.put_slice(b"{\"type\":\"");
    b.put_slice(kind.as_bytes());
    b.put_slice(b"\",\"object\":");
    b.put_slice(object);
    b.put_slice(b"}\n");
    b.freeze()
}

fn bookmark(def: &ResourceDef, rv: u64, initial_end: bool) -> Bytes {
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if initial_end {
        meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
    }
    let obj = json!({"kind": def.kind, "apiVersion": def.api_version(), "metadata": meta});
    line("BOOKMARK", &serde_json::to_vec(&obj).unwrap_or_default())
}

/// One ERROR event, as the apiserver sends inside a 200 watch response.
pub(crate) fn error_event(err: &ApiError) -> Bytes {
    line(
        "ERROR",
        &serde_json::to_vec(&err.to_status()).unwrap_or_default(),
    )
}

pub(crate) fn too_old(rv: u64, current: u64) -> ApiError {
    ApiError::expired(format!("too old resource version: {rv} ({current})"))
}

pub(crate) fn stream_response(bytes: Bytes) -> Response<Body> {
    body::bytes_response(200, "application/json", bytes)
}

fn matches(p: &WatchParams, s: &Stored, ns: &str) -> bool {
    p.ns.as_deref().is_none_or(|n| n == ns) && (p.sel.is_empty() || p.sel.matches(&s.value))
}

/// The event this watch sees for a change, if any. A MODIFIED that moves an
/// object into or out of the selection becomes ADDED or DELETED.
fn render(p: &WatchParams, ch: &Change) -> Option<Bytes> {
    if p.ns.as_deref().is_some_and(|n| n != ch.namespace) {
        return None;
    }
    if p.sel.is_empty() {
        return Some(line(ch.kind.as_str(), &ch.object.bytes));
    }
    let now = p.sel.matches(&ch.object.value);
    let kind = match ch.kind {
        ChangeKind::Modified => {
            let before = ch.previous.as_ref().is_some_and(|v| p.sel.matches(v));
            match (before, now) {
                (true, true) => "MODIFIED",
                (false, true) => "ADDED",
                (true, false) => "DELETED",
                (false, false) => return None,
            }
        }
        k if now => k.as_str(),
        _ => return None,
    };
    Some(line(kind, &ch.object.bytes))
}

type Tx = mpsc::Sender<Result<Frame<Bytes>, StreamCut>>;

/// Batches small lines into larger frames for the initial burst.
struct Batch {
    buf: BytesMut,
}

impl Batch {
    async fn push(&mut self, tx: &Tx, b: &[u8]) -> bool {
        self.buf.put_slice(b);
        if self.buf.len() >= 64 * 1024 {
            return self.flush(tx).await;
        }
        true
    }

    async fn flush(&mut self, tx: &Tx) -> bool {
        if self.buf.is_empty() {
            return true;
        }
        let chunk = self.buf.split().freeze();
        tx.send(Ok(Frame::data(chunk))).await.is_ok()
    }
}

pub(crate) fn start(shared: &Arc<Shared>, p: WatchParams) -> Response<Body> {
    let def = shared.registry.get(p.id);
    let (initial, replay, rx, start_rv) = {
        let store = shared.read();
        let Some(rx) = store.subscribe(p.id) else {
            return body::error(&ApiError::path_not_found());
        };
        match p.rv.filter(|_| !p.initial_events) {
            Some(rv) => match store.since(p.id, rv) {
                Ok(replay) => (Vec::new(), replay, rx, rv),
                Err(_) => return stream_response(error_event(&too_old(rv, store.rv()))),
            },
            None => {
                let initial: Vec<Stored> = store
                    .res(p.id)
                    .map(|r| {
                        r.objects
                            .iter()
                            .filter(|((ns, _), s)| matches(&p, s, ns))
                            .map(|(_, s)| s.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                (initial, Vec::new(), rx, store.rv())
            }
        }
    };
    let (tx, body_rx) = mpsc::channel(64);
    let shared = shared.clone();
    tokio::spawn(async move {
        run(shared, def, p, initial, replay, rx, start_rv, tx).await;
    });
    let body = StreamBody::new(ReceiverStream::new(body_rx)).boxed_unsync();
    let mut resp = Response::new(body);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    resp
}

#[allow(clippy::too_many_arguments)]
async fn run(
    shared: Arc<Shared>,
    def: ResourceDef,
    p: WatchParams,
    initial: Vec<Stored>,
    replay: Vec<Arc<Change>>,
    mut rx: broadcast::Receiver<Arc<Change>>,
    start_rv: u64,
    tx: Tx,
) {
    let mut cut = shared.cut.subscribe();
    let mut batch = Batch {
        buf: BytesMut::new(),
    };
    for s in &initial {
        if !batch.push(&tx, &line("ADDED", &s.bytes)).await {
            return;
        }
    }
    if p.initial_events && !batch.push(&tx, &bookmark(&def, start_rv, true)).await {
        return;
    }
    let mut last = start_rv;
    for ch in &replay {
        last = ch.rv;
        if let Some(l) = render(&p, ch)
            && !batch.push(&tx, &l).await
        {
            return;
        }
    }
    if !batch.flush(&tx).await {
        return;
    }
    drop(initial);
    drop(replay);

    let far = Duration::from_secs(365 * 24 * 3600);
    let deadline = tokio::time::sleep_until(Instant::now() + p.timeout.unwrap_or(far));
    tokio::pin!(deadline);
    let every = shared.opts.bookmark_interval.max(Duration::from_millis(10));
    let mut ticks = tokio::time::interval_at(Instant::now() + every, every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tx.closed() => return,
            _ = cut.changed() => {
                let _ = tx.send(Err(StreamCut)).await;
                return;
            }
            _ = &mut deadline => return,
            _ = ticks.tick(), if p.bookmarks => {
                // Everything up to `now` is already queued for us (writes
                // broadcast under the lock), so drain it before bookmarking.
                let now = shared.read().rv();
                loop {
                    match rx.try_recv() {
                        Ok(ch) => {
                            if ch.rv <= last { continue; }
                            last = ch.rv;
                            if let Some(l) = render(&p, &ch) && !batch.push(&tx, &l).await { return; }
                        }
                        Err(broadcast::error::TryRecvError::Empty) => break,
                        Err(_) => { let _ = batch.flush(&tx).await; return; }
                    }
                }
                last = last.max(now);
                if !batch.push(&tx, &bookmark(&def, last, false)).await || !batch.flush(&tx).await {
                    return;
                }
            }
            r = rx.recv() => match r {
                Ok(ch) => {
                    if ch.rv <= last { continue; }
                    last = ch.rv;
                    if let Some(l) = render(&p, &ch)
                        && tx.send(Ok(Frame::data(l))).await.is_err()
                    {
                        return;
                    }
                }
                // Too slow or closed: end cleanly; the client resumes from
                // its last resourceVersion and history fills the gap.
                Err(_) => return,
            },
        }
    }
}
