"""Model specs, the registry and the engines. Imports nothing else of newsum."""
