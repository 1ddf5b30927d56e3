//! The signaling machine's rules, one test each.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::*;

const OFFER: &str = r#"{"action":"SDP_OFFER","messagePayload":"e30="}"#;

struct Setup {
    s: Signaling,
    arn: ChannelArn,
    now: Instant,
}

fn setup(config: Config) -> Setup {
    let mut s = Signaling::new(config, Registry::new("us-west-2", "000000000000", 10));
    let arn = s.create_channel("door", 1_700_000_000_000).unwrap().arn;
    Setup {
        s,
        arn,
        now: Instant::now(),
    }
}

fn viewer(id: &str) -> Role {
    Role::Viewer(ClientId::new(id).unwrap())
}

fn outputs(s: &mut Signaling) -> Vec<Output> {
    std::iter::from_fn(|| s.poll_output()).collect()
}

fn sent(out: &[Output]) -> Vec<(ConnId, Value)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Send { to, text } => Some((*to, serde_json::from_str(text).unwrap())),
            Output::Close { .. } => None,
        })
        .collect()
}

fn closed(out: &[Output]) -> Vec<(ConnId, CloseReason)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Close { conn, reason } => Some((*conn, *reason)),
            Output::Send { .. } => None,
        })
        .collect()
}

#[test]
fn a_viewers_offer_reaches_the_master_named_by_the_server() {
    let Setup { mut s, arn, now } = setup(Config::default());
    s.connect(now, ConnId(1), &arn, Role::Master).unwrap();
    s.connect(now, ConnId(2), &arn, viewer("v1")).unwrap();
    s.handle_message(
        now,
        ConnId(2),
        r#"{"action":"SDP_OFFER","messagePayload":"e30=","senderClientId":"spoof"}"#,
    );
    let got = sent(&outputs(&mut s));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, ConnId(1));
    assert_eq!(got[0].1["senderClientId"], "v1");
    assert_eq!(got[0].1["messageType"], "SDP_OFFER");
    assert_eq!(s.stats().delivered, 1);
}

#[test]
fn the_masters_answer_reaches_the_named_viewer_only() {
    let Setup { mut s, arn, now } = setup(Config::default());
    s.connect(now, ConnId(1), &arn, Role::Master).unwrap();
    s.connect(now, ConnId(2), &arn, viewer("v1")).unwrap();
    s.connect(now, ConnId(3), &arn, viewer("v2")).unwrap();
    s.handle_message(
        now,
        ConnId(1),
        r#"{"action":"SDP_ANSWER","messagePayload":"e30=","recipientClientId":"v2"}"#,
    );
    let got = sent(&outputs(&mut s));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, ConnId(3));
    assert!(got[0].1.get("senderClientId").is_none());
}

#[test]
fn the_master_must_name_a_recipient() {
    let Setup { mut s, arn, now } = setup(Config::default());
    s.connect(now, ConnId(1), &arn, Role::Master).unwrap();
    s.handle_message(
        now,
        ConnId(1),
        r#"{"action":"SDP_ANSWER","messagePayload":"e30=","correlationId":"c1"}"#,
    );
    let got = sent(&outputs(&mut s));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, ConnId(1));
    assert_eq!(got[0].1["messageType"], "STATUS_RESPONSE");
    assert_eq!(got[0].1["statusResponse"]["correlationId"], "c1");
    assert_eq!(got[0].1["statusResponse"]["statusCode"], "400");
    assert_eq!(s.stats().misaddressed, 1);
}

#[test]
fn a_viewer_addressing_another_viewer_is_refused_and_nobody_hears_it() {
    let Setup { mut s, arn, now } = setup(Config::default());
    s.connect(now, ConnId(1), &arn, Role::Master).unwrap();
    s.connect(now, ConnId(2), &arn, viewer("v1")).unwrap();
    s.connect(now, ConnId(3), &arn, viewer("v2")).unwrap();
    s.handle_message(
        now,
        ConnId(2),
        r#"{"action":"SDP_OFFER","messagePayload":"e30=","recipientClientId":"v2","correlationId":"x"}"#,
    );
    let got = sent(&outputs(&mut s));
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, ConnId(2));
    assert_eq!(
        got[0].1["statusResponse"]["errorType"],
        "InvalidArgumentException"
    );
}

