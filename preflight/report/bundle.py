"""An evidence bundle: every format of one run in one folder, a SHA-256 manifest, and optionally its signature.

`MANIFEST.sha256` is in `sha256sum` format (`<hex>  <file>`, sorted by file), so `sha256sum -c MANIFEST.sha256` in
the folder verifies every report. With a signing key configured (PREFLIGHT_SIGNING_KEY: the path of an SSH private
key), `ssh-keygen -Y sign` signs the manifest into `MANIFEST.sha256.sig` in the namespace SIGNATURE_NAMESPACE; OpenSSH
is on every GitHub runner, so CI needs no extra install. Verification (docs/preflight.md#evidence-bundles):

    ssh-keygen -Y verify -f allowed_signers -I <identity> -n logmesh-evidence -s MANIFEST.sha256.sig < MANIFEST.sha256
    sha256sum -c MANIFEST.sha256
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
from pathlib import Path

from preflight.errors import InputError
from preflight.report.evidence import Evidence
from preflight.report.formats import render

FILES = {
    "text": "report.txt",
    "markdown": "report.md",
    "json": "report.json",
    "sarif": "report.sarif",
    "ocsf": "report.ocsf.jsonl",
}
MANIFEST = "MANIFEST.sha256"
SIGNATURE = MANIFEST + ".sig"
SIGNATURE_NAMESPACE = "logmesh-evidence"
SIGNING_KEY_ENV = "PREFLIGHT_SIGNING_KEY"


def manifest_text(files: dict[str, bytes]) -> str:
    return "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items()))


def write_bundle(evidence: Evidence, directory: Path, fallback_artifact: str = "Pulumi.yaml") -> list[Path]:
    """Writes the bundle; returns the files written. A signature left by an earlier run is removed first; a
    configured key that does not exist stops before anything is written."""
    key = os.environ.get(SIGNING_KEY_ENV, "")
    if key and not Path(key).is_file():
        raise InputError(f"{SIGNING_KEY_ENV}={key}: no such key file; set it to an SSH private key, or unset it to skip signing")
    files: dict[str, bytes] = {}
    for format_, name in FILES.items():
        stream = io.StringIO()
        render(evidence, format_, stream, fallback_artifact)
        files[name] = stream.getvalue().encode("utf-8")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / SIGNATURE).unlink(missing_ok=True)
        for name, data in files.items():
            (directory / name).write_bytes(data)
        (directory / MANIFEST).write_text(manifest_text(files), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--evidence {directory}: cannot be written: {exc.strerror}") from None
    written = [directory / name for name in sorted(files)] + [directory / MANIFEST]
    if key:
        written.append(sign(directory / MANIFEST, Path(key)))
    return written


def sign(manifest: Path, key: Path) -> Path:
    """`ssh-keygen -Y sign` of the manifest with the SSH private key `key`; returns the signature file."""
    try:
        done = subprocess.run(
            ["ssh-keygen", "-Y", "sign", "-q", "-f", str(key), "-n", SIGNATURE_NAMESPACE, str(manifest)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise InputError(f"{SIGNING_KEY_ENV}: ssh-keygen could not run ({exc}); install OpenSSH or unset it") from None
    if done.returncode != 0:
        problem = (done.stderr or done.stdout).strip().splitlines()
        raise InputError(f"{SIGNING_KEY_ENV}={key}: ssh-keygen -Y sign failed: {problem[-1] if problem else done.returncode}")
    return manifest.with_name(SIGNATURE)
