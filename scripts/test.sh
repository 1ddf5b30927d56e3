#!/usr/bin/env bash
# Wren's test command (the one README.md gives, and .ci/run calls): ./scripts/test.sh
#
#   1. install the third-party peers the tests talk to (scripts/install-deps.sh)
#   2. cargo fmt --all --check
#   3. cargo clippy --workspace --all-targets -- -D warnings
#      (clippy.toml's disallowed-methods keep clocks and global RNGs out of proto/)
#   4. no crate under proto/ (nor wren-media) depends on tokio or mio (DESIGN.md: the sans-IO
#      contract)
#   5. the tests: cargo nextest when installed (plus doctests, which nextest skips),
#      cargo test otherwise
#   6. rustdoc with warnings as errors (broken links, missing docs)
#   7. cargo check of the fuzz targets, when fuzz/Cargo.toml exists
#
# Stops at the first failing step.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

section() { printf '\n==> %s\n' "$*"; }
fail() {
    printf '\ntest.sh: FAILED: %s\n' "$*" >&2
    exit 1
}

section "install test dependencies (scripts/install-deps.sh)"
bash scripts/install-deps.sh

section "format: cargo fmt --all --check"
cargo fmt --all --check || fail "formatting differs; run: cargo fmt --all"

section "lint: cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

section "sans-IO: no proto/ crate depends on tokio or mio"
checked=0
for manifest in proto/*/Cargo.toml media/Cargo.toml; do
    [ -f "$manifest" ] || continue
    pkg=$(sed -n 's/^name[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$manifest" | head -n 1)
    [ -n "$pkg" ] || fail "cannot read the package name in $manifest"
    tree=$(cargo tree -q -e normal --all-features --target all --prefix none -p "$pkg")
    bad=$(printf '%s\n' "$tree" | grep -E '^(tokio|mio) v' | sort -u || true)
    if [ -n "$bad" ]; then
        printf '%s (%s) depends on:\n%s\n' "$pkg" "$manifest" "$bad" >&2
        for dep in $(printf '%s\n' "$bad" | cut -d' ' -f1 | sort -u); do
            printf '\nhow %s comes in (cargo tree -e normal -i %s):\n' "$dep" "$dep" >&2
            cargo tree -q -e normal --all-features --target all -p "$pkg" -i "$dep" >&2 || true
        done
        fail "$pkg depends on tokio/mio; protocol crates must stay sans-IO (DESIGN.md)"
    fi
    echo "ok: $pkg"
    checked=$((checked + 1))
done
[ "$checked" -gt 0 ] || fail "found no crate under proto/"

if cargo nextest --version >/dev/null 2>&1; then
    section "tests: cargo nextest run --workspace"
    cargo nextest run --workspace
    section "doctests: cargo test --workspace --doc"
    cargo test --workspace --doc
else
    section "tests: cargo test --workspace (cargo-nextest not installed)"
    cargo test --workspace
fi

section "docs: cargo doc --no-deps --workspace (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace --quiet

if [ -f fuzz/Cargo.toml ]; then
    section "fuzz targets build: cargo check --manifest-path fuzz/Cargo.toml"
    cargo check --manifest-path fuzz/Cargo.toml
else
    section "fuzz targets: none yet (no fuzz/Cargo.toml)"
fi

section "all checks passed"
