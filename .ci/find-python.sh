#!/bin/sh
# Print the path of a Python 3.12 or newer: first from PATH, then from pyenv's
# installed versions. Exit 1 with a message when there is none.
works() {
    "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null
}
for name in python3.14 python3.13 python3.12 python3 python; do
    path=$(command -v "$name" 2>/dev/null) || continue
    if works "$path"; then echo "$path"; exit 0; fi
done
root=${PYENV_ROOT:-$HOME/.pyenv}
if [ -d "$root/versions" ]; then
    for dir in $(ls -1 "$root/versions" | sort -t. -k1,1nr -k2,2nr -k3,3nr); do
        path="$root/versions/$dir/bin/python3"
        if [ -x "$path" ] && works "$path"; then echo "$path"; exit 0; fi
    done
fi
echo "Renkei needs Python 3.12 or newer, and none was found on PATH or among" >&2
echo "pyenv's installed versions. Install one (e.g. 'pyenv install 3.12') and retry." >&2
exit 1
