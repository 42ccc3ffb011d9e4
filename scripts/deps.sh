#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs everything chute needs to build, test and demo on Debian 12, from
# Debian packages only. Each area lists its packages in scripts/packages/*.txt
# (one name a line, '#' comments). Needs root.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
pkgs=$(cat "$here"/packages/*.txt | sed 's/#.*//' | tr -s ' \n' '\n' | sed '/^$/d' | sort -u)
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $pkgs
