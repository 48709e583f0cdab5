"""Private CAs and the certificates they sign (pulumi_tls): the ingest endpoints' and the span path's.

`pulumi up` re-issues a certificate within its early-renewal window (30 days for leaves, 90 for CAs)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_tls as tls

SERVER_USES = ("digital_signature", "key_encipherment", "server_auth")
CLIENT_USES = ("digital_signature", "key_encipherment", "client_auth")


@dataclass(frozen=True)
class Authority:
    key: tls.PrivateKey
    cert: tls.SelfSignedCert


@dataclass(frozen=True)
class Issued:
    key: tls.PrivateKey
    cert: tls.LocallySignedCert


def authority(name: str, common_name: str, opts: pulumi.ResourceOptions) -> Authority:
    """An ECDSA P-256 CA valid five years: resources `<name>-ca-key` and `<name>-ca`."""
    key = tls.PrivateKey(f"{name}-ca-key", algorithm="ECDSA", ecdsa_curve="P256", opts=opts)
    cert = tls.SelfSignedCert(
        f"{name}-ca",
        private_key_pem=key.private_key_pem,
        is_ca_certificate=True,
        subject=tls.SelfSignedCertSubjectArgs(common_name=common_name, organization="logmesh"),
        validity_period_hours=5 * 365 * 24,
        early_renewal_hours=90 * 24,
        allowed_uses=["cert_signing", "crl_signing", "digital_signature"],
        opts=opts,
    )
    return Authority(key, cert)


def issue(
    name: str, ca: Authority, common_name: str, dns_names: Sequence[str], uses: Sequence[str], opts: pulumi.ResourceOptions
) -> Issued:
    """A one-year certificate signed by `ca`: resources `<name>-key`, `<name>-csr` and `<name>-cert`."""
    key = tls.PrivateKey(f"{name}-key", algorithm="ECDSA", ecdsa_curve="P256", opts=opts)
    request = tls.CertRequest(
        f"{name}-csr",
        private_key_pem=key.private_key_pem,
        subject=tls.CertRequestSubjectArgs(common_name=common_name, organization="logmesh"),
        dns_names=list(dns_names),
        opts=opts,
    )
    cert = tls.LocallySignedCert(
        f"{name}-cert",
        cert_request_pem=request.cert_request_pem,
        ca_private_key_pem=ca.key.private_key_pem,
        ca_cert_pem=ca.cert.cert_pem,
        validity_period_hours=365 * 24,
        early_renewal_hours=30 * 24,
        allowed_uses=list(uses),
        opts=opts,
    )
    return Issued(key, cert)
