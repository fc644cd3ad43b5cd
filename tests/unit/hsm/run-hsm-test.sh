#!/bin/bash
# run-hsm-test.sh SOFTHSM-TOKEN-SCRIPT TEST-BINARY MODULE
#
# Gives the test its own SoftHSM2 token directory (two processes on one
# token directory can collide), plus two tokens sharing the label "twin"
# for the "more than one token matches" case.  Exit 77 (skip), saying why,
# when the module or openssl (the independent judge of keys and
# signatures) is not installed.
set -euo pipefail

tokscript=$1
exe=$2
module=$3
label="plantca test"

if [ ! -e "$module" ]; then
	echo "SKIP: PKCS#11 module $module not installed (apt-get install softhsm2)" >&2
	exit 77
fi
if ! command -v openssl >/dev/null; then
	echo "SKIP: openssl not installed: it judges the token's keys and signatures" >&2
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/plantca-hsm.XXXXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

eval "$("$tokscript" "$tmp/token" "$label")"
for i in 1 2; do
	softhsm2-util --init-token --free --label twin --so-pin "so-twin-$i" \
		--pin "user-twin-$i" >/dev/null
done
mkdir "$tmp/work"
"$exe" "$module" "$label" "$tmp/token/pin" "$tmp/work" twin
