#!/bin/sh
# make-station-seeds.sh - regenerate the seed corpora of plantca-station's
# fuzz targets (tests/fuzz/fuzz_station_*.c).
#
#   tests/fuzz/make-station-seeds.sh      (from anywhere; needs the openssl CLI)
#
# Writes:
#   tests/fuzz/corpus/fuzz_station_conf/  station.conf files: valid-* parse,
#                                         bad-* are refused with the line and
#                                         message that
#                                         tests/unit/station/bad-station-conf.txt
#                                         gives for each
#
# The corpus directories are emptied first, except for crash-* and regress-*
# files (reproducers kept from fuzzing runs), which are left alone.  A new
# bad-* file of fuzz_station_conf needs its line in bad-station-conf.txt: the
# table test fails on unlisted files, so that every seed has an expected
# outcome.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
conf=$here/corpus/fuzz_station_conf
mkdir -p "$conf"
find "$conf" -maxdepth 1 -type f ! -name 'crash-*' ! -name 'regress-*' -exec rm -f {} +

# ---------------------------------------------------------------- station.conf

c() {    # c NAME PRINTF-FORMAT [ARGS]: one station.conf seed
	name=$1; shift
	# shellcheck disable=SC2059
	printf "$@" >"$conf/$name"
}
head='# plantca-station state; rewritten atomically by plantca-station\n'
seg63=abcdefghij0123456789abcdefghij0123456789abcdefghij0123456789abc
seg64=${seg63}d

c valid-fresh.conf "${head}segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0\n"
c valid-accepted.conf "${head}segment: line3\nnext-request-sequence: 17\nlast-response-sequence: 9\nlast-response-bundle: line3-response-000009\n"
c valid-order-comments.conf '# hand-edited\n\nlast-response-sequence: 0\n\n\n# the segment\nnext-request-sequence: 2\nsegment: line-3\n#\n'
c valid-no-final-lf.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0'
c valid-bounds.conf "segment: $seg63\nnext-request-sequence: 18446744073709551614\nlast-response-sequence: 18446744073709551615\nlast-response-bundle: A.b_c-1\n"

c bad-empty.conf ''
c bad-only-comments.conf '# nothing here\n\n'
c bad-no-segment.conf 'next-request-sequence: 1\nlast-response-sequence: 0\n'
c bad-no-next.conf 'segment: line3\nlast-response-sequence: 0\n'
c bad-no-last.conf 'segment: line3\nnext-request-sequence: 1'
c bad-no-colon.conf 'segment line3\nnext-request-sequence: 1\nlast-response-sequence: 0\n'
c bad-no-space.conf 'segment:line3\nnext-request-sequence: 1\nlast-response-sequence: 0\n'
c bad-crlf.conf 'segment: line3\r\nnext-request-sequence: 1\r\nlast-response-sequence: 0\r\n'
c bad-indented-comment.conf 'segment: line3\n  # indented\nnext-request-sequence: 1\nlast-response-sequence: 0\n'
c bad-segment-upper.conf 'segment: Line3\nnext-request-sequence: 1\nlast-response-sequence: 0\n'
c bad-segment-long.conf "segment: $seg64\nnext-request-sequence: 1\nlast-response-sequence: 0\n"
c bad-segment-empty.conf 'segment: \nnext-request-sequence: 1\nlast-response-sequence: 0\n'
c bad-segment-comment.conf 'segment: line3 # ours\nnext-request-sequence: 1\nlast-response-sequence: 0\n'
c bad-segment-control.conf 'segment: li\033[2Jne3\nnext-request-sequence: 1\nlast-response-sequence: 0\n'
c bad-next-zero.conf 'segment: line3\nnext-request-sequence: 0\nlast-response-sequence: 0\n'
c bad-next-max.conf 'segment: line3\nnext-request-sequence: 18446744073709551615\nlast-response-sequence: 0\n'
c bad-next-plus.conf 'segment: line3\nnext-request-sequence: +1\nlast-response-sequence: 0\n'
c bad-next-space.conf 'segment: line3\nnext-request-sequence:  1\nlast-response-sequence: 0\n'
c bad-next-trailing.conf 'segment: line3\nnext-request-sequence: 1 \nlast-response-sequence: 0\n'
c bad-next-hex.conf 'segment: line3\nnext-request-sequence: 0x10\nlast-response-sequence: 0\n'
c bad-next-empty.conf 'segment: line3\nnext-request-sequence: \nlast-response-sequence: 0\n'
c bad-last-overflow.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 18446744073709551616\n'
c bad-last-negative.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: -1\n'
c bad-last-21-digits.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 000000000000000000001\n'
c bad-dup-segment.conf 'segment: line3\nnext-request-sequence: 1\nsegment: line4\nlast-response-sequence: 0\n'
c bad-dup-last.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 7\nlast-response-sequence: 0\n'
c bad-dup-bundle.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0\nlast-response-bundle: a\nlast-response-bundle: b\n'
c bad-unknown-key.conf 'segment: line3\ncolour: blue\nnext-request-sequence: 1\nlast-response-sequence: 0\n'
c bad-key-case.conf 'Segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0\n'
c bad-key-leading-space.conf ' segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0\n'
c bad-bundle-path.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0\nlast-response-bundle: ../x\n'
c bad-bundle-dotdot.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0\nlast-response-bundle: a..b\n'
c bad-bundle-empty.conf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0\nlast-response-bundle: \n'
c bad-nul.conf 'segment: line3\nnext-request-sequence: 1\000\nlast-response-sequence: 0\n'
# one byte over the cap of 4096 (ST_CONF_MAX)
{ printf 'segment: line3\nnext-request-sequence: 1\nlast-response-sequence: 0\n'
  head -c 4031 /dev/zero | tr '\000' '#'; } >"$conf/bad-too-big.conf"

echo "$(ls "$conf" | wc -l) station.conf seeds in $conf"
