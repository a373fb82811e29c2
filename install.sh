#!/bin/sh
# Set up pexmail on a fresh Debian or Ubuntu machine:
#   - the system libraries WeasyPrint needs, when they are missing (apt-get);
#   - a virtual environment in .venv with pexmail installed in it.
# Usage: ./install.sh          for users
#        ./install.sh --dev    for developers: editable install and the test tools
set -eu
cd "$(dirname "$0")"

missing=""
packages="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"
# The service's browser tests drive Debian's chromium (Playwright cannot download one here).
[ "${1:-}" = "--dev" ] && packages="$packages chromium"
for package in $packages; do
    dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
done
if [ -n "$missing" ]; then
    if command -v apt-get >/dev/null 2>&1; then
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        echo "Installing system libraries:$missing"
        $sudo apt-get update -qq
        # shellcheck disable=SC2086 # one word per package
        $sudo apt-get install -y -qq --no-install-recommends $missing
    else
        echo "Please install these with your system's package manager:$missing" >&2
    fi
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if [ "${1:-}" = "--dev" ]; then
    .venv/bin/python -m pip install -q -e ".[test]"
else
    .venv/bin/python -m pip install -q .
fi
echo "pexmail is installed in .venv: try  .venv/bin/pexmail render samples/*.csv --out out"
