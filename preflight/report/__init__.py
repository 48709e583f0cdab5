"""Report stage: the evidence (`evidence`) built from a recording and an analysis, rendered by one module per format
(`json`, `text`, `markdown` with its `topology` diagram, `sarif`)."""
