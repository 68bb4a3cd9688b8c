#!/bin/sh
# Render attncli's SVG exports in headless Chromium and save screenshots of both themes in docs/,
# so that what a printed handout (light) and a slide (dark) look like is checked by eye in a browser,
# not only by the contrast tests (tests/test_colour.py).
#
# Needs Chromium: apt-get install -y chromium   (Debian/Ubuntu; `chromium-browser` elsewhere)
# Run from the repository root:  sh scripts/screenshots.sh
set -eu
out=${1:-docs}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome)

shoot() {  # name, theme, attncli arguments...
    name=$1; theme=$2; shift 2
    attncli "$@" --theme "$theme" --width 80 --export "$tmp/$name-$theme.svg" > /dev/null
    # The SVG's own size, so that the screenshot holds the whole picture.
    size=$(sed -n 's/.*viewBox="0 0 \([0-9.]*\) \([0-9.]*\)".*/\1 \2/p' "$tmp/$name-$theme.svg" | head -n 1)
    width=$(echo "$size" | awk '{printf "%d", $1 + 1}')
    height=$(echo "$size" | awk '{printf "%d", $2 + 1}')
    "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="$width,$height" \
        --screenshot="$out/$name-$theme.png" "file://$tmp/$name-$theme.svg" 2> /dev/null
    echo "$out/$name-$theme.png (${width}×${height})"
}

for theme in light dark; do
    shoot explain-focus "$theme" explain dog_ate_dinner --focus dog
done
