"""logmesh-soc2: the SOC 2 policy pack. Policies live one per module in the subject packages; __main__.py only builds the pack."""
