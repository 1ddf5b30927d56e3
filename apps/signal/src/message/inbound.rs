//! Client-to-server messages: `{action, recipientClientId, messagePayload, correlationId}`
//! as the KVS JavaScript SDK writes them, or with `RecipientClientId`, `MessagePayload`,
//! `CorrelationId` as the KVS C SDK does. Fields neither SDK knows are kept, and delivered
//! to the recipient with the message.

use base64::Engine as _;
use serde_json::{Map, Value};

use super::Action;
use crate::client_id::{ClientId, ClientIdError};

/// The largest `messagePayload` KVS accepts, in characters of base64.
pub const MAX_PAYLOAD: usize = 10 * 1024;

/// A message a client sent, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    /// What to deliver.
    pub action: Action,
    /// To whom (required from the master; a viewer's messages go to the master).
    pub recipient: Option<ClientId>,
    /// The payload as sent: base64, checked to decode.
    pub payload: String,
    /// The id the sender wants a failure reported under.
    pub correlation_id: Option<String>,
    /// Fields the SDKs do not define, passed through to the recipient.
    pub extra: Map<String, Value>,
}

/// Why a client's message was refused; each has the error type and status code of the
/// STATUS_RESPONSE that answers it (when the message carried a correlation id).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    /// Not JSON, or JSON but not an object.
    #[error("the message is not a JSON object")]
    NotAnObject,
    /// No `action`.
    #[error("the message has no action")]
    MissingAction,
    /// An action other than SDP_OFFER, SDP_ANSWER and ICE_CANDIDATE.
    #[error("unknown action {0:?}")]
    UnknownAction(String),
    /// A field that must be a string is not.
    #[error("{0} must be a string")]
    NotAString(&'static str),
    /// The same field in both casings, with different values.
    #[error("{0} is given twice with different values")]
    Conflicting(&'static str),
    /// No `messagePayload`, or an empty one.
    #[error("the message has no messagePayload")]
    MissingPayload,
    /// A payload longer than [`MAX_PAYLOAD`].
    #[error("messagePayload has {0} characters, more than the {MAX_PAYLOAD} allowed")]
    PayloadTooLarge(usize),
    /// A payload that is not base64.
    #[error("messagePayload is not valid base64")]
    InvalidBase64,
    /// A recipient id that is not a client id.
    #[error("recipientClientId: {0}")]
    BadRecipient(ClientIdError),
    /// A correlation id that is not 1-256 of `[a-zA-Z0-9_.-]`.
    #[error("correlationId must be 1 to 256 letters, digits, '_', '.' or '-'")]
    BadCorrelationId,
}

impl InboundError {
    /// The `errorType` of the STATUS_RESPONSE for this refusal.
    #[must_use]
    pub fn error_type(&self) -> &'static str {
        match self {
            InboundError::UnknownAction(_) => "UnknownAction",
            InboundError::PayloadTooLarge(_) => "PayloadTooLarge",
            _ => "InvalidArgumentException",
        }
    }
}

/// The wire names of a field: the JS SDK's and the C SDK's.
const ACTION: [&str; 2] = ["action", "Action"];
const RECIPIENT: [&str; 2] = ["recipientClientId", "RecipientClientId"];
const PAYLOAD: [&str; 2] = ["messagePayload", "MessagePayload"];
const CORRELATION: [&str; 2] = ["correlationId", "CorrelationId"];

/// What the correlation id of `text` is, if it has a valid one: so that even a message
/// refused for another reason can be answered under it.
#[must_use]
pub fn correlation_id_of(text: &str) -> Option<String> {
    let Ok(Value::Object(mut map)) = serde_json::from_str::<Value>(text) else {
        return None;
    };
    take(&mut map, CORRELATION, "correlationId")
        .ok()
        .flatten()
        .filter(|c| is_correlation_id(c))
}

impl Inbound {
    /// Parses and checks one client message.
    ///
    /// # Errors
    ///
    /// An [`InboundError`] naming what is wrong.
    pub fn parse(text: &str) -> Result<Inbound, InboundError> {
        let Ok(Value::Object(mut map)) = serde_json::from_str::<Value>(text) else {
            return Err(InboundError::NotAnObject);
        };
        let action = take(&mut map, ACTION, "action")?.ok_or(InboundError::MissingAction)?;
        let action = Action::from_name(&action).ok_or(InboundError::UnknownAction(action))?;
        let recipient = take(&mut map, RECIPIENT, "recipientClientId")?
            // The C SDK writes an empty id for "the master".
            .filter(|r| !r.is_empty())
            .map(|r| ClientId::new(&r).map_err(InboundError::BadRecipient))
            .transpose()?;
        let payload = take(&mut map, PAYLOAD, "messagePayload")?
            .filter(|p| !p.is_empty())
            .ok_or(InboundError::MissingPayload)?;
        if payload.len() > MAX_PAYLOAD {
            return Err(InboundError::PayloadTooLarge(payload.len()));
        }
        if base64::engine::general_purpose::STANDARD
            .decode(payload.as_bytes())
            .is_err()
        {
            return Err(InboundError::InvalidBase64);
        }
        let correlation_id = take(&mut map, CORRELATION, "correlationId")?;
        if correlation_id
            .as_deref()
            .is_some_and(|c| !is_correlation_id(c))
        {
            return Err(InboundError::BadCorrelationId);
        }
        Ok(Inbound {
            action,
            recipient,
            payload,
            correlation_id,
            extra: map,
        })
    }
}