#[test]
fn an_undeliverable_message_is_answered_only_when_it_has_a_correlation_id() {
    let Setup { mut s, arn, now } = setup(Config::default());
    s.connect(now, ConnId(2), &arn, viewer("v1")).unwrap();
    s.handle_message(now, ConnId(2), OFFER);
    assert!(outputs(&mut s).is_empty());
    s.handle_message(
        now,
        ConnId(2),
        r#"{"action":"SDP_OFFER","messagePayload":"e30=","correlationId":"k"}"#,
    );
    let got = sent(&outputs(&mut s));
    assert_eq!(got[0].1["statusResponse"]["statusCode"], "404");
    assert_eq!(s.stats().undeliverable, 2);
}

#[test]
fn malformed_messages_are_answered_under_their_correlation_id() {
    let Setup { mut s, arn, now } = setup(Config::default());
    s.connect(now, ConnId(1), &arn, Role::Master).unwrap();
    s.connect(now, ConnId(2), &arn, viewer("v1")).unwrap();
    for bad in [
        r#"{"action":"SDP_OFFER","messagePayload":"!!","correlationId":"a"}"#,
        r#"{"action":"DANCE","messagePayload":"e30=","correlationId":"b"}"#,
        r#"{"action":"SDP_OFFER","correlationId":"c""#,
        "not json at all",
    ] {
        s.handle_message(now, ConnId(2), bad);
    }
    let got = sent(&outputs(&mut s));
    // The master heard nothing; the sender got an answer for the two it could be given.
    assert!(got.iter().all(|(to, _)| *to == ConnId(2)));
    let ids: Vec<&Value> = got
        .iter()
        .map(|(_, v)| &v["statusResponse"]["correlationId"])
        .collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(got[1].1["statusResponse"]["errorType"], "UnknownAction");
    assert_eq!(s.stats().malformed, 4);
}

#[test]
fn a_flood_above_the_rate_is_refused_and_others_are_unaffected() {
    let Setup { mut s, arn, now } = setup(Config::default());
    s.connect(now, ConnId(1), &arn, Role::Master).unwrap();
    s.connect(now, ConnId(2), &arn, viewer("v1")).unwrap();
    s.connect(now, ConnId(3), &arn, viewer("v2")).unwrap();
    for _ in 0..50 {
        s.handle_message(now, ConnId(2), OFFER);
    }
    s.handle_message(now, ConnId(3), OFFER);
    let got = sent(&outputs(&mut s));
    let from_v1 = got
        .iter()
        .filter(|(_, v)| v["senderClientId"] == "v1")
        .count();
    let from_v2 = got
        .iter()
        .filter(|(_, v)| v["senderClientId"] == "v2")
        .count();
    assert_eq!((from_v1, from_v2), (5, 1));
    assert_eq!(s.stats().rate_limited, 45);
    // Candidates have their own budget, and a second later offers flow again.
    let cand = r#"{"action":"ICE_CANDIDATE","messagePayload":"e30="}"#;
    for _ in 0..25 {
        s.handle_message(now, ConnId(2), cand);
    }
    assert_eq!(sent(&outputs(&mut s)).len(), 20);
    s.handle_message(now + Duration::from_secs(1), ConnId(2), OFFER);
    assert_eq!(sent(&outputs(&mut s)).len(), 1);
}

#[test]
fn a_newer_master_replaces_the_older_which_is_told() {
    let Setup { mut s, arn, now } = setup(Config::default());
    s.connect(now, ConnId(1), &arn, Role::Master).unwrap();
    s.connect(now, ConnId(2), &arn, viewer("v1")).unwrap();
    s.connect(now, ConnId(3), &arn, Role::Master).unwrap();
    let out = outputs(&mut s);
    assert_eq!(sent(&out)[0].0, ConnId(1));
    assert_eq!(sent(&out)[0].1["messageType"], "GO_AWAY");
    assert_eq!(closed(&out), [(ConnId(1), CloseReason::Replaced)]);
    // The old master's late close does not remove the new one.
    s.disconnect(ConnId(1));
    s.handle_message(now, ConnId(2), OFFER);
    assert_eq!(sent(&outputs(&mut s))[0].0, ConnId(3));
    assert_eq!(s.stats().replaced, 1);
}

