"""Record stage: a program run under the SDK's mocks (`program`), or a `pulumi stack export` (`state`), read into
the plain `Recording` (`recording`) that the analyze and report stages take."""
