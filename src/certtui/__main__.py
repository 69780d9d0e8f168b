"""``python -m certtui``."""

from certtui.cli.main import main

main()
