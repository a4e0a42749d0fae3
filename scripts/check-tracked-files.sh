#!/usr/bin/env bash
# Fails when a file tracked by git is a compiled program (ELF, Mach-O, PE,
# or a Go archive) or larger than 1 MiB, and names it. Every clone downloads
# what is committed: built programs belong in .gitignore, and recorded
# fixtures stay small.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=$((1024 * 1024))
bad=0
while IFS= read -r -d '' f; do
	[ -f "$f" ] && [ ! -L "$f" ] || continue
	size=$(stat -c %s "$f")
	if [ "$size" -gt "$limit" ]; then
		echo "tracked file $f is $size bytes, over 1 MiB"
		bad=1
	fi
	magic=$(head -c 4 "$f" | od -An -tx1 | tr -d ' \n')
	case "$magic" in
	7f454c46) kind="an ELF program" ;;
	cffaedfe | cefaedfe | feedfacf | feedface | cafebabe) kind="a Mach-O program" ;;
	4d5a*) kind="a Windows program" ;;
	213c6172) kind="an archive (!<arch>)" ;;
	*) kind="" ;;
	esac
	if [ -n "$kind" ]; then
		echo "tracked file $f is $kind: remove it and ignore it in .gitignore"
		bad=1
	fi
done < <(git ls-files -z)
if [ "$bad" -ne 0 ]; then exit 1; fi
echo "tracked files: no compiled program, none over 1 MiB ($(git ls-files | wc -l) files)"
