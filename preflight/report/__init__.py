"""Report stage: the evidence (`evidence`) built from a recording and an analysis, rendered by one module per format
(`json`, `text`, `markdown` with its `topology` diagram, `sarif`, `ocsf`), dispatched by `formats`."""

# The formats by name: `--format` offers them (preflight/cli.py, which must not import the renderers), `formats` renders them.
FORMATS = ("text", "markdown", "json", "sarif", "ocsf")
