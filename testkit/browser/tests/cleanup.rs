//! What a test leaves behind: nothing. A namespace is there while its `Netns` lives, holds
//! the veth pair and default route Firefox needs, keeps sockets made in it apart from the
//! host's, and is gone when dropped; a dropped browser leaves no process of its group and no
//! profile. Needs root (namespaces) and firefox-esr (`scripts/install-deps.sh`).
#![allow(clippy::disallowed_methods)] // a real browser: the real clock

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use wren_browser::{Kind, Netns, Page};

/// Runs `ip args` and returns its stdout; panics when it fails.
fn ip(args: &[&str]) -> String {
    let out = Command::new("ip").args(args).output().unwrap();
    assert!(out.status.success(), "ip {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The live processes (zombies left out) whose process group is `group` (from
/// /proc/PID/stat).
fn group_members(group: u32) -> Vec<u32> {
    let mut members = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue; // gone meanwhile
        };
        // After "pid (comm) ": state, ppid, pgrp.
        let Some((_, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let fields: Vec<&str> = rest.split(' ').collect();
        if fields.first() != Some(&"Z") && fields.get(2).and_then(|g| g.parse().ok()) == Some(group)
        {
            members.push(pid);
        }
    }
    members
}

#[test]
fn a_namespace_has_its_default_route_keeps_its_sockets_and_is_deleted_when_dropped() {
    let ns = Netns::new();
    let file = format!("/run/netns/{}", ns.name());
    assert!(Path::new(&file).exists());
    let routes = ip(&["-n", ns.name(), "route", "show", "default"]);
    assert!(routes.contains("dev v0"), "{routes}");
    let addresses = ip(&["-n", ns.name(), "-4", "addr", "show", "dev", "v0"]);
    assert!(
        addresses.contains(&format!("{}/24", Netns::DEFAULT_ADDRESS)),
        "{addresses}"
    );

    // Inside, the namespace's address can be bound and carries a datagram between two
    // sockets; on the host it is no address of ours.
    let target: SocketAddr = (Netns::DEFAULT_ADDRESS, 0).into();
    let (a, b) = ns.run(|| (UdpSocket::bind(target), UdpSocket::bind(target)));
    let (a, b) = (a.unwrap(), b.unwrap());
    a.send_to(b"wren", b.local_addr().unwrap()).unwrap();
    b.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0; 8];
    let (n, from) = b.recv_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"wren"[..], a.local_addr().unwrap()));
    assert!(UdpSocket::bind(target).is_err(), "bound on the host");

    let second = Netns::new();
    assert_ne!(second.name(), ns.name());
    drop(second);
    drop(ns);
    assert!(!Path::new(&file).exists(), "{file} is still there");
}

#[test]
fn a_dropped_firefox_leaves_no_process_and_no_profile() {
    let ns = Netns::new();
    let page = Page::serve_in(
        &ns,
        "<!doctype html><script>fetch('/result', {method: 'POST', body: 'up'})</script>".to_owned(),
    );
    let browser = Kind::Firefox.start_in(&ns, page.url());
    assert_eq!(
        page.report(Duration::from_secs(60)).as_deref(),
        Some("up"),
        "Firefox loads the page served in its namespace"
    );
    let (group, profile) = (browser.id(), browser.profile().to_owned());
    assert!(profile.join("user.js").exists());
    assert!(
        group_members(group).len() > 1,
        "Firefox runs its content processes in its group"
    );

    // Gone when the drop returns: the whole group, not only the process we started.
    drop(browser);
    assert_eq!(group_members(group), Vec::<u32>::new(), "left running");
    assert!(!profile.exists(), "{} is still there", profile.display());
}
