"""`python -m client.desktop`: the same as `sageid-desktop`."""

from . import main

main()
