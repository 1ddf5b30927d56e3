//! Who may connect: SigV4-presigned URLs as the KVS SDKs make them ([`sigv4`]), checked
//! before the WebSocket upgrade.

pub mod sigv4;