#[test]
fn a_newer_viewer_with_the_same_id_replaces_the_older() {
    let Setup { mut s, arn, now } = setup(Config::default());
    s.connect(now, ConnId(1), &arn, Role::Master).unwrap();
    s.connect(now, ConnId(2), &arn, viewer("v1")).unwrap();
    s.connect(now, ConnId(3), &arn, viewer("v1")).unwrap();
    assert_eq!(
        closed(&outputs(&mut s)),
        [(ConnId(2), CloseReason::Replaced)]
    );
    // Messages from the replaced connection are not delivered.
    s.handle_message(now, ConnId(2), OFFER);
    assert!(outputs(&mut s).is_empty());
    s.handle_message(
        now,
        ConnId(1),
        r#"{"action":"SDP_ANSWER","messagePayload":"e30=","recipientClientId":"v1"}"#,
    );
    assert_eq!(sent(&outputs(&mut s))[0].0, ConnId(3));
}

#[test]
fn viewers_beyond_the_maximum_are_refused() {
    let Setup { mut s, arn, now } = setup(Config {
        max_viewers: 2,
        ..Config::default()
    });
    s.connect(now, ConnId(1), &arn, viewer("a")).unwrap();
    s.connect(now, ConnId(2), &arn, viewer("b")).unwrap();
    let e = s.connect(now, ConnId(3), &arn, viewer("c")).unwrap_err();
    assert_eq!(e, ConnectError::TooManyViewers(2));
    assert_eq!(e.status(), 403);
    // Replacing an existing id is not a new viewer; the master does not count.
    s.connect(now, ConnId(4), &arn, viewer("b")).unwrap();
    s.connect(now, ConnId(5), &arn, Role::Master).unwrap();
    s.disconnect(ConnId(1));
    s.connect(now, ConnId(6), &arn, viewer("c")).unwrap();
}

#[test]
fn connections_to_unknown_channels_are_refused() {
    let Setup { mut s, now, .. } = setup(Config::default());
    let other = ChannelArn::new("us-west-2", "000000000000", "nope", 1).unwrap();
    let e = s.connect(now, ConnId(1), &other, Role::Master).unwrap_err();
    assert_eq!(e.status(), 404);
    assert_eq!(s.stats().connections_refused, 1);
}

#[test]
fn a_silent_connection_is_closed_at_the_idle_timeout() {
    let Setup { mut s, arn, now } = setup(Config::default());
    s.connect(now, ConnId(1), &arn, Role::Master).unwrap();
    s.connect(now, ConnId(2), &arn, viewer("v1")).unwrap();
    // The viewer keeps talking (a pong is enough), the master does not.
    s.handle_activity(now + Duration::from_secs(300), ConnId(2));
    let idle = now + Duration::from_secs(600);
    assert_eq!(s.poll_timeout(), Some(idle));
    s.handle_timeout(idle);
    let out = outputs(&mut s);
    assert_eq!(closed(&out), [(ConnId(1), CloseReason::Idle)]);
    assert_eq!(sent(&out)[0].1["messageType"], "GO_AWAY");
    assert_eq!(s.connections(), 1);
    assert_eq!(s.stats().idle_closed, 1);
}