/// Removes a string field given in either casing; both present must agree.
fn take(
    map: &mut Map<String, Value>,
    names: [&str; 2],
    shown: &'static str,
) -> Result<Option<String>, InboundError> {
    let mut found: Option<String> = None;
    for name in names {
        match map.remove(name) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => match &found {
                Some(f) if *f != s => return Err(InboundError::Conflicting(shown)),
                _ => found = Some(s),
            },
            Some(_) => return Err(InboundError::NotAString(shown)),
        }
    }
    Ok(found)
}

fn is_correlation_id(c: &str) -> bool {
    ClientId::new(c).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "eyJ0eXBlIjoib2ZmZXIifQ=="; // {"type":"offer"}

    #[test]
    fn the_js_sdks_message_is_read() {
        let m = Inbound::parse(&format!(
            r#"{{"action":"SDP_OFFER","recipientClientId":"viewer-1","messagePayload":"{OFFER}","correlationId":"c.1"}}"#
        ))
        .unwrap();
        assert_eq!(m.action, Action::SdpOffer);
        assert_eq!(m.recipient.unwrap().as_str(), "viewer-1");
        assert_eq!(m.payload, OFFER);
        assert_eq!(m.correlation_id.as_deref(), Some("c.1"));
        assert!(m.extra.is_empty());
    }

    #[test]
    fn the_c_sdks_casing_is_read_and_unknown_fields_kept() {
        let m = Inbound::parse(&format!(
            r#"{{"action":"ICE_CANDIDATE","RecipientClientId":"m","MessagePayload":"{OFFER}","CorrelationId":"7","x-trace":{{"id":3}}}}"#
        ))
        .unwrap();
        assert_eq!(m.action, Action::IceCandidate);
        assert_eq!(m.recipient.unwrap().as_str(), "m");
        assert_eq!(m.correlation_id.as_deref(), Some("7"));
        assert_eq!(m.extra["x-trace"]["id"], 3);
    }

    #[test]
    fn each_bad_message_has_its_reason() {
        let p = |s: &str| Inbound::parse(s).unwrap_err();
        assert_eq!(p("not json"), InboundError::NotAnObject);
        assert_eq!(p("[1]"), InboundError::NotAnObject);
        assert_eq!(
            p(r#"{"messagePayload":"e30="}"#),
            InboundError::MissingAction
        );
        assert_eq!(
            p(r#"{"action":"SDP_PRANSWER","messagePayload":"e30="}"#),
            InboundError::UnknownAction("SDP_PRANSWER".into())
        );
        assert_eq!(p(r#"{"action":7}"#), InboundError::NotAString("action"));
        assert_eq!(p(r#"{"action":"SDP_OFFER"}"#), InboundError::MissingPayload);
        assert_eq!(
            p(r#"{"action":"SDP_OFFER","messagePayload":""}"#),
            InboundError::MissingPayload
        );
        assert_eq!(
            p(r#"{"action":"SDP_OFFER","messagePayload":"not base64!"}"#),
            InboundError::InvalidBase64
        );
        let big = "A".repeat(MAX_PAYLOAD + 4);
        assert_eq!(
            p(&format!(
                r#"{{"action":"SDP_OFFER","messagePayload":"{big}"}}"#
            )),
            InboundError::PayloadTooLarge(MAX_PAYLOAD + 4)
        );
        assert!(matches!(
            p(r#"{"action":"SDP_OFFER","messagePayload":"e30=","recipientClientId":"a b"}"#),
            InboundError::BadRecipient(_)
        ));
        assert_eq!(
            p(r#"{"action":"SDP_OFFER","messagePayload":"e30=","correlationId":"a b"}"#),
            InboundError::BadCorrelationId
        );
        assert_eq!(
            p(
                r#"{"action":"SDP_OFFER","messagePayload":"e30=","recipientClientId":"a","RecipientClientId":"b"}"#
            ),
            InboundError::Conflicting("recipientClientId")
        );
    }

    #[test]
    fn a_refused_message_is_answered_under_its_correlation_id() {
        assert_eq!(
            correlation_id_of(r#"{"action":"NOPE","correlationId":"c9"}"#).as_deref(),
            Some("c9")
        );
        assert_eq!(correlation_id_of(r#"{"correlationId":"a b"}"#), None);
        assert_eq!(correlation_id_of("nope"), None);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in ".*") {
            let _ = Inbound::parse(&s);
            let _ = correlation_id_of(&s);
        }
    }
}
