//! Who may call the API: with access keys configured (`--access-key ID:SECRET`), every
//! control-plane call and GetIceServerConfig must carry a SigV4 `Authorization` header made
//! with one of them for the server's region and the `kinesisvideo` service, as AWS SDK
//! clients sign them ([`crate::auth::sigv4::header`]); refusals carry the exception names
//! AWS answers with, so SDKs report them as they would from AWS. Without access keys the
//! API is open (the loopback default; a server with only `--token-secret` warns at start).

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::App;
use super::api::error;
use super::query;
use crate::auth::sigv4::{SigV4Error, header};

/// The largest API request body read (the KVS API's are a few hundred bytes).
pub(crate) const MAX_BODY: usize = 64 * 1024;

/// The service SigV4 credentials must be scoped to.
pub(crate) const SERVICE: &str = "kinesisvideo";

/// AWS's answer to a signature that does not check out: status, exception, message.
fn refusal(e: &SigV4Error) -> (u16, &'static str) {
    match e {
        SigV4Error::Missing("Authorization") => (403, "MissingAuthenticationTokenException"),
        SigV4Error::Missing(_) | SigV4Error::Malformed(_) | SigV4Error::Algorithm(_) => {
            (400, "IncompleteSignatureException")
        }
        SigV4Error::UnknownKey(_) => (403, "UnrecognizedClientException"),
        SigV4Error::HostNotSigned
        | SigV4Error::Expired
        | SigV4Error::NotYetValid
        | SigV4Error::Mismatch => (403, "InvalidSignatureException"),
    }
}

/// The middleware: passes the request on when it needs no signature or its signature
/// checks out, and answers it with AWS's refusal otherwise.
pub(crate) async fn require_signature(
    State(app): State<App>,
    req: Request,
    next: Next,
) -> Response {
    let policy = &app.config.policy;
    if policy.access_keys.is_empty() {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(payload) = axum::body::to_bytes(body, MAX_BODY).await else {
        return error(
            413,
            "InvalidArgumentException",
            &format!("the request body is over {MAX_BODY} bytes"),
        );
    };
    let Some(query) = query::parse(parts.uri.query().unwrap_or("")) else {
        return error(400, "InvalidArgumentException", "malformed query string");
    };
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let signed = header::Request {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: &query,
        headers: &headers,
        payload: &payload,
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    match header::verify(&signed, &policy.access_keys, now) {
        Ok(signer) if signer.region != policy.region || signer.service != SERVICE => error(
            403,
            "InvalidSignatureException",
            &format!(
                "credential scoped to {}/{}, not {}/{SERVICE}",
                signer.region, signer.service, policy.region
            ),
        ),
        Ok(_) => {
            next.run(Request::from_parts(parts, Body::from(payload)))
                .await
        }
        Err(e) => {
            let (status, kind) = refusal(&e);
            error(status, kind, &format!("SigV4: {e}"))
        }
    }
}
