# Shared helpers for scripts/: installing what is missing, finding the repo.
# Sourced, not run.
LMDS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export LMDS_ROOT

# ensure_packages PKG... : installs the Debian packages that are missing, saying so.
ensure_packages() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  echo "==> installing missing Debian packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  if [ -z "${LMDS_APT_UPDATED:-}" ]; then
    $sudo apt-get update -qq
    export LMDS_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  echo "==> installed: ${missing[*]}"
}

# The packages every build and test needs. tzdata is the zone database the daemon checks the config's
# `timeZone` against and the CLI reads local times from (Debian marks it required, but slim images omit it);
# wdutch is the OpenTaal Dutch word list (/usr/share/dict/dutch) that the matcher splits compounds with
# (without it lmdsd still runs, with one log line and no splitting).
LMDS_BUILD_PACKAGES=(liblmdb-dev lmdb-utils pkg-config tzdata wdutch)
# What the integration tests use besides: systemd-socket-activate and systemd-analyze (systemd),
# setpriv (util-linux), python3 and gcc for scripts/bench (its smoke run is part of the tests), and to check what
# scripts/install generates: groff-base renders the man pages, zsh and fish load the completions (about 40 s and
# 25 MB the first time).
# chromium takes the public site's screenshots at 1280 and 375 px (headless) in the site's tests.
# msmtp is the real MTA client lmds-notify hands its e-mail to in the notifier's tests.
LMDS_TEST_PACKAGES=(systemd util-linux python3 python3-pip gcc groff-base zsh fish chromium msmtp)
# From PyPI: html5lib parses every page of the public site as HTML5 in the site's tests; aiosmtpd is the local
# SMTP server the notifier's tests receive e-mail with.
LMDS_TEST_PIP_PACKAGES=(html5lib aiosmtpd)

# ensure_pip_packages NAME... : installs the PyPI packages python3 cannot import yet (module name = package name).
ensure_pip_packages() {
  local missing=()
  for package in "$@"; do
    python3 -c "import $package" 2>/dev/null || missing+=("$package")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  echo "==> installing missing PyPI packages: ${missing[*]}"
  python3 -m pip install -q "${missing[@]}" 2>/dev/null || python3 -m pip install -q --break-system-packages "${missing[@]}"
}

ensure_swift() {
  if ! command -v swift >/dev/null 2>&1; then
    if [ -x /opt/swift/usr/bin/swift ]; then
      export PATH="/opt/swift/usr/bin:$PATH"
    else
      echo "error: swift is not installed (Swift 6.3 toolchain expected at /opt/swift or on PATH)" >&2
      exit 1
    fi
  fi
}
