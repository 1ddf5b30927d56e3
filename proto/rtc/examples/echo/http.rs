//! The HTTP API of a server of [`Calls`] (the echo server's, and wren-media's `play` and
//! `record` examples'; see the module docs of `echo`): WHIP's one POST for a browser that
//! offers (RFC 9725 section 4.2), an offer of ours and the browser's answer to it for a
//! browser that answers, DELETE to hang up (RFC 9725 section 4.3), and CORS so that a page
//! from anywhere may call it.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::calls::{CallError, CallId, Calls, Service};

/// The media type of SDP (RFC 8866 section 8.1), the only body taken.
const SDP: &str = "application/sdp";

/// Serves the HTTP API on `listener` for `calls` until `shutdown` completes (the calls
/// keep running: [`Calls::stop_all`] stops them).
///
/// # Errors
///
/// When the listener fails.
pub async fn serve<S: Service>(
    listener: tokio::net::TcpListener,
    calls: Arc<Calls<S>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(calls))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The router of one server's calls.
pub fn router<S: Service>(calls: Arc<Calls<S>>) -> Router {
    Router::new()
        .route("/", post(whip::<S>).options(preflight))
        .route("/offer", post(offer::<S>).options(preflight))
        .route(
            "/calls/{id}",
            post(complete::<S>)
                .patch(complete::<S>)
                .delete(hang_up::<S>)
                .options(preflight),
        )
        .layer(axum::middleware::map_response(cors))
        .with_state(calls)
}

/// Whether the request's body is SDP (parameters such as `charset` allowed).
fn is_sdp(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(SDP))
}

fn unsupported_type() -> Response {
    (
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!("the body must be {SDP}\n"),
    )
        .into_response()
}

/// `201 Created`, the call's `Location` and an SDP body.
fn created(id: CallId, sdp: String) -> Response {
    (
        StatusCode::CREATED,
        [
            (header::LOCATION, format!("/calls/{id}")),
            (header::CONTENT_TYPE, SDP.to_owned()),
        ],
        sdp,
    )
        .into_response()
}

impl IntoResponse for CallError {
    fn into_response(self) -> Response {
        let status = match &self {
            CallError::Jsep(_) => StatusCode::BAD_REQUEST,
            CallError::Unknown(_) => StatusCode::NOT_FOUND,
            CallError::Bind(_) | CallError::Refused(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        (status, format!("{self}\n")).into_response()
    }
}

/// `POST /`: the browser's offer; our answer (RFC 9725 section 4.2).
async fn whip<S: Service>(
    State(calls): State<Arc<Calls<S>>>,
    headers: HeaderMap,
    offer: String,
) -> Response {
    if !is_sdp(&headers) {
        return unsupported_type();
    }
    match calls.answer(&offer).await {
        Ok((id, answer)) => created(id, answer),
        Err(e) => e.into_response(),
    }
}

/// `POST /offer`: our offer (audio and video sendrecv, a data section), no body needed.
async fn offer<S: Service>(State(calls): State<Arc<Calls<S>>>) -> Response {
    match calls.offer().await {
        Ok((id, offer)) => created(id, offer),
        Err(e) => e.into_response(),
    }
}

/// `PATCH` (or `POST`) `/calls/<id>`: the browser's answer to our offer `id`.
async fn complete<S: Service>(
    State(calls): State<Arc<Calls<S>>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    answer: String,
) -> Response {
    if !is_sdp(&headers) {
        return unsupported_type();
    }
    let Ok(id) = id.parse::<CallId>() else {
        return (StatusCode::NOT_FOUND, format!("no call {id}\n")).into_response();
    };
    match calls.complete(id, &answer) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

/// `DELETE /calls/<id>`: hang up (RFC 9725 section 4.3).
async fn hang_up<S: Service>(
    State(calls): State<Arc<Calls<S>>>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<CallId>() else {
        return (StatusCode::NOT_FOUND, format!("no call {id}\n")).into_response();
    };
    match calls.hang_up(id) {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => e.into_response(),
    }
}

/// A CORS preflight: every method here, with an SDP body (RFC 9725 section 4.2 notes
/// that WHIP endpoints answer preflights).
async fn preflight() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// Lets pages of any origin call, and read `Location`.
async fn cors(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST, PATCH, DELETE, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("location"),
    );
    response
}
