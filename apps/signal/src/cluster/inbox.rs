//! The inbox reader: its own Redis connection (an `XREAD BLOCK` holds the connection it
//! runs on, so it cannot share the link's), reading this node's stream after its
//! [`Cursor`] and handing each entry to the machine's task once. After Redis goes away it
//! reconnects with backoff and reads on from the same cursor: nothing is read twice, and
//! what was appended meanwhile is not skipped.

use std::sync::Arc;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use tokio::sync::mpsc;

use super::Event;
use super::backoff::Backoff;
use super::entry::{Cursor, Entry, StreamId};
use super::error::ClusterError;
use super::keys::{self, NodeId};
use super::stats::ClusterStats;

/// How long one `XREAD` blocks.
const BLOCK: Duration = Duration::from_millis(1000);
/// Entries per `XREAD`.
const COUNT: usize = 256;

/// `XREAD`'s answer: per stream, its entries (id, flat field/value list).
type ReadReply = Option<Vec<(String, Vec<(String, Vec<String>)>)>>;

/// Reads node `node`'s inbox until the machine's task is gone.
pub(crate) async fn run(
    client: redis::Client,
    node: NodeId,
    stats: Arc<ClusterStats>,
    events: mpsc::Sender<Event>,
) {
    let key = keys::inbox(&node);
    let mut cursor: Option<Cursor> = None;
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
    let mut was_down = false;
    loop {
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(BLOCK + Duration::from_secs(4)));
        let mut conn = match client
            .get_multiplexed_async_connection_with_config(&config)
            .await
        {
            Ok(c) => c,
            Err(e) => {
                ClusterStats::add(&stats.redis_errors);
                let wait = backoff.fail();
                tracing::debug!(error = %e, retry_in = ?wait, "inbox reader: redis unreachable");
                tokio::time::sleep(wait).await;
                continue;
            }
        };
        backoff.reset();
        if was_down {
            tracing::info!(%node, "inbox reader: redis reachable again, reading on");
        }
        let c = match cursor {
            Some(c) => c,
            None => match start(&mut conn, &key).await {
                Ok(c) => *cursor.insert(c),
                Err(e) => {
                    ClusterStats::add(&stats.redis_errors);
                    tracing::debug!(error = %e, "inbox reader: cannot find the inbox's end");
                    tokio::time::sleep(backoff.fail()).await;
                    continue;
                }
            },
        };
        let mut c = c;
        let e = loop {
            let reply: ReadReply = match redis::cmd("XREAD")
                .arg("COUNT")
                .arg(COUNT)
                .arg("BLOCK")
                .arg(u64::try_from(BLOCK.as_millis()).unwrap_or(1000))
                .arg("STREAMS")
                .arg(&key)
                .arg(c.last().to_string())
                .query_async(&mut conn)
                .await
            {
                Ok(r) => r,
                Err(e) => break ClusterError::from_redis(&e),
            };
            for (_, entries) in reply.into_iter().flatten() {
                for (id, flat) in entries {
                    let Some(id) = StreamId::parse(&id) else {
                        continue;
                    };
                    if !c.advance(id) {
                        continue;
                    }
                    cursor = Some(c);
                    let fields: Vec<(String, String)> = flat
                        .chunks_exact(2)
                        .map(|kv| (kv[0].clone(), kv[1].clone()))
                        .collect();
                    let Some(entry) = Entry::parse(&fields) else {
                        tracing::warn!(%id, "inbox reader: dropped a malformed entry");
                        continue;
                    };
                    match &entry {
                        Entry::Message { .. } => ClusterStats::add(&stats.received),
                        Entry::Evict { .. } => ClusterStats::add(&stats.evictions),
                        Entry::Deleted { .. } => {}
                    }
                    if events.send(Event::Entry(entry)).await.is_err() {
                        return;
                    }
                }
            }
            if events.is_closed() {
                return;
            }
        };
        ClusterStats::add(&stats.redis_errors);
        was_down = true;
        tracing::debug!(error = %e, "inbox reader: lost redis; reconnecting");
        tokio::time::sleep(backoff.fail()).await;
    }
}

/// The cursor of a reader that starts now: after the inbox's last entry (a node restarted
/// with the same id does not take what its previous run already took), or from the start.
async fn start(conn: &mut MultiplexedConnection, key: &str) -> Result<Cursor, ClusterError> {
    let last: Vec<(String, Vec<String>)> = redis::cmd("XREVRANGE")
        .arg(key)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query_async(conn)
        .await
        .map_err(|e| ClusterError::from_redis(&e))?;
    Ok(Cursor::after(
        last.first()
            .and_then(|(id, _)| StreamId::parse(id))
            .unwrap_or_default(),
    ))
}
