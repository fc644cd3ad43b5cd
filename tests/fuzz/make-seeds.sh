#!/bin/sh
# make-seeds.sh - regenerate the seed corpora of the fuzz targets.
#
#   tests/fuzz/make-seeds.sh            (from anywhere; needs the openssl CLI)
#
# Writes:
#   tests/fuzz/keys/*.pem           throw-away TEST keys (generated only if
#                                   missing, so that reruns give the same
#                                   requests).  Never use them for anything.
#   tests/fuzz/corpus/fuzz_csr/     CSRs, good and bad (see csr-cases.txt in
#                                   tests/unit/x509/ for what each must give)
#   tests/fuzz/corpus/fuzz_pem/     PEM blocks, good and bad
#   tests/fuzz/corpus/fuzz_der/     certificates, names and broken DER
#
# Determinism: with the committed keys, RSA and Ed25519 requests come out
# byte-identical on every run; ECDSA signatures use a random nonce and the
# self-signed certificates carry the current date, so those files change.
# The corpus directories are emptied first, except for crash-* and regress-*
# files (reproducers kept from fuzzing runs), which are left alone.
#
# A new file in corpus/fuzz_csr/ needs a line in tests/unit/x509/csr-cases.txt:
# the table test fails on unlisted files so that every seed has an expected
# outcome.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
keys=$here/keys
csr=$here/corpus/fuzz_csr
pem=$here/corpus/fuzz_pem
der=$here/corpus/fuzz_der
mkdir -p "$keys" "$csr" "$pem" "$der"
# start from clean corpora, keeping fuzzing reproducers
find "$csr" "$pem" "$der" -maxdepth 1 -type f ! -name 'crash-*' ! -name 'regress-*' \
    -exec rm -f {} +