#[test]
fn an_old_connection_gets_go_away_then_is_closed_at_its_maximum_age() {
    let Setup { mut s, arn, now } = setup(Config {
        idle_timeout: Duration::from_secs(7200),
        ..Config::default()
    });
    s.connect(now, ConnId(1), &arn, Role::Master).unwrap();
    let warn = now + Duration::from_secs(3570);
    assert_eq!(s.poll_timeout(), Some(warn));
    s.handle_timeout(warn);
    let out = outputs(&mut s);
    assert_eq!(sent(&out)[0].1["messageType"], "GO_AWAY");
    assert!(closed(&out).is_empty());
    s.handle_timeout(now + Duration::from_secs(3600));
    assert_eq!(closed(&outputs(&mut s)), [(ConnId(1), CloseReason::MaxAge)]);
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn a_drain_says_go_away_refuses_newcomers_and_closes_after_the_grace() {
    let Setup { mut s, arn, now } = setup(Config::default());
    s.connect(now, ConnId(1), &arn, Role::Master).unwrap();
    s.connect(now, ConnId(2), &arn, viewer("v1")).unwrap();
    s.drain(now);
    let out = outputs(&mut s);
    assert_eq!(sent(&out).len(), 2);
    assert!(closed(&out).is_empty());
    assert_eq!(
        s.connect(now, ConnId(3), &arn, viewer("v2")),
        Err(ConnectError::Draining)
    );
    s.handle_timeout(now + Duration::from_secs(10));
    let mut c = closed(&outputs(&mut s));
    c.sort_by_key(|(id, _)| *id);
    assert_eq!(
        c,
        [
            (ConnId(1), CloseReason::Drained),
            (ConnId(2), CloseReason::Drained)
        ]
    );
}

#[test]
fn deleting_a_channel_closes_its_connections() {
    let Setup { mut s, arn, now } = setup(Config::default());
    s.connect(now, ConnId(1), &arn, Role::Master).unwrap();
    s.delete_channel(&arn).unwrap();
    assert_eq!(
        closed(&outputs(&mut s)),
        [(ConnId(1), CloseReason::ChannelDeleted)]
    );
    assert_eq!(s.connections(), 0);
    assert!(s.poll_timeout().is_none());
}

#[test]
fn everyone_is_told_to_fetch_ice_servers_again() {
    let Setup { mut s, arn, now } = setup(Config::default());
    s.connect(now, ConnId(1), &arn, Role::Master).unwrap();
    s.connect(now, ConnId(2), &arn, viewer("v1")).unwrap();
    s.reconnect_ice_servers();
    let got = sent(&outputs(&mut s));
    assert_eq!(got.len(), 2);
    assert!(
        got.iter()
            .all(|(_, v)| v["messageType"] == "RECONNECT_ICE_SERVER")
    );
}

fn clustered() -> Config {
    Config {
        clustered: true,
        ..Config::default()
    }
}

fn cluster_outputs(s: &mut Signaling) -> Vec<ClusterOutput> {
    std::iter::from_fn(|| s.poll_cluster()).collect()
}

#[test]
fn one_node_alone_tells_the_cluster_nothing() {
    let Setup { mut s, arn, now } = setup(Config::default());
    s.connect(now, ConnId(1), &arn, viewer("v1")).unwrap();
    s.handle_message(now, ConnId(1), OFFER);
    s.disconnect(ConnId(1));
    assert!(s.poll_cluster().is_none());
}

#[test]
fn clustered_joins_and_leaves_are_told_and_a_replaced_connection_leaves_nothing() {
    let Setup { mut s, arn, now } = setup(clustered());
    s.connect(now, ConnId(1), &arn, Role::Master).unwrap();
    s.connect(now, ConnId(2), &arn, Role::Master).unwrap();
    s.disconnect(ConnId(1));
    s.disconnect(ConnId(2));
    let joined = |conn| ClusterOutput::Joined {
        conn: ConnId(conn),
        channel: arn.clone(),
        role: Role::Master,
    };
    assert_eq!(
        cluster_outputs(&mut s),
        [
            joined(1),
            joined(2),
            // Connection 1 was replaced here: the role is 2's, so only 2 leaves it.
            ClusterOutput::Left {
                conn: ConnId(2),
                channel: arn.clone(),
                role: Role::Master
            }
        ]
    );
}

#[test]
fn clustered_a_message_for_someone_not_here_is_forwarded_not_refused() {
    let Setup { mut s, arn, now } = setup(clustered());
    s.connect(now, ConnId(1), &arn, viewer("v1")).unwrap();
    s.connect(now, ConnId(2), &arn, Role::Master).unwrap();
    s.disconnect(ConnId(2));
    cluster_outputs(&mut s);
    s.handle_message(
        now,
        ConnId(1),
        r#"{"action":"SDP_OFFER","messagePayload":"e30=","correlationId":"c1"}"#,
    );
    assert!(outputs(&mut s).is_empty(), "no STATUS_RESPONSE yet");
    let out = cluster_outputs(&mut s);
    let [ClusterOutput::Forward(f)] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!((f.from, &f.to), (ConnId(1), &Role::Master));
    assert_eq!(f.correlation.as_deref(), Some("c1"));
    let text: Value = serde_json::from_str(&f.text).unwrap();
    assert_eq!(
        text["senderClientId"], "v1",
        "the sender is named by this node"
    );
    // No node holds the master: the same answer as on one node.
    s.handle_forward_failed(
        ConnId(1),
        &f.to,
        f.correlation.clone(),
        ForwardFailure::NotConnected,
    );
    let got = sent(&outputs(&mut s));
    assert_eq!(got[0].1["statusResponse"]["statusCode"], "404");
    assert_eq!(
        got[0].1["statusResponse"]["errorType"],
        "RecipientNotConnected"
    );
    // Redis unreachable: 503.
    s.handle_forward_failed(
        ConnId(1),
        &Role::Master,
        Some("c2".into()),
        ForwardFailure::Unavailable,
    );
    let got = sent(&outputs(&mut s));
    assert_eq!(got[0].1["statusResponse"]["statusCode"], "503");
    assert_eq!(s.stats().forwarded, 1);
    assert_eq!(
        (s.stats().undeliverable, s.stats().cluster_unavailable),
        (1, 1)
    );
}

#[test]
fn clustered_a_master_forwards_to_a_viewer_elsewhere_and_viewers_here_stay_local() {
    let Setup { mut s, arn, now } = setup(clustered());
    s.connect(now, ConnId(1), &arn, Role::Master).unwrap();
    s.connect(now, ConnId(2), &arn, viewer("here")).unwrap();
    cluster_outputs(&mut s);
    s.handle_message(
        now,
        ConnId(1),
        r#"{"action":"SDP_ANSWER","messagePayload":"e30=","recipientClientId":"here"}"#,
    );
    assert_eq!(sent(&outputs(&mut s))[0].0, ConnId(2));
    assert!(s.poll_cluster().is_none());
    s.handle_message(
        now,
        ConnId(1),
        r#"{"action":"SDP_ANSWER","messagePayload":"e30=","recipientClientId":"there"}"#,
    );
    let out = cluster_outputs(&mut s);
    let [ClusterOutput::Forward(f)] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(f.to, viewer("there"));
    assert!(
        !f.text.contains("senderClientId"),
        "from the master: no sender id"
    );
}

#[test]
fn messages_from_other_nodes_reach_the_holder_of_the_role_here() {
    let Setup { mut s, arn, now } = setup(clustered());
    s.connect(now, ConnId(1), &arn, Role::Master).unwrap();
    s.handle_remote_message(&arn, &Role::Master, "{\"x\":1}".into());
    assert_eq!(
        outputs(&mut s),
        [Output::Send {
            to: ConnId(1),
            text: "{\"x\":1}".into()
        }]
    );
    // The role moved on: counted and dropped.
    s.handle_remote_message(&arn, &viewer("gone"), "{}".into());
    assert!(outputs(&mut s).is_empty());
    assert_eq!(
        (s.stats().remote_delivered, s.stats().remote_undeliverable),
        (1, 1)
    );
}

#[test]
fn an_eviction_from_another_node_closes_only_the_connection_it_names() {
    let Setup { mut s, arn, now } = setup(clustered());
    s.connect(now, ConnId(1), &arn, Role::Master).unwrap();
    s.connect(now, ConnId(2), &arn, viewer("v1")).unwrap();
    cluster_outputs(&mut s);
    // An older connection's eviction arriving late does nothing.
    s.handle_evict(&arn, &Role::Master, ConnId(9));
    assert!(outputs(&mut s).is_empty());
    s.handle_evict(&arn, &Role::Master, ConnId(1));
    let out = outputs(&mut s);
    assert_eq!(sent(&out)[0].1["messageType"], "GO_AWAY");
    assert_eq!(closed(&out), [(ConnId(1), CloseReason::Replaced)]);
    assert_eq!(
        cluster_outputs(&mut s),
        [ClusterOutput::Left {
            conn: ConnId(1),
            channel: arn.clone(),
            role: Role::Master
        }]
    );
    // The viewer's offer now goes to whoever holds the master elsewhere.
    s.handle_message(now, ConnId(2), OFFER);
    assert!(matches!(
        cluster_outputs(&mut s).as_slice(),
        [ClusterOutput::Forward(_)]
    ));
    assert_eq!(s.connections(), 1);
}

#[test]
fn a_channel_from_the_shared_registry_takes_connections() {
    let Setup { mut s, now, .. } = setup(clustered());
    let other = ChannelArn::new("us-west-2", "000000000000", "gate", 5).unwrap();
    assert!(s.connect(now, ConnId(1), &other, Role::Master).is_err());
    s.adopt_channel(ChannelInfo {
        arn: other.clone(),
        created_ms: 5,
        version: "3".into(),
    });
    s.connect(now, ConnId(1), &other, Role::Master).unwrap();
}
