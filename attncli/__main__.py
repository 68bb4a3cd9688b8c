"""`python -m attncli` runs the same CLI as the `attncli` command."""

from attncli.entry import main

main()
