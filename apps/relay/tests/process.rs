//! The relay as a process: clean shutdown on SIGINT and SIGTERM, and clear errors for bad
//! configuration.

mod common;

use std::time::Duration;

use common::{free_port, relay, run};

#[test]
fn stops_cleanly_on_sigterm_and_sigint() {
    for signal in ["TERM", "INT"] {
        let mut relay = relay(free_port(), &[]);
        let status = relay.signal_and_wait(signal, Duration::from_secs(10));
        let status =
            status.unwrap_or_else(|| panic!("no exit after SIG{signal}:\n{}", relay.output()));
        assert!(
            status.success(),
            "exit status {status:?} after SIG{signal}:\n{}",
            relay.output()
        );
        relay.wait_for_output("stopped", Duration::from_secs(1));
    }
}

#[test]
fn a_bad_config_file_is_refused_with_its_line_number() {
    let dir = std::env::temp_dir().join(format!("wren-relay-conf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("turnserver.conf");
    std::fs::write(
        &path,
        "# comment\nlistening-port=3478\nlistening-prot=3479\n",
    )
    .unwrap();
    let (code, out) = run(
        env!("CARGO_BIN_EXE_wren-relay"),
        &["-c", path.to_str().unwrap()],
        Duration::from_secs(10),
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert_ne!(code, Some(0));
    assert!(
        out.contains("turnserver.conf:3"),
        "no line number in:\n{out}"
    );
    assert!(out.contains("listening-port"), "no suggestion in:\n{out}");
}

#[test]
fn a_port_in_use_is_a_clear_error() {
    let port = free_port();
    let _holder = std::net::UdpSocket::bind(("127.0.0.1", port)).unwrap();
    let (code, out) = run(
        env!("CARGO_BIN_EXE_wren-relay"),
        &["-L", "127.0.0.1", "-p", &port.to_string()],
        Duration::from_secs(10),
    );
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("cannot listen on UDP 127.0.0.1:{port}")),
        "{out}"
    );
}

#[test]
fn log_file_no_stdout_log_and_pidfile() {
    let dir = std::env::temp_dir().join(format!("wren-relay-logs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("relay.log");
    let pid = dir.join("relay.pid");
    let mut relay = relay(
        free_port(),
        &[
            "--log-file",
            log.to_str().unwrap(),
            "--no-stdout-log",
            "--pidfile",
            pid.to_str().unwrap(),
        ],
    );
    let written = std::fs::read_to_string(&pid).expect("the pid file exists while running");
    assert_eq!(written.trim(), relay.pid().to_string());
    let status = relay
        .signal_and_wait("TERM", Duration::from_secs(10))
        .expect("exits on SIGTERM");
    assert!(status.success());
    let text = std::fs::read_to_string(&log).expect("the log file was written");
    assert!(
        text.contains("listening on UDP") && text.contains("stopped"),
        "{text}"
    );
    assert!(
        !relay.output().contains("listening on UDP"),
        "no-stdout-log: {}",
        relay.output()
    );
    assert!(!pid.exists(), "the pid file is removed at exit");
    std::fs::remove_dir_all(&dir).unwrap();
}
