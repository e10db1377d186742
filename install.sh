#!/usr/bin/env bash
# Installs bosun from this source tree: builds it with cargo, copies the
# binary to $PREFIX/bin and the colour themes to the config directory.
# Run it again to upgrade; it is safe to run twice.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: ./install.sh [--help]

Builds bosun (cargo build --release --locked) and installs:
  the binary   to ${PREFIX:-$HOME/.local}/bin/bosun
  the themes   to ${XDG_CONFIG_HOME:-$HOME/.config}/bosun/themes/

Themes you have changed are never overwritten. Running it again upgrades the
binary and the themes you left as installed.

Needs: a Rust toolchain (cargo), a C compiler, pkg-config and the OpenSSL
headers. Missing ones are listed with the command that installs them.

Environment:
  PREFIX            install prefix (default: $HOME/.local)
  XDG_CONFIG_HOME   config directory (default: $HOME/.config)
  CARGO             cargo to use (default: cargo on PATH)
EOF
}

for arg in "$@"; do
    case "$arg" in
        -h | --help)
            usage
            exit 0
            ;;
        *)
            echo "install.sh: unknown argument: $arg (see --help)" >&2
            exit 2
            ;;
    esac
done

if [[ -z "${HOME:-}" ]]; then
    echo "install.sh: HOME is not set; set PREFIX and XDG_CONFIG_HOME or HOME" >&2
    exit 1
fi

