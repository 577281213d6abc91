#!/usr/bin/env bash
# Builds the caslite Debian package from a release binary (`make deb`; docs/operations.md "Install").
#   scripts/package/make-deb.sh BINARY VERSION OUTDIR
# Depends is computed by dpkg-shlibdeps from the libraries the binary links (the Swift runtime is linked
# statically: --static-swift-stdlib), never listed by hand.
set -euo pipefail
bin=$1 version=$2 outdir=$3
root=$(cd "$(dirname "$0")/../.." && pwd)
arch=$(dpkg --print-architecture)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pkg=$work/caslite_${version}_${arch}

install -d "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/lib/systemd/system" "$pkg/etc/caslite" "$pkg/usr/share/doc/caslite"
install -m 0755 "$bin" "$pkg/usr/bin/caslite"
strip --strip-unneeded "$pkg/usr/bin/caslite"
install -m 0644 "$root/packaging/caslite.service" "$pkg/lib/systemd/system/caslite.service"
install -m 0644 "$root/packaging/caslite.toml" "$pkg/etc/caslite/caslite.toml"
install -m 0644 "$root/docs/operations.md" "$root/docs/security.md" "$root/README.md" "$pkg/usr/share/doc/caslite/"
"$root/scripts/package/help-text.sh" "$bin" > "$pkg/usr/share/doc/caslite/caslite-help.txt"
install -m 0755 "$root/packaging/debian/postinst" "$root/packaging/debian/prerm" "$root/packaging/debian/postrm" "$pkg/DEBIAN/"
install -m 0644 "$root/packaging/debian/conffiles" "$pkg/DEBIAN/conffiles"

# dpkg-shlibdeps reads a source package's debian/control: give it a minimal one
mkdir -p "$work/src/debian"
printf 'Source: caslite\n\nPackage: caslite\nArchitecture: any\n' > "$work/src/debian/control"
depends=$(cd "$work/src" && dpkg-shlibdeps -O "$pkg/usr/bin/caslite" 2>"$work/shlibdeps.err" | sed -n 's/^shlibs:Depends=//p') \
  || { cat "$work/shlibdeps.err" >&2; exit 1; }
test -n "$depends" || { echo "dpkg-shlibdeps found no dependencies" >&2; cat "$work/shlibdeps.err" >&2; exit 1; }

size=$(du -sk "$pkg" | cut -f1)
cat > "$pkg/DEBIAN/control" <<CONTROL
Package: caslite
Version: $version
Architecture: $arch
Maintainer: caslite developers <caslite@localhost>
Installed-Size: $size
Depends: $depends, passwd, tar
Section: database
Priority: optional
Homepage: https://github.com/caslite/caslite
Description: CAS-style action server: sessions, in-memory tables and action sets
 caslite serves typed in-memory tables and named actions (table, simple, fedSql,
 image, deepLearn, ...) over a JSON-lines protocol and the REST protocol of the
 Python swat client. This package runs it as the systemd service caslite.service
 under the caslite system user, with data in /var/lib/caslite and its
 configuration in /etc/caslite/caslite.toml.
CONTROL
mkdir -p "$outdir"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$outdir/caslite_${version}_${arch}.deb" >/dev/null
echo "$outdir/caslite_${version}_${arch}.deb  (Depends: $depends, passwd, tar)"
