#!/bin/sh
# Installs the Debian 12 packages kgrec needs to build, test and run its demo.
# Skips everything when all are present; needs root (or sudo) otherwise.
set -e
PKGS="build-essential cmake pkg-config git ca-certificates
librdf0-dev libraptor2-dev librasqal3-dev raptor2-utils rasqal-utils redland-utils
libigraph-dev libcurl4-gnutls-dev libcjson-dev check libsubunit-dev libmicrohttpd-dev zlib1g-dev libxgboost-dev libopenblas-dev
libpq-dev postgresql postgresql-client
python3 python3-sparqlwrapper graphviz valgrind time chromium wrk clang libclang-rt-14-dev python3-jsonschema python3-pyld
haproxy strace systemd"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
# The haproxy package enables and starts a service of its own; kgrec's tests start their own
# haproxy on free loopback ports, so the packaged one is stopped and kept from starting at boot.
case " $missing " in
*" haproxy "*)
	$SUDO systemctl disable --now haproxy.service > /dev/null 2>&1 ||
		$SUDO service haproxy stop > /dev/null 2>&1 || true ;;
esac