work=$(mktemp -d "${TMPDIR:-/tmp}/plantca-seeds-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

export OPENSSL_CONF=/dev/null    # no site defaults sneaking into requests

# ---------------------------------------------------------------- keys

key() {    # key NAME openssl-genpkey-args...
	name=$1; shift
	[ -f "$keys/$name.pem" ] || openssl genpkey "$@" -out "$keys/$name.pem" 2>/dev/null
}
key p256 -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve
key p384 -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve
key rsa2048 -algorithm RSA -pkeyopt rsa_keygen_bits:2048
key rsa3072 -algorithm RSA -pkeyopt rsa_keygen_bits:3072
key rsa1024 -algorithm RSA -pkeyopt rsa_keygen_bits:1024
key ed25519 -algorithm ED25519
key ed448 -algorithm ED448
key secp256k1 -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -pkeyopt ec_param_enc:named_curve
# RSA public exponents at and beyond the bounds (odd, 3 <= e < 2^32)
key rsa2048-e3 -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:3
key rsa2048-e2p32m1 -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:4294967295
key rsa2048-e2p32p1 -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:4294967297
key rsa4096 -algorithm RSA -pkeyopt rsa_keygen_bits:4096
# explicit curve parameters (RFC 5480 forbids them; we must refuse)
[ -f "$keys/p256-explicit.pem" ] ||
	openssl ecparam -name prime256v1 -param_enc explicit -genkey -noout \
	    -out "$keys/p256-explicit.pem"
# compressed point encoding (we accept uncompressed points only)
[ -f "$keys/p256-compressed.pem" ] ||
	openssl ec -in "$keys/p256.pem" -conv_form compressed \
	    -out "$keys/p256-compressed.pem" 2>/dev/null

# ---------------------------------------------------------------- helpers

cat > "$work/req.cnf" <<'EOF'
[req]
distinguished_name = dn
[dn]
[dirname_ext]
subjectAltName = dirName:dir_sect
[dir_sect]
CN = Directory Name
EOF

# req KEY OUT.der [openssl req args...]: a DER request
req() {
	k=$1; out=$2; shift 2
	openssl req -new -config "$work/req.cnf" -key "$keys/$k.pem" -outform DER \
	    -out "$out" "$@"
}

to_pem() {    # to_pem IN.der OUT.pem
	openssl req -inform DER -in "$1" -outform PEM -out "$2"
}

# flip the last byte of a file (the last octet of the signature BIT STRING)
flip_last() {    # flip_last IN OUT
	n=$(wc -c < "$1")
	head -c $((n - 1)) "$1" > "$2"
	last=$(tail -c 1 "$1" | od -An -tu1 | tr -d ' ')
	# shellcheck disable=SC2059
	printf "$(printf '\\%03o' $((last ^ 1)))" >> "$2"
}

patch_byte() {    # patch_byte FILE OFFSET DECIMAL-VALUE
	# shellcheck disable=SC2059
	printf "$(printf '\\%03o' "$3")" |
	    dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# offset of the version INTEGER's content: first INTEGER in asn1parse output
version_offset() {
	openssl asn1parse -inform DER -in "$1" |
	    awk -F'[: =]+' '/prim: INTEGER/ { print $2 + 2; exit }'
}

# ---------------------------------------------------------------- good CSRs

sans='subjectAltName=DNS:host.example,DNS:*.wild.example,IP:192.0.2.7,IP:2001:db8::7,URI:urn:example:plant:7,email:ops@example.com'
for k in p256 p384 rsa2048 rsa3072 ed25519; do
	case $k in
	p256) kt=ec-p256 ;; p384) kt=ec-p384 ;; ed25519) kt=ed25519 ;;
	rsa*) kt=rsa-${k#rsa} ;;
	esac
	req "$k" "$csr/good-$kt.der" -subj "/C=DE/O=Plant/CN=$kt"
	to_pem "$csr/good-$kt.der" "$csr/good-$kt.pem"
	req "$k" "$csr/good-$kt-san.der" -subj "/C=DE/O=Plant/CN=$kt san" -addext "$sans"
	to_pem "$csr/good-$kt-san.der" "$csr/good-$kt-san.pem"
done
# an empty subject with SANs only
req p256 "$csr/good-empty-subject.der" -subj / -addext 'subjectAltName=DNS:only.example'
# other spellings of the same thing
sed 's/$/\r/' "$csr/good-ec-p256.pem" > "$csr/good-crlf.pem"
openssl req -in "$csr/good-ec-p256-san.pem" -text > "$csr/good-text-before.pem"
sed 's/CERTIFICATE REQUEST/NEW CERTIFICATE REQUEST/' "$csr/good-ed25519.pem" \
    > "$csr/good-new-label.pem"
{ cat "$csr/good-rsa-2048.pem"; printf '\n\n  \n'; } > "$csr/good-trailing-space.pem"

# ---------------------------------------------------------------- bad CSRs

# proof of possession: one bit of the signature flipped
for kt in ec-p256 rsa-2048 ed25519; do
	flip_last "$csr/good-$kt.der" "$csr/bad-sig-$kt.der"
done
flip_last "$csr/good-ec-p384.der" "$work/s.der"
to_pem "$work/s.der" "$csr/bad-sig-ec-p384.pem"
# a signed field changed after signing: the version 0 -> 1
cp "$csr/good-ec-p256.der" "$csr/bad-version.der"
patch_byte "$csr/bad-version.der" "$(version_offset "$csr/bad-version.der")" 1

# a signed byte changed: one letter of the subject's CN
cp "$csr/good-ec-p256.der" "$csr/bad-sig-subject.der"
cn=$(openssl asn1parse -inform DER -in "$csr/bad-sig-subject.der" |
    awk -F'[: =]+' '/UTF8STRING/ { o = $2 } END { print o + 2 }')
patch_byte "$csr/bad-sig-subject.der" "$cn" 102    # 'e' -> 'f'

# truncation at several points
src=$csr/good-ec-p256-san.der
n=$(wc -c < "$src")
for cut in 1 2 4 30; do
	head -c "$cut" "$src" > "$csr/bad-truncated-$cut.der"
done
# (ECDSA signatures vary in length: name these by position, not size)
head -c $((n / 2)) "$src" > "$csr/bad-truncated-half.der"
head -c $((n - 1)) "$src" > "$csr/bad-truncated-last.der"
head -n 5 "$csr/good-ec-p256-san.pem" > "$csr/bad-truncated.pem"
# trailing bytes after the DER request
{ cat "$csr/good-ec-p256.der"; printf '\000'; } > "$csr/bad-trailing-nul.der"
{ cat "$csr/good-ec-p256.der"; printf 'x'; } > "$csr/bad-trailing-x.der"

# keys we refuse
req p256-explicit "$csr/bad-ec-explicit.der" -subj /CN=explicit
to_pem "$csr/bad-ec-explicit.der" "$csr/bad-ec-explicit.pem"
req p256-compressed "$csr/bad-ec-compressed.der" -subj /CN=compressed
req secp256k1 "$csr/bad-ec-secp256k1.der" -subj /CN=k1
req rsa1024 "$csr/bad-rsa-1024.der" -subj /CN=weak
to_pem "$csr/bad-rsa-1024.der" "$csr/bad-rsa-1024.pem"
req ed448 "$csr/bad-ed448.der" -subj /CN=ed448
# RSA public exponents: OpenSSL makes the ones it can; mkcsr_rsa_e.py the
# rest, correctly self-signed where an inverse exists (a 4088-bit exponent
# of a 4096-bit key: 200 times the verification cost of e = 65537)
req rsa2048-e3 "$csr/good-rsa-e3.der" -subj "/C=DE/O=Plant/CN=rsa e3"
req rsa2048-e2p32m1 "$csr/good-rsa-e-2p32m1.der" -subj "/C=DE/O=Plant/CN=rsa e max"
req rsa2048-e2p32p1 "$csr/bad-rsa-e-2p32p1.der" -subj "/C=DE/O=Plant/CN=rsa e over"
mkcsr_e="python3 $here/../tools/mkcsr_rsa_e.py"
$mkcsr_e "$keys/rsa4096.pem" --e-bits 4088 --country DE --org Plant --subject "rsa e 4088 bits" \
    -o "$csr/bad-rsa-e-4088.der"
$mkcsr_e "$keys/rsa2048.pem" --e 65536 --country DE --org Plant --subject "rsa e even" \
    -o "$csr/bad-rsa-e-even.der"
$mkcsr_e "$keys/rsa2048.pem" --e 1 --country DE --org Plant --subject "rsa e 1" \
    -o "$csr/bad-rsa-e-1.der"

# requested extensions: a critical one we do not know is refused by name; a
# critical one we know (the profile decides it anyway) is not
req p256 "$csr/bad-ext-critical-unknown.der" -subj "/C=DE/O=Plant/CN=critical" \
    -addext '1.3.6.1.4.1.55555.1=critical,ASN1:NULL'
req p256 "$csr/good-ext-critical-ku.der" -subj "/C=DE/O=Plant/CN=critical ku" \
    -addext 'keyUsage=critical,digitalSignature'

# SANs we refuse
req p256 "$csr/bad-san-othername.der" -subj /CN=other \
    -addext 'subjectAltName=otherName:1.3.6.1.4.1.311.20.2.3;UTF8:user@example.com'
req p256 "$csr/bad-san-dirname.der" -subj /CN=dir -reqexts dirname_ext
req p256 "$csr/bad-san-rid.der" -subj /CN=rid -addext 'subjectAltName=RID:1.2.3.4'
# raw SAN values (DER: keeps openssl from checking them first)
req p256 "$csr/bad-san-ip5.der" -subj /CN=ip5 \
    -addext 'subjectAltName=DER:300787050102030405'
req p256 "$csr/bad-san-dns.der" -subj /CN=dns \
    -addext 'subjectAltName=DER:300a8208666f6f2e2e626172'
req p256 "$csr/bad-san-space.der" -subj /CN=space \
    -addext 'subjectAltName=DER:30098207612062632e6465'
req p256 "$csr/bad-san-empty.der" -subj /CN=empty \
    -addext 'subjectAltName=DER:30028200'
many=$(i=0; while [ $i -le 64 ]; do printf 'DNS:n%d.example,' $i; i=$((i + 1)); done)
req p256 "$csr/bad-san-too-many.der" -subj /CN=many -addext "subjectAltName=${many%,}"

# not a request at all
: > "$csr/bad-empty"
head -c 4096 /dev/zero | openssl enc -aes-128-ctr -nosalt \
    -K 00112233445566778899aabbccddeeff -iv 00000000000000000000000000000000 \
    > "$csr/bad-garbage-4k"
printf 'hello, I am not a CSR\n' > "$csr/bad-text"

# PEM trouble
sed 's/CERTIFICATE REQUEST/CERTIFICATE/' "$csr/good-ec-p256.pem" > "$csr/bad-pem-label.pem"
cat "$csr/good-ec-p256.pem" "$csr/good-ec-p384.pem" > "$csr/bad-pem-two-blocks.pem"
{ cat "$csr/good-ec-p256.pem"; echo 'trailing text'; } > "$csr/bad-pem-trailing-text.pem"
sed '2s/^\(....\)/\1*/' "$csr/good-ec-p256.pem" > "$csr/bad-pem-base64.pem"
sed '/^-----END/d' "$csr/good-ec-p256.pem" > "$csr/bad-pem-no-end.pem"
# a well-formed PEM block holding a DER request with trailing garbage
openssl base64 -in "$csr/bad-trailing-x.der" > "$work/t.b64"
{ echo '-----BEGIN CERTIFICATE REQUEST-----'; cat "$work/t.b64"
  echo '-----END CERTIFICATE REQUEST-----'; } > "$csr/bad-pem-trailing-der.pem"

# ---------------------------------------------------------------- PEM seeds

for f in good-ec-p256.pem good-crlf.pem good-text-before.pem good-new-label.pem \
    bad-pem-label.pem bad-pem-two-blocks.pem bad-pem-trailing-text.pem \
    bad-pem-base64.pem bad-pem-no-end.pem; do
	cp "$csr/$f" "$pem/$f"
done
openssl req -x509 -new -key "$keys/p256.pem" -subj '/C=DE/O=Plant/CN=Seed Root' \
    -days 3650 -out "$pem/cert-ec-p256.pem" 2>/dev/null
openssl req -x509 -new -key "$keys/ed25519.pem" -subj '/CN=Seed Ed25519' \
    -days 3650 -out "$pem/cert-ed25519.pem" 2>/dev/null
cat "$pem/cert-ec-p256.pem" "$csr/good-ec-p256.pem" "$pem/cert-ed25519.pem" \
    > "$pem/mixed-bundle.pem"
printf -- '-----BEGIN X-----\n-----END X-----\n' > "$pem/empty-body.pem"
printf -- '-----BEGIN -----\nAAAA\n-----END -----\n' > "$pem/empty-label.pem"
printf -- '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n' > "$pem/one-byte.pem"
printf -- '-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n' > "$pem/no-padding.pem"

# ---------------------------------------------------------------- DER seeds

for f in cert-ec-p256 cert-ed25519; do
	openssl x509 -in "$pem/$f.pem" -outform DER -out "$der/$f.der"
done
openssl req -x509 -new -key "$keys/rsa2048.pem" -subj '/C=DE/ST=Berlin/L=Berlin/O=Plant/OU=Ops/CN=RSA Seed/emailAddress=ops@example.com' \
    -days 36500 -addext "$sans" -outform DER -out "$der/cert-rsa-2050.der"
for f in good-ec-p384-san.der good-ed25519.der bad-ec-explicit.der; do
	cp "$csr/$f" "$der/csr-$f"
done
# the subject Name of a certificate on its own
off=$(openssl asn1parse -inform DER -in "$der/cert-rsa-2050.der" |
    awk -F'[: =]+' '/d=2 .*cons: SEQUENCE/ { n++; if (n == 4) { print $2; exit } }')
openssl asn1parse -inform DER -in "$der/cert-rsa-2050.der" -strparse "$off" \
    -noout -out "$der/name.der"
# broken encodings the reader must refuse
printf '\060\200\002\001\000\000\000' > "$der/indefinite.der"
printf '\060\201\003\002\001\000' > "$der/long-form-short.der"
printf '\060\202\000\003\002\001\000' > "$der/leading-zero-length.der"
printf '\037\201\001\001\000' > "$der/high-tag.der"
printf '\060\005\002\001\000' > "$der/truncated.der"
printf '\006\003\052\206\000' > "$der/oid-bad-arc.der"
printf '\027\015491231235959Z' > "$der/utctime-2049.der"
printf '\030\01720500101000000Z' > "$der/gentime-2050.der"
printf '\027\015250230000000Z' > "$der/utctime-feb30.der"

echo "seeds written under $here/corpus"
