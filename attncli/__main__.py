"""`python -m attncli` runs the same CLI as the `attncli` command."""

from attncli.cli import main

main()
