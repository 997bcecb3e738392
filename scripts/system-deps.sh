#!/usr/bin/env bash
# Install the Debian packages the test suite uses as independent references, when missing.
# dcmtk: dcmdump, dcm2json, dcmj2pnm, echoscu/storescu/storescp...; dicom3tools: dciodvfy;
# libgdcm-tools: gdcmconv, gdcminfo.
set -u
need=()
command -v dcmdump >/dev/null 2>&1 || need+=(dcmtk)
command -v dciodvfy >/dev/null 2>&1 || need+=(dicom3tools)
command -v gdcmconv >/dev/null 2>&1 || need+=(libgdcm-tools)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
echo "installing Debian packages: ${need[*]}"
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"; } >/tmp/dicom-tools-apt.log 2>&1; then
  echo "warning: could not install ${need[*]} (see /tmp/dicom-tools-apt.log); tests that need them will skip" >&2
fi
exit 0
