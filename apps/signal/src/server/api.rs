//! The KVS control-plane operations at their paths and in their JSON shapes
//! (CreateSignalingChannel, DescribeSignalingChannel, ListSignalingChannels,
//! DeleteSignalingChannel, GetSignalingChannelEndpoint; and the signaling plane's
//! GetIceServerConfig), so AWS SDK clients work with an endpoint override. Clustered, the
//! channels are Redis's (every node answers the same), and an unreachable Redis is a 503.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::App;
use super::actor::Input;
use crate::channel_arn::ChannelArn;
use crate::core::{ChannelInfo, RegistryError};

/// A KVS error: status, `x-amzn-ErrorType` header and `{"Message": ...}`.
pub(crate) fn error(status: u16, kind: &str, message: &str) -> Response {
    let mut r = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        Json(json!({ "Message": message })),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(kind) {
        r.headers_mut().insert("x-amzn-ErrorType", v);
    }
    r
}

fn registry_error(e: &RegistryError) -> Response {
    error(e.status(), e.exception(), &e.to_string())
}

fn unavailable() -> Response {
    error(503, "ServiceUnavailable", "the server is stopping")
}

fn cluster_error(e: &crate::cluster::ClusterError) -> Response {
    tracing::warn!(error = %e, "control plane: redis");
    error(503, "ServiceUnavailable", &e.to_string())
}

/// Keeps `info` in the machine's registry (clustered: channels come from Redis).
async fn adopt(app: &App, info: &ChannelInfo) {
    let _ = app.inputs.send(Input::Adopt(info.clone())).await;
}

