"""Analyze stage: a policy pack (`pack`) with its resolved config (`config`) run on a recording through
pulumi_policy's own analyzer servicer (`servicer`, sped up by `memo`), giving the findings of `findings`."""
