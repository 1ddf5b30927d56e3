//! The Lua scripts the link runs, each one round trip and atomic on the Redis server.
//! They build key names from the prefix in `ARGV[1]` (inboxes and node keys of other
//! nodes), so they need a standalone Redis (or one primary), not Redis Cluster.

use redis::Script;

/// `KEYS[1]` a member key. `ARGV`: prefix, our registration `node/conn`, TTL in ms, inbox
/// length, our node id, channel ARN, role text. Sets the registration; when it replaced
/// another node's live one, that node's inbox gets an `evict` entry. Returns the old value.
pub(crate) const REGISTER: &str = r"
local old = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if old and old ~= ARGV[2] then
  local node, conn = string.match(old, '^(.*)/(%d+)$')
  if node and node ~= ARGV[5] and redis.call('EXISTS', ARGV[1] .. 'node:' .. node) == 1 then
    redis.call('XADD', ARGV[1] .. 'inbox:' .. node, 'MAXLEN', '~', ARGV[4], '*',
      'kind', 'evict', 'channel', ARGV[6], 'to', ARGV[7], 'conn', conn)
  end
end
return old
";

/// `KEYS[1]` a member key; `ARGV[1]` our registration. Deletes it if it is still ours.
pub(crate) const UNREGISTER: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// `KEYS[1]` the recipient's member key. `ARGV`: prefix, inbox length, channel ARN, role
/// text, event text. Appends a `msg` entry to the inbox of the node holding the role, if it
/// is alive; returns the entry id, or nil when no live node holds it.
pub(crate) const FORWARD: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then return false end
local node = string.match(v, '^(.*)/%d+$')
if not node or redis.call('EXISTS', ARGV[1] .. 'node:' .. node) == 0 then return false end
return redis.call('XADD', ARGV[1] .. 'inbox:' .. node, 'MAXLEN', '~', ARGV[2], '*',
  'kind', 'msg', 'channel', ARGV[3], 'to', ARGV[4], 'text', ARGV[5])
";

/// `KEYS`: member keys we hold. `ARGV`: prefix, our node id, TTL in ms, then our
/// registration for each key. Marks the node alive, keeps its inbox, and refreshes each
/// registration that is still ours or has gone (expired, or Redis restarted empty); one
/// that another node took is left alone (its eviction is on its way to us).
pub(crate) const HEARTBEAT: &str = r"
redis.call('SET', ARGV[1] .. 'node:' .. ARGV[2], '1', 'PX', ARGV[3])
redis.call('SADD', ARGV[1] .. 'nodes', ARGV[2])
redis.call('PEXPIRE', ARGV[1] .. 'inbox:' .. ARGV[2], ARGV[3] * 4)
for i, k in ipairs(KEYS) do
  local cur = redis.call('GET', k)
  if not cur or cur == ARGV[3 + i] then
    redis.call('SET', k, ARGV[3 + i], 'PX', ARGV[3])
  end
end
return #KEYS
";

/// `KEYS[1]` the channels hash, `KEYS[2]` the version counter. `ARGV`: name, ARN, created
/// ms, channel limit. Returns `{'exists'}`, `{'full'}` or `{'ok', version}`.
pub(crate) const CREATE_CHANNEL: &str = r"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return {'exists'} end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then return {'full'} end
local v = tostring(redis.call('INCR', KEYS[2]))
redis.call('HSET', KEYS[1], ARGV[1], v .. '|' .. ARGV[3] .. '|' .. ARGV[2])
return {'ok', v}
";

/// `KEYS[1]` the channels hash. `ARGV`: prefix, inbox length, name, ARN. Deletes the
/// channel if it has that ARN and tells every live node (a `deleted` entry in each inbox,
/// ours too); returns the deleted value or nil.
pub(crate) const DELETE_CHANNEL: &str = r"
local v = redis.call('HGET', KEYS[1], ARGV[3])
if not v or string.sub(v, -string.len(ARGV[4])) ~= ARGV[4] then return false end
redis.call('HDEL', KEYS[1], ARGV[3])
for _, n in ipairs(redis.call('SMEMBERS', ARGV[1] .. 'nodes')) do
  if redis.call('EXISTS', ARGV[1] .. 'node:' .. n) == 1 then
    redis.call('XADD', ARGV[1] .. 'inbox:' .. n, 'MAXLEN', '~', ARGV[2], '*',
      'kind', 'deleted', 'channel', ARGV[4])
  else
    redis.call('SREM', ARGV[1] .. 'nodes', n)
  end
end
return v
";

/// The scripts, hashed once (redis-rs sends `EVALSHA`, and the source on `NOSCRIPT`, as
/// after a Redis restart).
pub(crate) struct Scripts {
    pub(crate) register: Script,
    pub(crate) unregister: Script,
    pub(crate) forward: Script,
    pub(crate) heartbeat: Script,
    pub(crate) create_channel: Script,
    pub(crate) delete_channel: Script,
}

impl Scripts {
    pub(crate) fn new() -> Scripts {
        Scripts {
            register: Script::new(REGISTER),
            unregister: Script::new(UNREGISTER),
            forward: Script::new(FORWARD),
            heartbeat: Script::new(HEARTBEAT),
            create_channel: Script::new(CREATE_CHANNEL),
            delete_channel: Script::new(DELETE_CHANNEL),
        }
    }
}
