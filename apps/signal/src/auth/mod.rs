//! Who may connect: SigV4-presigned URLs as the KVS SDKs make them ([`sigv4`]), or tokens
//! the application hands out ([`token`]), checked
//! before the WebSocket upgrade.

mod mac;
pub mod sigv4;
pub mod token;
