#!/usr/bin/env bash
# The Debian packages: scripts/package builds plantca and plantca-station
# from the committed tree twice, in two directories, and the .debs must be
# identical (reproducible) and lintian-clean of errors; scripts/offline-media
# puts them with their missing runtime dependencies, SHA256SUMS and a README
# into one folder; the packages are installed on this machine and the
# README's demo runs against /usr/bin/plantca and /usr/bin/plantca-station.
# The packages are removed again at the end.  Needs root and dpkg (exit 77
# otherwise, saying which).
. "$(dirname "$0")/lib.sh" --no-token
[ "$(id -u)" -eq 0 ] || { echo "SKIP: not root: installing packages needs root" >&2; exit 77; }
# the packages are built from the committed source, never with this build's
# sanitizers: the same minutes twice would prove nothing more
[ "${SANITIZE:-none}" = none ] ||
  { echo "SKIP: a sanitizer build ($SANITIZE): the packages do not use it; the normal suite runs this test" >&2; exit 77; }
for t in dpkg apt-get dpkg-buildpackage dh lintian; do
  need "$t" "the packages are built and installed with dpkg-dev, debhelper and lintian (scripts/setup installs them)"
done
git -C "$SRCDIR" rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
  { echo "SKIP: $SRCDIR is not a git checkout: scripts/package builds the committed tree" >&2; exit 77; }
for p in plantca plantca-station; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    echo "SKIP: package $p is installed on this machine already: the test does not replace it" >&2
    exit 77
  fi
done

# ------------------------------------------------------------ build
# the build's own dh_auto_test is skipped: this suite runs those tests
PACKAGE_NOCHECK=1 expect 0 "$SRCDIR/scripts/package" --twice "$WORK/dist"
out_has "two builds in different directories gave identical packages"
for p in plantca plantca-station; do
  ls "$WORK"/dist/${p}_*.deb >/dev/null 2>&1 || fail "no $p package: $OUT"
done
deb=$(ls "$WORK"/dist/plantca_*.deb) sdeb=$(ls "$WORK"/dist/plantca-station_*.deb)
# lintian again, on its own: no error tag
lintian --tag-display-limit 0 "$deb" "$sdeb" >"$WORK/lintian" 2>&1 || true
! grep -q '^E: ' "$WORK/lintian" || fail "lintian errors: $(grep '^E: ' "$WORK/lintian")"
ok "scripts/package --twice: identical .debs from two directories, no lintian error ($(grep -c '^[WI]: ' "$WORK/lintian" || true) warnings/notes)"

# contents and dependencies: declared, not vendored
dpkg-deb -c "$deb" | awk '{print $6}' >"$WORK/c1"
dpkg-deb -c "$sdeb" | awk '{print $6}' >"$WORK/c2"
for f in ./usr/bin/plantca ./usr/share/man/man1/plantca.1.gz ./usr/share/man/man5/plantca-policy.5.gz \
    ./usr/share/plantca/default.policy ./usr/share/bash-completion/completions/plantca; do
  grep -qx -- "$f" "$WORK/c1" || fail "plantca lacks $f"
done
for f in ./usr/bin/plantca-station ./usr/share/man/man1/plantca-station.1.gz \
    ./usr/share/man/man5/plantca-bundle.5.gz ./usr/share/bash-completion/completions/plantca-station; do
  grep -qx -- "$f" "$WORK/c2" || fail "plantca-station lacks $f"
done
! grep -q '\.so' "$WORK/c1" "$WORK/c2" || fail "a package carries a shared library"
dep=$(dpkg-deb -f "$deb" Depends)
for l in libwolfssl35 liblmdb0 libsodium23 libssl3; do
  [[ "$dep" == *"$l"* ]] || fail "plantca does not depend on $l: $dep"
done
[[ "$(dpkg-deb -f "$sdeb" Depends)" == *libmicrohttpd12* ]] || fail "plantca-station does not depend on libmicrohttpd12"
ok "programs, man pages, default policy and completion packaged; libraries declared as Depends"

# ------------------------------------------------------------ offline media
rc=0
"$SRCDIR/scripts/offline-media" "$WORK/media" --debs "$WORK/dist" >"$WORK/media.log" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] && grep -q 'apt-get download failed' "$WORK/media.log"; then
  skip_part "offline media: apt-get download cannot reach a mirror here ($(tail -1 "$WORK/media.log"))"
elif [ "$rc" -ne 0 ]; then
  fail "scripts/offline-media: $(cat "$WORK/media.log")"