script="${BASH_SOURCE[0]}"
if [[ "$script" == */* ]]; then
    src_dir="$(cd "${script%/*}" && pwd)"
else
    src_dir="$(pwd)"
fi
prefix="${PREFIX:-$HOME/.local}"
bin_dir="$prefix/bin"
config_dir="${XDG_CONFIG_HOME:-$HOME/.config}/bosun"
theme_dir="$config_dir/themes"
cargo="${CARGO:-cargo}"

say() { printf '%s\n' "$*"; }

# ── prerequisites ──────────────────────────────────────────────────────────
missing=()
apt_pkgs=()

if ! command -v "$cargo" >/dev/null 2>&1; then
    if [[ -x "$HOME/.cargo/bin/cargo" ]]; then
        missing+=("cargo is installed in ~/.cargo/bin but not on PATH: run  . \"\$HOME/.cargo/env\"  (or open a new shell) and try again")
    else
        missing+=("cargo (the Rust toolchain): install Rust with rustup: https://rustup.rs
      curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh")
    fi
fi

if ! command -v cc >/dev/null 2>&1 && ! command -v gcc >/dev/null 2>&1; then
    missing+=("a C compiler (cc/gcc): sudo apt-get install build-essential
      (Fedora: sudo dnf install gcc; Alpine: sudo apk add build-base)")
    apt_pkgs+=(build-essential)
fi

if ! command -v pkg-config >/dev/null 2>&1; then
    missing+=("pkg-config and the OpenSSL headers: sudo apt-get install pkg-config libssl-dev
      (Fedora: sudo dnf install pkgconf-pkg-config openssl-devel; Alpine: sudo apk add pkgconf openssl-dev)")
    apt_pkgs+=(pkg-config libssl-dev)
elif [[ -z "${OPENSSL_DIR:-}" ]] && ! pkg-config --exists openssl; then
    missing+=("the OpenSSL headers (pkg-config cannot find openssl): sudo apt-get install libssl-dev
      (Fedora: sudo dnf install openssl-devel; Alpine: sudo apk add openssl-dev)")
    apt_pkgs+=(libssl-dev)
fi

if ((${#missing[@]} > 0)); then
    {
        say "install.sh: cannot build bosun yet; missing:"
        for m in "${missing[@]}"; do
            say "  - $m"
        done
        if ((${#apt_pkgs[@]} > 0)); then
            say ""
            say "On Debian/Ubuntu, the system packages in one go:"
            say "  sudo apt-get install ${apt_pkgs[*]}"
        fi
        say ""
        say "Then run ./install.sh again."
    } >&2
    exit 1
fi

# ── build ──────────────────────────────────────────────────────────────────
cd "$src_dir"
say "==> building bosun (cargo build --release --locked) in $src_dir"
"$cargo" build --release --locked

built="$src_dir/target/release/bosun"
if [[ ! -x "$built" ]]; then
    echo "install.sh: the build finished but $built is missing" >&2
    exit 1
fi

# ── binary ─────────────────────────────────────────────────────────────────
mkdir -p "$bin_dir"
dest="$bin_dir/bosun"
if [[ -f "$dest" ]] && cmp -s "$built" "$dest"; then
    bin_result="already up to date: $dest"
else
    # Install next to the target and rename over it, so a running bosun is
    # not disturbed ("text file busy") and a failed copy leaves the old one.
    tmp="$bin_dir/.bosun.install.$$"
    trap 'rm -f "$tmp"' EXIT
    install -m 0755 "$built" "$tmp"
    mv -f "$tmp" "$dest"
    trap - EXIT
    bin_result="installed: $dest"
fi
say "==> binary $bin_result"

# ── themes ─────────────────────────────────────────────────────────────────
# A theme is copied when absent. An existing file is left alone unless it is
# byte-identical to what an earlier run installed (recorded in a manifest of
# checksums), in which case the user did not change it and it is upgraded.
mkdir -p "$theme_dir"
manifest="$theme_dir/.installed.sha256"

checksum() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum <"$1" | cut -d' ' -f1
    else
        cksum <"$1" | cut -d' ' -f1,2
    fi
}

recorded_checksum() { # name -> checksum recorded when we installed it, or ""
    [[ -f "$manifest" ]] || return 0
    awk -v n="$1" '$2 == n { print $1 }' "$manifest" | tail -n 1
}

installed=()
upgraded=()
unchanged=()
kept=()
new_manifest="$(mktemp)"
trap 'rm -f "$new_manifest"' EXIT

shopt -s nullglob
for src in "$src_dir"/themes/*.toml; do
    name="$(basename "$src")"
    dest="$theme_dir/$name"
    sum="$(checksum "$src")"
    if [[ ! -e "$dest" ]]; then
        install -m 0644 "$src" "$dest"
        installed+=("$name")
        printf '%s %s\n' "$sum" "$name" >>"$new_manifest"
    elif cmp -s "$src" "$dest"; then
        unchanged+=("$name")
        printf '%s %s\n' "$sum" "$name" >>"$new_manifest"
    elif [[ -f "$dest" && "$(recorded_checksum "$name")" == "$(checksum "$dest")" ]]; then
        install -m 0644 "$src" "$dest"
        upgraded+=("$name")
        printf '%s %s\n' "$sum" "$name" >>"$new_manifest"
    else
        kept+=("$name")
        # Remember what we last installed, so the file is not mistaken for
        # an untouched copy later.
        old="$(recorded_checksum "$name")"
        if [[ -n "$old" ]]; then
            printf '%s %s\n' "$old" "$name" >>"$new_manifest"
        fi
    fi
done
shopt -u nullglob
install -m 0644 "$new_manifest" "$manifest"
rm -f "$new_manifest"
trap - EXIT

list() { # label, names...
    local label="$1"
    shift
    if (($# > 0)); then
        say "    $label: $*"
    fi
}
say "==> themes in $theme_dir"
list "installed" "${installed[@]}"
list "upgraded" "${upgraded[@]}"
list "already up to date" "${unchanged[@]}"
if ((${#kept[@]} > 0)); then
    list "kept (you changed them; the new version was not copied)" "${kept[@]}"
    say "    to take the shipped version of one: cp $src_dir/themes/<name>.toml $theme_dir/"
fi

# ── done ───────────────────────────────────────────────────────────────────
say ""
say "bosun is installed. Run: bosun --help"
case ":$PATH:" in
    *":$bin_dir:"*) ;;
    *)
        say ""
        say "note: $bin_dir is not on your PATH. Add it, e.g. in ~/.bashrc:"
        say "  export PATH=\"$bin_dir:\$PATH\""
        ;;
esac
