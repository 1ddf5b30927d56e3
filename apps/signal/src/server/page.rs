//! The demo page `GET /` serves to a browser: it joins a channel as master or viewer
//! (`?channel=NAME&role=master|viewer&clientId=ID&relay=1`), asks GetIceServerConfig for the
//! relay's credentials, trickles ICE through this server, and shows the connection state,
//! the selected candidate pair and, on failure, why. With `&report=URL` it also POSTs that
//! state as JSON to URL on every change (how the tests watch it).

/// The page.
pub(crate) const PAGE: &str = include_str!("demo.html");
