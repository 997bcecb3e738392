#!/usr/bin/env bash
# Install the Debian packages the test suite uses as independent references, when missing, then
# check that every reference tool is on PATH. Exits non-zero, naming the package, when apt-get
# fails or a tool is still missing afterwards: `make test` (and CI) must not run without them.
set -u

# tool:package, every program the tests run as a reference (tests/conftest.py REFERENCE_TOOLS
# is the same list; tests/test_references.py checks that they agree).
TOOLS=(
  dcmdump:dcmtk
  dcm2json:dcmtk
  dcmodify:dcmtk
  dcmconv:dcmtk
  dcmdrle:dcmtk
  dcmdjpeg:dcmtk
  dcmdjpls:dcmtk
  dcmcjpeg:dcmtk
  dcmcjpls:dcmtk
  dcmj2pnm:dcmtk
  dcml2pnm:dcmtk
  dciodvfy:dicom3tools
  gdcmconv:libgdcm-tools
  initdb:postgresql
  pg_ctl:postgresql
)

missing_packages() {
  local pair
  for pair in "${TOOLS[@]}"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || echo "${pair#*:}"
  done | sort -u
}

mapfile -t need < <(missing_packages)
[ ${#need[@]} -eq 0 ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
LOG="${TMPDIR:-/tmp}/dicom-tools-apt.log"
echo "installing Debian packages: ${need[*]}"
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"; } >"$LOG" 2>&1; then
  echo "error: apt-get could not install Debian package(s) ${need[*]} (log: $LOG):" >&2
  tail -n 5 "$LOG" >&2
  exit 1
fi

# Debian keeps the server's programs in /usr/lib/postgresql/<version>/bin, off PATH (its
# pg_wrapper covers the client tools only): link the cluster tools the tests run onto PATH.
link_postgres_tools() {
  local tool found
  for tool in initdb pg_ctl postgres; do
    command -v "$tool" >/dev/null 2>&1 && continue
    for found in /usr/lib/postgresql/*/bin/"$tool"; do
      [ -x "$found" ] && command -v ln >/dev/null 2>&1 && $SUDO ln -sf "$found" /usr/local/bin/"$tool"
    done
  done
}
link_postgres_tools

status=0
for pair in "${TOOLS[@]}"; do
  if ! command -v "${pair%%:*}" >/dev/null 2>&1; then
    echo "error: ${pair%%:*} is still not on PATH after installing Debian package ${pair#*:}" >&2
    status=1
  fi
done
exit $status
