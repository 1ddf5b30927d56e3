//! wren-relay: a STUN/TURN server that can stand where coturn stood

fn main() {}
