//! The page `GET /` serves to a browser: what this server is and how to reach its API.

/// The page.
pub(crate) const PAGE: &str = r#"<!doctype html>
<meta charset="utf-8">
<title>wren-signal</title>
<h1>wren-signal</h1>
<p>A signaling server with the Kinesis Video Streams channel model. Point a KVS SDK's
endpoint here: the control-plane operations are <code>POST /createSignalingChannel</code>,
<code>/describeSignalingChannel</code>, <code>/listSignalingChannels</code>,
<code>/deleteSignalingChannel</code>, <code>/getSignalingChannelEndpoint</code> and
<code>/v1/get-ice-server-config</code>; connect a WebSocket to <code>/?X-Amz-ChannelARN=...</code>
(plus <code>&amp;X-Amz-ClientId=...</code> for a viewer). Counters are at
<a href="/metrics">/metrics</a>.</p>
"#;