fn info_json(c: &ChannelInfo) -> Value {
    json!({
        "ChannelARN": c.arn.as_str(),
        "ChannelName": c.name(),
        "ChannelStatus": "ACTIVE",
        "ChannelType": "SINGLE_MASTER",
        // Seconds, as the AWS JSON protocol writes timestamps.
        "CreationTime": c.created_ms as f64 / 1000.0,
        "SingleMasterConfiguration": { "MessageTtlSeconds": 60 },
        "Version": c.version,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Create {
    channel_name: String,
    channel_type: Option<String>,
}

pub(crate) async fn create(State(app): State<App>, Json(body): Json<Create>) -> Response {
    if body
        .channel_type
        .as_deref()
        .is_some_and(|t| t != "SINGLE_MASTER")
    {
        return error(
            400,
            "InvalidArgumentException",
            "only SINGLE_MASTER channels",
        );
    }
    if let Some(cluster) = &app.cluster {
        return match cluster.create(body.channel_name).await {
            Ok(Ok(c)) => {
                adopt(&app, &c).await;
                Json(json!({ "ChannelARN": c.arn.as_str() })).into_response()
            }
            Ok(Err(e)) => registry_error(&e),
            Err(e) => cluster_error(&e),
        };
    }
    let (reply, rx) = oneshot::channel();
    let sent = app
        .inputs
        .send(Input::Create {
            name: body.channel_name,
            reply,
        })
        .await;
    match (sent, rx.await) {
        (Ok(()), Ok(Ok(c))) => Json(json!({ "ChannelARN": c.arn.as_str() })).into_response(),
        (Ok(()), Ok(Err(e))) => registry_error(&e),
        _ => unavailable(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Which {
    #[serde(rename = "ChannelARN")]
    channel_arn: Option<String>,
    channel_name: Option<String>,
}

async fn find(app: &App, which: Which) -> Result<ChannelInfo, Response> {
    let arn = which
        .channel_arn
        .map(|a| ChannelArn::parse(&a))
        .transpose()
        .map_err(|e| error(400, "InvalidArgumentException", &e.to_string()))?;
    let name = which.channel_name;
    if arn.is_none() && name.is_none() {
        return Err(error(
            400,
            "InvalidArgumentException",
            "ChannelARN or ChannelName is required",
        ));
    }
    if let Some(cluster) = &app.cluster {
        return match cluster.find(arn, name).await {
            Ok(Some(c)) => {
                adopt(app, &c).await;
                Ok(c)
            }
            Ok(None) => Err(error(404, "ResourceNotFoundException", "no such channel")),
            Err(e) => Err(cluster_error(&e)),
        };
    }
    let (reply, rx) = oneshot::channel();
    let read = move |r: &crate::core::Registry| {
        let found = match (&arn, &name) {
            (Some(a), _) => r.by_arn(a),
            (None, Some(n)) => r.by_name(n),
            (None, None) => None,
        };
        let _ = reply.send(found.cloned());
    };
    if app
        .inputs
        .send(Input::Read(super::actor::Reader(Box::new(read))))
        .await
        .is_err()
    {
        return Err(unavailable());
    }
    match rx.await {
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err(error(404, "ResourceNotFoundException", "no such channel")),
        Err(_) => Err(unavailable()),
    }
}

/// [`find`] by ARN alone.
async fn find_arn(app: &App, arn: String) -> Result<ChannelInfo, Response> {
    let which = Which {
        channel_arn: Some(arn),
        channel_name: None,
    };
    find(app, which).await
}

pub(crate) async fn describe(State(app): State<App>, Json(which): Json<Which>) -> Response {
    match find(&app, which).await {
        Ok(c) => Json(json!({ "ChannelInfo": info_json(&c) })).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct List {
    max_results: Option<usize>,
    next_token: Option<String>,
}

pub(crate) async fn list(State(app): State<App>, body: Option<Json<List>>) -> Response {
    let (max, after) = body.map_or((10_000, None), |Json(l)| {
        (
            l.max_results.unwrap_or(10_000).clamp(1, 10_000),
            l.next_token,
        )
    });
    if let Some(cluster) = &app.cluster {
        return match cluster.list().await {
            Ok(all) => {
                let start = after.as_deref();
                let mut page: Vec<ChannelInfo> = all
                    .into_iter()
                    .filter(|c| start.is_none_or(|a| c.name() > a))
                    .take(max + 1)
                    .collect();
                let more = page.len() > max;
                page.truncate(max);
                list_json(&page, more)
            }
            Err(e) => cluster_error(&e),
        };
    }
    let (reply, rx) = oneshot::channel();
    let read = move |r: &crate::core::Registry| {
        // One more than asked says whether there is a next page.
        let mut page: Vec<ChannelInfo> = r.list(after.as_deref(), max + 1).cloned().collect();
        let more = page.len() > max;
        page.truncate(max);
        let _ = reply.send((page, more));
    };
    if app
        .inputs
        .send(Input::Read(super::actor::Reader(Box::new(read))))
        .await
        .is_err()
    {
        return unavailable();
    }
    let Ok((page, more)) = rx.await else {
        return unavailable();
    };
    list_json(&page, more)
}

fn list_json(page: &[ChannelInfo], more: bool) -> Response {
    let mut out = json!({ "ChannelInfoList": page.iter().map(info_json).collect::<Vec<_>>() });
    if more && let Some(last) = page.last() {
        out["NextToken"] = Value::String(last.name().to_owned());
    }
    Json(out).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Delete {
    #[serde(rename = "ChannelARN")]
    channel_arn: String,
}

pub(crate) async fn delete(State(app): State<App>, Json(body): Json<Delete>) -> Response {
    let arn = match ChannelArn::parse(&body.channel_arn) {
        Ok(a) => a,
        Err(e) => return error(400, "InvalidArgumentException", &e.to_string()),
    };
    if let Some(cluster) = &app.cluster {
        // Every node is told through its inbox (this one too); deleting here as well
        // closes this node's connections at once.
        return match cluster.delete(arn.clone()).await {
            Ok(Ok(_)) => {
                let (reply, _) = oneshot::channel();
                let _ = app.inputs.send(Input::Delete { arn, reply }).await;
                Json(json!({})).into_response()
            }
            Ok(Err(e)) => registry_error(&e),
            Err(e) => cluster_error(&e),
        };
    }
    let (reply, rx) = oneshot::channel();
    let sent = app.inputs.send(Input::Delete { arn, reply }).await;
    match (sent, rx.await) {
        (Ok(()), Ok(Ok(_))) => Json(json!({})).into_response(),
        (Ok(()), Ok(Err(e))) => registry_error(&e),
        _ => unavailable(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Endpoint {
    #[serde(rename = "ChannelARN")]
    channel_arn: String,
}

pub(crate) async fn endpoint(
    State(app): State<App>,
    headers: HeaderMap,
    Json(body): Json<Endpoint>,
) -> Response {
    if let Err(r) = find_arn(&app, body.channel_arn).await {
        return r;
    }
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or(&app.config.public_host)
        .to_owned();
    let (ws, http) = if app.config.tls {
        ("wss", "https")
    } else {
        ("ws", "http")
    };
    Json(json!({
        "ResourceEndpointList": [
            { "Protocol": "WSS", "ResourceEndpoint": format!("{ws}://{host}") },
            { "Protocol": "HTTPS", "ResourceEndpoint": format!("{http}://{host}") },
        ]
    }))
    .into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct IceConfig {
    #[serde(rename = "ChannelARN")]
    channel_arn: String,
    client_id: Option<String>,
}

pub(crate) async fn ice_server_config(
    State(app): State<App>,
    Json(body): Json<IceConfig>,
) -> Response {
    if let Err(r) = find_arn(&app, body.channel_arn).await {
        return r;
    }
    let client = body.client_id.unwrap_or_else(|| "master".to_owned());
    if crate::client_id::ClientId::new(&client).is_err() {
        return error(
            400,
            "InvalidArgumentException",
            "ClientId must be 1-256 of [a-zA-Z0-9_.-]",
        );
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let servers = app.relays.servers_for(&client, now);
    Json(json!({ "IceServerList": servers })).into_response()
}
