#!/usr/bin/env bash
# Install the programs named on the command line that this machine lacks:
#   redis-server   Redis, which make dev and the tests start
#   initdb         PostgreSQL's server programs (the template's own tests)
#   promtool       Prometheus's rule checker (the template's own tests)
# On Debian or Ubuntu with apt-get (as root, or through sudo), on macOS with
# Homebrew, saying what it installs; anywhere else, one line naming what to
# install, and exit status 1.
set -euo pipefail

has() {
    case "$1" in
        # Debian and Homebrew keep PostgreSQL's server programs off the PATH.
        initdb) command -v initdb >/dev/null ||
            compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null ||
            compgen -G "/opt/homebrew/opt/postgresql@*/bin/initdb" >/dev/null ||
            compgen -G "/usr/local/opt/postgresql@*/bin/initdb" >/dev/null ;;
        *) command -v "$1" >/dev/null ;;
    esac
}

apt_package() {
    case "$1" in
        redis-server) echo redis-server ;;
        initdb) echo postgresql ;;
        promtool) echo prometheus ;;
    esac
}

brew_package() {
    case "$1" in
        redis-server) echo redis ;;
        initdb) echo postgresql@16 ;;
        promtool) echo prometheus ;;
    esac
}

missing=()
for program in "$@"; do
    has "$program" || missing+=("$program")
done
# (Counted without the length operator: its brace and hash open a comment
# for Jinja, which renders this file into every project.)
if [ -z "${missing[*]-}" ]; then
    exit 0
fi

if command -v apt-get >/dev/null; then
    packages=()
    for program in "${missing[@]}"; do packages+=("$(apt_package "$program")"); done
    if [ "$(id -u)" -eq 0 ]; then
        sudo=()
    elif command -v sudo >/dev/null; then
        sudo=(sudo)
    else
        echo "error: ${missing[*]} missing; install them as root: apt-get install ${packages[*]}" >&2
        exit 1
    fi
    echo "Installing ${packages[*]} with apt-get (for ${missing[*]})" >&2
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
elif command -v brew >/dev/null; then
    packages=()
    for program in "${missing[@]}"; do packages+=("$(brew_package "$program")"); done
    echo "Installing ${packages[*]} with Homebrew (for ${missing[*]})" >&2
    brew install --quiet "${packages[@]}"
else
    packages=()
    for program in "${missing[@]}"; do packages+=("$(apt_package "$program")"); done
    echo "error: ${missing[*]} missing; install it with your package manager (Debian's packages: ${packages[*]})" >&2
    exit 1
fi
