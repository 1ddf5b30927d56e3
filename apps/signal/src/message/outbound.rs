//! Server-to-client events: `{senderClientId, messageType, messagePayload, statusResponse}`
//! (the KVS developer guide's "Asynchronous message reception").

use serde_json::{Map, Value, json};

use super::inbound::Inbound;
use crate::client_id::ClientId;

/// The fields the server writes itself: a client's extra fields never replace them (no
/// spoofed sender, no forged status).
const OURS: [&str; 8] = [
    "senderClientId",
    "SenderClientId",
    "messageType",
    "MessageType",
    "messagePayload",
    "MessagePayload",
    "statusResponse",
    "StatusResponse",
];

/// The event that delivers `message` from `sender` (`None`: the channel's master, which
/// has no client id).
#[must_use]
pub fn delivery(sender: Option<&ClientId>, message: &Inbound) -> String {
    let mut out: Map<String, Value> = message
        .extra
        .iter()
        .filter(|(k, _)| !OURS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(s) = sender {
        out.insert(
            "senderClientId".into(),
            Value::String(s.as_str().to_owned()),
        );
    }
    out.insert(
        "messageType".into(),
        Value::String(message.action.as_str().to_owned()),
    );
    out.insert(
        "messagePayload".into(),
        Value::String(message.payload.clone()),
    );
    Value::Object(out).to_string()
}

/// Why a message was not delivered, as a STATUS_RESPONSE says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The sender's `correlationId`.
    pub correlation_id: String,
    /// The error's type (`InvalidArgumentException`, ...).
    pub error_type: &'static str,
    /// An HTTP-like status code, written as a numeric string.
    pub status_code: u16,
    /// What went wrong, for a person.
    pub description: String,
}

/// A STATUS_RESPONSE event.
#[must_use]
pub fn status_response(status: &Status) -> String {
    json!({
        "messageType": "STATUS_RESPONSE",
        "statusResponse": {
            "correlationId": status.correlation_id,
            "errorType": status.error_type,
            "statusCode": status.status_code.to_string(),
            "description": status.description,
        }
    })
    .to_string()
}

/// GO_AWAY: the server is going (shutdown, drain, maximum connection age, or a newer
/// connection took this client's place); reconnect.
#[must_use]
pub fn go_away() -> String {
    json!({ "messageType": "GO_AWAY" }).to_string()
}

/// RECONNECT_ICE_SERVER: the relay set or its secret changed; ask for ICE servers again.
#[must_use]
pub fn reconnect_ice_server() -> String {
    json!({ "messageType": "RECONNECT_ICE_SERVER" }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn a_delivery_names_the_sender_the_server_knows() {
        let m = Inbound::parse(
            r#"{"action":"SDP_ANSWER","messagePayload":"e30=","senderClientId":"admin","messageType":"GO_AWAY","x-app":1}"#,
        )
        .unwrap();
        let v = parse(&delivery(Some(&ClientId::new("viewer-7").unwrap()), &m));
        assert_eq!(v["senderClientId"], "viewer-7");
        assert_eq!(v["messageType"], "SDP_ANSWER");
        assert_eq!(v["messagePayload"], "e30=");
        assert_eq!(v["x-app"], 1);
        // From the master: no sender id at all.
        let v = parse(&delivery(None, &m));
        assert!(v.get("senderClientId").is_none());
        assert_eq!(v["messageType"], "SDP_ANSWER");
    }

    #[test]
    fn a_status_response_has_the_kvs_shape() {
        let v = parse(&status_response(&Status {
            correlation_id: "c1".into(),
            error_type: "InvalidArgumentException",
            status_code: 400,
            description: "no".into(),
        }));
        assert_eq!(v["messageType"], "STATUS_RESPONSE");
        assert_eq!(v["statusResponse"]["correlationId"], "c1");
        assert_eq!(v["statusResponse"]["statusCode"], "400");
        assert_eq!(v["statusResponse"]["errorType"], "InvalidArgumentException");
        assert_eq!(parse(&go_away())["messageType"], "GO_AWAY");
        assert_eq!(
            parse(&reconnect_ice_server())["messageType"],
            "RECONNECT_ICE_SERVER"
        );
    }
}
