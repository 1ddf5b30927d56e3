//! wren-relay: a STUN/TURN server that can stand where coturn stood

mod config;

fn main() {
    let config = config::Config::from_args(std::env::args_os()).unwrap_or_else(|e| e.exit());
    if config.print_config {
        print!("{config}");
    }
}
