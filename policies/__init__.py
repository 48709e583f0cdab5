"""logmesh-soc2: the SOC 2 policy pack. Policies live in the domain modules; __main__.py only builds the pack."""
