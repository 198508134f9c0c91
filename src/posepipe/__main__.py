"""`python -m posepipe`: the same as the `posepipe` command."""

from posepipe.cli import main

main()
