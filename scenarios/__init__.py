"""Built-in scenarios, installed as the package attncli.scenarios (see pyproject.toml)."""