else
  (cd "$WORK/media" && sha256sum --strict -c SHA256SUMS >/dev/null) || fail "SHA256SUMS does not check"
  [ "$(ls "$WORK"/media/*.deb | wc -l)" -eq "$(wc -l <"$WORK/media/SHA256SUMS")" ] || fail "SHA256SUMS does not list every .deb"
  grep -q 'apt-get install ./\*.deb' "$WORK/media/README" || fail "README lacks the install command"
  for l in libwolfssl35 liblmdb0 libsodium23 libmicrohttpd12; do
    ls "$WORK"/media/${l}_*.deb >/dev/null 2>&1 || fail "media lack $l"
  done
  # nothing a minimal system has (libc6 is Priority: required's dependency)
  ! ls "$WORK"/media/libc6_*.deb >/dev/null 2>&1 || fail "media carry libc6"
  # every dependency of ours is in the folder or in a minimal system
  expect 2 "$SRCDIR/scripts/offline-media" "$WORK/media"
  err_has "exists and is not empty"
  ok "offline media: $(ls "$WORK"/media/*.deb | wc -l) packages, SHA256SUMS checks, README has the install command; a non-empty DIR is refused"

  # the folder is enough for a minimal Debian 12 without network: apt's
  # own resolver, on a dpkg status that holds only the minimal system
  # (what apt installs for the Priority: required packages and apt, as
  # debootstrap --variant=minbase does) and with no package sources, must
  # install every .deb of the folder; without libwolfssl35 it must refuse
  media_sim() {   # MEDIA W: apt-get -s install MEDIA/*.deb there; output in W/sim
    local m=$1 w=$2 required
    mkdir -p "$w/lists/partial" "$w/cache/archives/partial" "$w/c0/archives/partial" "$w/parts" "$w/prefs"
    : >"$w/empty"
    required=$(apt-cache dumpavail | awk '/^Package:/ { p = $2 } /^Priority: required/ { print p }' | sort -u)
    # shellcheck disable=SC2086
    apt-get -s -o Dir::State::status="$w/empty" -o Dir::Cache="$w/c0" -o Debug::NoLocking=1 \
      install --no-install-recommends $required apt | awk '/^Inst / { print $2 }' | sort -u >"$w/minbase"
    [ "$(wc -l <"$w/minbase")" -ge 50 ] || fail "the minimal system has $(wc -l <"$w/minbase") packages"
    # shellcheck disable=SC2046
    apt-cache show --no-all-versions $(cat "$w/minbase") |
      awk '/^Package:/ { print; print "Status: install ok installed"; next } { print }' >"$w/status"
    apt-get -s -o Dir::State::status="$w/status" -o Dir::State::Lists="$w/lists" \
      -o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$w/parts" \
      -o Dir::Etc::PreferencesParts="$w/prefs" -o Dir::Cache="$w/cache" \
      -o Dir::State::extended_states="$w/ext" -o Debug::NoLocking=1 \
      install --no-install-recommends "$m"/*.deb >"$w/sim" 2>&1
  }
  media_sim "$WORK/media" "$WORK/sim1" || fail "the media do not install on a minimal Debian 12: $(tail -5 "$WORK/sim1/sim")"
  for d in "$WORK"/media/*.deb; do
    p=$(dpkg-deb -f "$d" Package)
    grep -q "^Conf $p " "$WORK/sim1/sim" || fail "apt would not install $p from the media: $(tail -5 "$WORK/sim1/sim")"
  done
  mkdir "$WORK/media-short"
  cp "$WORK"/media/*.deb "$WORK/media-short/"
  rm "$WORK"/media-short/libwolfssl35_*.deb
  ! media_sim "$WORK/media-short" "$WORK/sim2" || fail "apt installed the media without libwolfssl35"
  grep -q "plantca : Depends: libwolfssl35" "$WORK/sim2/sim" || fail "media without libwolfssl35: $(tail -5 "$WORK/sim2/sim")"
  ok "offline media install on a minimal Debian 12 ($(wc -l <"$WORK/sim1/minbase") packages) with no sources, by apt's resolver (simulated); without libwolfssl35 apt refuses"
fi

# ------------------------------------------------------------ install, demo
at_exit "apt-get -o DPkg::Lock::Timeout=300 -qq remove -y plantca plantca-station >/dev/null 2>&1"
DEBIAN_FRONTEND=noninteractive expect 0 apt-get -o DPkg::Lock::Timeout=300 -qq install -y \
  --no-install-recommends "$deb" "$sdeb"
for f in /usr/bin/plantca /usr/bin/plantca-station /usr/share/plantca/default.policy \
    /usr/share/bash-completion/completions/plantca /usr/share/bash-completion/completions/plantca-station; do
  [ -e "$f" ] || fail "installed: $f missing"
done
cmp -s /usr/share/plantca/default.policy "$SRCDIR/policy/default.policy" || fail "installed default.policy differs"
expect 0 /usr/bin/plantca policy check /usr/share/plantca/default.policy
if command -v man >/dev/null; then
  for p in plantca plantca-station plantca-bundle plantca-policy; do
    man -w "$p" >/dev/null 2>&1 || fail "man $p: no page"
  done
fi
ok "installed: /usr/bin programs, default policy (checks), completion, man pages"

# The product build has no fault points (common/fault.h, issue 13 item 1):
# no trace of PLANTCA_FAULT, the variable that selects one, which the test
# build's programs read
if [ "${FAULT_POINTS:-false}" = true ]; then
  grep -qa PLANTCA_FAULT "$PLANTCA" || fail "test bug: the test build's plantca does not hold PLANTCA_FAULT"
fi
for f in /usr/bin/plantca /usr/bin/plantca-station; do
  ! grep -qa PLANTCA_FAULT "$f" || fail "$f holds fault-point code (PLANTCA_FAULT): the product build must not"
done
ok "the packaged programs have no fault points"

DEMO_PLANTCA=/usr/bin/plantca DEMO_STATION=/usr/bin/plantca-station "$SRCDIR/scripts/demo" "$WORK/demo" \
  >"$WORK/demo.log" 2>&1 || { tail -30 "$WORK/demo.log"; fail "the demo against /usr/bin failed"; }
grep -q '^Demo finished' "$WORK/demo.log" || fail "demo did not finish"
[ "$(grep -c ': OK$' "$WORK/demo.log")" -eq 4 ] || { tail -30 "$WORK/demo.log"; fail "not all 4 device certificates verified"; }
ok "the README's demo runs against /usr/bin/plantca and /usr/bin/plantca-station"
done_testing
