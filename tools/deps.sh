#!/bin/sh
# Installs the Debian 12 packages mod_eas needs to build, run and test. As root it runs apt-get;
# otherwise it prints the command and stops if anything is missing.
PKGS="build-essential apache2 apache2-dev apache2-utils libapr1-dev libaprutil1-dev libxml2-dev
libxml2-utils libpq-dev postgresql postgresql-client libssl-dev python3 python3-pytest curl
libwbxml2-utils libwbxml2-dev clang libclang-rt-14-dev pkg-config clang-format libgmime-3.0-dev
libical-dev tzdata openssl python3-cryptography chromium chromium-driver python3-selenium"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "mod_eas needs these packages:$missing"
    echo "run: sudo apt-get update && sudo apt-get install -y$missing"
    exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
# Debian starts a system-wide apache2/postgresql on install; this project runs its own instances.
