#!/usr/bin/env bash
# Builds confide_<version>_<arch>.deb from a release binary, with dpkg-deb
# (Debian's own tool; no cargo plugin to install):
#
#   deploy/build-deb.sh [target/release/confide] [output folder]
#
# The package installs the binary (web app built in), the systemd unit, the
# `confide` account (sysusers.d), /etc/confide/confide.toml (a conffile: an
# upgrade never overwrites the clinic's edits) and the install guide. It does
# not start the service: the configuration needs the clinic's name, address
# and providers first (see /usr/share/doc/confide/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

binary=${1:-target/release/confide}
out=${2:-target/debian}
[ -x "$binary" ] || { echo "no release binary at $binary (cargo build --release)"; exit 1; }
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"

# Stripped: the line tables are for profiling a build, not for a clinic.
install -D -m 0755 "$binary" "$stage/usr/bin/confide"
strip --strip-debug "$stage/usr/bin/confide"
install -D -m 0644 deploy/confide.service "$stage/lib/systemd/system/confide.service"
install -D -m 0644 deploy/confide.sysusers "$stage/usr/lib/sysusers.d/confide.conf"
install -D -m 0640 deploy/confide.toml "$stage/etc/confide/confide.toml"
install -D -m 0644 deploy/README.md "$stage/usr/share/doc/confide/README.md"
install -D -m 0644 deploy/whatsapp-templates.md "$stage/usr/share/doc/confide/whatsapp-templates.md"
# The packaged configuration keeps its data where the unit says.
sed -i 's|^data_dir = "data"|data_dir = "/var/lib/confide"|' "$stage/etc/confide/confide.toml"

mkdir -p "$stage/DEBIAN"
cat >"$stage/DEBIAN/control" <<EOF
Package: confide
Version: $version
Architecture: $arch
Maintainer: Confide <dev@confide.local>
Section: net
Priority: optional
Depends: libc6, systemd
Installed-Size: $(du -sk "$stage" | cut -f1)
Description: video visits for therapy clinics, hosted by the clinic
 Appointments, reminders by e-mail and WhatsApp, and browser video calls
 through the clinic's own server (an SFU with one UDP port per core). A
 drop-in replacement for Twilio Video's rooms API and SDK.
EOF
echo "/etc/confide/confide.toml" >"$stage/DEBIAN/conffiles"
cat >"$stage/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    systemd-sysusers confide.conf
    chgrp confide /etc/confide /etc/confide/confide.toml
    chmod 0750 /etc/confide
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload
    fi
fi
EOF
cat >"$stage/DEBIAN/prerm" <<'EOF'
#!/bin/sh
set -e
if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
    systemctl stop confide.service || true
    systemctl disable confide.service || true
fi
EOF
cat >"$stage/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
fi
# The data in /var/lib/confide is the clinic's: never removed here.
EOF
chmod 0755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/prerm" "$stage/DEBIAN/postrm"

mkdir -p "$out"
package="$out/confide_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$stage" "$package" >/dev/null
echo "$package"
