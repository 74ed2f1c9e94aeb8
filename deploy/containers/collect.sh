#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs inside the image build stage: gathers each image's stripped programs
# and the Debian runtime packages they link (ldd + dpkg -S), so that the
# runtime stage installs exactly those libraries and nothing else.
#   collect.sh BUILD_DIR OUT_DIR
# writes OUT_DIR/<image>/bin/prahari-* and OUT_DIR/<image>/packages.
set -eu
build=$1
out=$2

# image name -> programs it carries
programs_of() {
	case "$1" in
	# psql for the retention CronJob: the binary alone (with the libraries
	# it links), not postgresql-client's perl wrappers.
	migrate) echo "prahari-migrate prahari-admin psql" ;;
	*) echo "prahari-$1" ;;
	esac
}

for img in ingest enrich router notifier devbroker migrate; do
	mkdir -p "$out/$img/bin"
	: > "$out/$img/packages.all"
	for prog in $(programs_of "$img"); do
		if [ "$prog" = psql ]; then
			f=$(ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -n 1)
		else
			f=$(find "$build" -type f -name "$prog" -perm -u+x | head -n 1)
		fi
		if [ -z "$f" ]; then
			echo "collect: $prog was not built; image $img cannot be made" >&2
			continue
		fi
		strip --strip-unneeded -o "$out/$img/bin/$prog" "$f"
		# The owning package of each linked library, by exact path: as ldd
		# prints it, resolved, or across the /usr merge (dpkg records
		# whichever path the package shipped).
		ldd "$out/$img/bin/$prog" | awk '$3 ~ /^\// {print $3}' | while read -r lib; do
			real=$(readlink -f "$lib")
			for p in "$lib" "$real" "/usr$lib" "${lib#/usr}" "/usr$real" "${real#/usr}"; do
				if owner=$(dpkg -S "$p" 2>/dev/null); then
					echo "${owner%%:*}"
					continue 2
				fi
			done
			echo "collect: no package owns $lib (linked by $prog)" >&2
		done | grep -v -- '-dev$' >> "$out/$img/packages.all"
	done
	sort -u "$out/$img/packages.all" > "$out/$img/packages"
	rm "$out/$img/packages.all"
	echo "collect: $img: $(ls "$out/$img/bin" | tr '\n' ' ')needs: $(tr '\n' ' ' < "$out/$img/packages")"
done
