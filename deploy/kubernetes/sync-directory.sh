#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copies the district directory (deploy/directory/rajasthan.csv) into the
# kustomize base, which can read only files below itself. The
# ops_kustomize_render test fails while the two differ.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$here/base/directory"
cp "$here/../directory/rajasthan.csv" "$here/base/directory/rajasthan.csv"
echo "sync-directory: base/directory/rajasthan.csv updated"
