"""A throw-away test CA and server certificates, generated at test time (never committed).

Example::

    ca = TestCA.create(tmp_path / "ca")
    server = ca.issue(tmp_path / "server", ips=["127.0.0.1"])
    # server.cert_path, server.key_path (PEM, unencrypted), ca.cert_path

Keys are RSA 2048 and signatures SHA-256 so that old TLS stacks (pjsua2's bundled
OpenSSL 1.0.2) accept them; certificates are valid from one hour ago for two days.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_KEY_BITS = 2048


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Softphone tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _validity() -> tuple[datetime.datetime, datetime.datetime]:
    now = datetime.datetime.now(datetime.UTC)
    return now - datetime.timedelta(hours=1), now + datetime.timedelta(days=2)


def _write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    path.touch(mode=0o600)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )


@dataclass(frozen=True)
class ServerCert:
    """A server certificate and its unencrypted key, both PEM files."""

    cert_path: Path
    key_path: Path
    ca_path: Path


@dataclass(frozen=True)
class TestCA:
    """A self-signed certificate authority whose certificate is ``cert_path`` (PEM)."""

    __test__ = False  # not a pytest test class despite its name

    cert_path: Path
    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @classmethod
    def create(cls, folder: Path, common_name: str = "Softphone Test CA") -> TestCA:
        """Generate a CA key and certificate into ``folder`` (created if needed)."""
        folder.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_BITS)
        not_before, not_after = _validity()
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(_name(common_name))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .sign(key, hashes.SHA256())
        )
        cert_path = folder / "ca.pem"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return cls(cert_path, key, cert)

    def issue(
        self,
        folder: Path,
        ips: Sequence[str] = ("127.0.0.1",),
        dns_names: Sequence[str] = (),
        common_name: str | None = None,
    ) -> ServerCert:
        """Sign a TLS server certificate for ``ips`` and ``dns_names`` (subjectAltName)."""
        folder.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_BITS)
        alt_names: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ips]
        alt_names += [x509.DNSName(name) for name in dns_names]
        if not alt_names:
            raise ValueError("a server certificate needs at least one IP or DNS name")
        subject = common_name or (list(dns_names) + list(ips))[0]
        not_before, not_after = _validity()
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(subject))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False
            )
            .sign(self.key, hashes.SHA256())
        )
        cert_path = folder / "server.pem"
        key_path = folder / "server.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(key_path, key)
        return ServerCert(cert_path, key_path, self.cert_path)
