#!/usr/bin/env bash
# Re-extract the page messages (templates, and N_() marked strings) and merge them into the
# French and English catalogs (mails have their own `mail` domain, under idp/mail). tests/test_i18n.py fails while a French translation is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
pot=$(mktemp --suffix=.pot)
.venv/bin/pybabel -q extract -F babel.cfg -k N_ --no-location --sort-output --ignore-dirs=mail -o "$pot" idp
for locale in fr en; do
  .venv/bin/pybabel -q update --no-fuzzy-matching --ignore-obsolete -D messages -i "$pot" \
    -d idp/locales -l "$locale"
done
rm -f "$pot"
