# cmp_common.sh - the setup every CMP run shares, sourced by the CMP tests
# (t_cmp.sh for the manufacturer, cmp_setup.sh for all of it) and by
# scripts/bench-cmp-devices.sh: a test manufacturer made with OpenSSL, and
# a station enrolled for line3 with its RA certificate.  Needs STATION and
# a function pc (plantca with its home and PIN).
#
#   mfg_conf FILE        the manufacturer's OpenSSL configuration (req and
#                        ca; MFG_CNF): extensions v3_ca, idevid (an IEEE
#                        802.1AR IDevID: digitalSignature, SKI, AKI) and
#                        idevid_hw (the same with a HardwareModuleName
#                        otherName of hardware serial $HWSN)
#   mfg_ca DIR SUBJECT   a manufacturer CA in DIR: ca.key, ca.pem, db/
#   mfg_csr SUBJECT OUT  a P-256 key OUT.key and a CSR OUT.csr
#   mfg_sign DIR CSR OUT [EXT] [ENDDATE]
#                        CA DIR signs CSR into OUT (PEM): extensions EXT
#                        (idevid), notAfter ENDDATE (99991231235959Z; an
#                        earlier one also sets notBefore 20200101000000Z)
#   cmp_ra_setup RUN     station ST (passphrase file PASS, segment line3)
#                        enrolled with CA home CAHOME, manufacturer MFG_NAME
#                        (CA MFG_PEM) accepted for line3, the RA certificate
#                        through one round trip by way of USB; each command
#                        run as RUN COMMAND... (expect 0 in the tests)
# Each mfg_ function returns non-zero when OpenSSL fails.

mfg_conf() {
  MFG_CNF=$1
  cat >"$MFG_CNF" <<'EOF'
[req]
distinguished_name = dn
[dn]
[v3_ca]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[idevid]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[idevid_hw]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = critical,otherName:1.3.6.1.5.5.7.8.4;SEQUENCE:hwmod
[hwmod]
hwType = OID:1.3.6.1.4.1.99999.1.1
hwSerialNum = FORMAT:ASCII,OCT:$ENV::HWSN
[ca]
default_ca = mfg
[mfg]
dir = .
database = db/index
serial = db/serial
crlnumber = db/crlnumber
new_certs_dir = db
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
O = optional
CN = optional
serialNumber = optional
EOF
}
# OpenSSL with the configuration: its [hwmod] names $ENV::HWSN, which must
# be set whenever the file is read
mfg_openssl() { HWSN=${HWSN:-none} openssl "$@"; }
mfg_ca() {
  mkdir -p "$1/db"
  : >"$1/db/index"; echo 1000 >"$1/db/serial"
  mfg_openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1/ca.key" \
    -subj "$2" -days 3650 -config "$MFG_CNF" -extensions v3_ca -out "$1/ca.pem" 2>/dev/null
}
mfg_csr() {
  mfg_openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$2.key" \
    -subj "$1" -config "$MFG_CNF" -out "$2.csr" 2>/dev/null
}
mfg_sign() {
  local end=${5:-}
  (cd "$1" && mfg_openssl ca -batch -config "$MFG_CNF" -cert ca.pem -keyfile ca.key \
    -extensions "${4:-idevid}" -in "$2" -out "$3" -notext ${end:+-startdate 20200101000000Z} \
    -enddate "${end:-99991231235959Z}" 2>/dev/null)
}

cmp_ra_setup() {
  local run=$1
  $run "$STATION" init "$ST" --segment line3 --ca-key "$CAHOME/public/transfer.pub" \
    --trust "$CAHOME/public/root.pem" --passphrase-file "$PASS"
  $run pc station add line3 "$ST/station.pub" --ca line3
  $run pc manufacturer add "$MFG_NAME" "$MFG_PEM" --segment line3
  $run "$STATION" ra-key "$ST" --passphrase-file "$PASS"
  $run "$STATION" request "$ST" --profile cmp-ra "$ST/ra.csr" -o "$USB" --passphrase-file "$PASS"
  $run pc import "$(ls "$USB"/line3-request-*.tar | sort | tail -1)"
  $run pc approve "$(pc --json requests --status pending | python3 -c 'import json, sys
print(json.load(sys.stdin)[0]["id"])')"
  $run pc sign
  $run pc crl
  $run pc crl --ca line3
  $run pc export line3 "$USB"
  $run "$STATION" accept "$ST" "$(ls "$USB"/line3-response-*.tar | sort | tail -1)" --out "$PKI"
}
