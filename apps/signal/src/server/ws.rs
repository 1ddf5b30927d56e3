//! `GET /`: a WebSocket upgrade as the KVS SDKs make it (the query names the channel and
//! the viewer's client id, and carries the credentials), or the demo page otherwise.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use tokio::sync::{mpsc, oneshot};

use super::actor::{Input, ToConn};
use super::authorize::authorize;
use super::{App, api, page, query};
use crate::core::{CloseReason, ConnId};

pub(crate) async fn root(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(upgrade) = upgrade else {
        return Html(page::PAGE).into_response();
    };
    let Some(pairs) = query::parse(raw.as_deref().unwrap_or("")) else {
        return api::error(400, "InvalidArgumentException", "malformed query string");
    };
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (channel, role) = match authorize(&app.config.policy, host, "/", &pairs, now) {
        Ok(ok) => ok,
        Err(r) => {
            tracing::info!(status = r.status, reason = %r.message, "upgrade refused");
            return api::error(r.status, "AccessDeniedException", &r.message);
        }
    };
    if let Some(cluster) = &app.cluster {
        // Clustered, the channel is Redis's: a channel another node created is learnt
        // here; with Redis unreachable, the channels this node knows still take connections.
        match cluster.find(Some(channel.clone()), None).await {
            Ok(Some(info)) => {
                let _ = app.inputs.send(Input::Adopt(info)).await;
            }
            Ok(None) => {
                return api::error(404, "ResourceNotFoundException", "no such channel");
            }
            Err(e) => tracing::warn!(error = %e, "upgrade: channel looked up locally"),
        }
    }
    let conn = ConnId(
        app.next_conn
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
    );
    let (queue, rx) = mpsc::channel(app.config.send_queue);
    let (reply, accepted) = oneshot::channel();
    let sent = app
        .inputs
        .send(Input::Connect {
            conn,
            channel,
            role,
            queue,
            reply,
        })
        .await;
    match (sent, accepted.await) {
        (Ok(()), Ok(Ok(()))) => {}
        (Ok(()), Ok(Err(e))) => {
            return api::error(e.status(), "ClientLimitExceededException", &e.to_string());
        }
        _ => return api::error(503, "ServiceUnavailable", "the server is stopping"),
    }
    upgrade
        .max_message_size(app.config.max_frame)
        .max_frame_size(app.config.max_frame)
        // tungstenite's defaults (128 KiB each) would be most of a connection's memory;
        // signaling messages are small (10 KB payloads at most).
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .on_failed_upgrade({
            let inputs = app.inputs.clone();
            move |_| {
                let _ = inputs.try_send(Input::Disconnect(conn));
            }
        })
        .on_upgrade(move |socket| connection(app, conn, socket, rx))
}

/// The read buffer of each WebSocket; larger frames still arrive, in several reads.
const READ_BUFFER: usize = 4096;

fn close_code(reason: CloseReason) -> u16 {
    match reason {
        // "Going away" for all: the client reconnects (KVS clients do on GO_AWAY).
        CloseReason::Replaced
        | CloseReason::Idle
        | CloseReason::MaxAge
        | CloseReason::Drained
        | CloseReason::ChannelDeleted => 1001,
    }
}

async fn connection(app: App, conn: ConnId, mut socket: WebSocket, mut rx: mpsc::Receiver<ToConn>) {
    let mut ping = tokio::time::interval(app.config.ping_interval);
    ping.tick().await;
    let send_timeout = app.config.send_timeout;
    loop {
        tokio::select! {
            frame = socket.recv() => match frame {
                Some(Ok(Message::Text(t))) => {
                    if app.inputs.send(Input::Message { conn, text: t.as_str().to_owned() }).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {
                    let _ = app.inputs.send(Input::Activity(conn)).await;
                }
            },
            out = rx.recv() => match out {
                Some(ToConn::Text(t)) => {
                    if !send(&mut socket, Message::Text(t.into()), send_timeout).await {
                        break;
                    }
                }
                Some(ToConn::Close(reason)) => {
                    let frame = CloseFrame { code: close_code(reason), reason: format!("{reason:?}").into() };
                    let _ = send(&mut socket, Message::Close(Some(frame)), send_timeout).await;
                    break;
                }
                // The machine dropped us (a full queue: we stopped reading).
                None => break,
            },
            _ = ping.tick() => {
                if !send(&mut socket, Message::Ping(Vec::new().into()), send_timeout).await {
                    break;
                }
            }
        }
    }
    let _ = app.inputs.send(Input::Disconnect(conn)).await;
}

/// Sends one frame, giving up on a peer that does not take it within `timeout`.
async fn send(socket: &mut WebSocket, msg: Message, timeout: Duration) -> bool {
    matches!(
        tokio::time::timeout(timeout, socket.send(msg)).await,
        Ok(Ok(()))
    )
}
