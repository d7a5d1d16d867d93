"""The kiosk verifies the office server's certificate with ``sync.ca_file``; DSC trust travels."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kiosk.passes import parse_trust_json
from kiosk.passes.testing import make_dsc
from server import office as office_ops
from server.app import create_app
from server.local import Office, ServerThread
from sync.client import Client, Refused
from sync.protocol import UploadRequest
from sync.resolver import Resolver

NOW = dt.datetime.now(dt.UTC)
LOOPBACK = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_ca_and_server(
    folder: Path, ca_name: str, name: x509.GeneralName = LOOPBACK
) -> tuple[Path, Path, Path]:
    """A CA, and a certificate for ``name`` signed by it; returns (ca, cert, key) files."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name(ca_name))
        .issuer_name(_name(ca_name))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("office"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([name]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    paths = (folder / f"{ca_name}.pem", folder / "server.pem", folder / "server.key")
    paths[0].write_bytes(ca.public_bytes(pem))
    paths[1].write_bytes(cert.public_bytes(pem))
    paths[2].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


def test_kiosk_trusts_only_the_configured_ca(tmp_path: Path):
    ca, cert, key = make_ca_and_server(tmp_path, "office-ca")
    (tmp_path / "other").mkdir()
    other_ca, _, _ = make_ca_and_server(tmp_path / "other", "other-ca")
    office = Office.open(tmp_path / "db")
    office.add_compound("c1")
    token = office.enroll_kiosk("k1", "c1")
    server = ServerThread(create_app(office.sessions), certfile=cert, keyfile=key).start()
    try:
        assert server.url.startswith("https://")
        good = Client(server.url, token, verify=str(ca))
        assert good.upload(UploadRequest("k1", ())).stored == ()
        with pytest.raises(Refused) as refused:
            Client(server.url, token, verify=str(other_ca)).server_time()
        assert refused.value.code == "tls" and "not trusted" in refused.value.message
    finally:
        server.stop()


def test_an_office_looked_up_by_name_is_verified_by_that_name(tmp_path: Path) -> None:
    """The client connects to the address its resolver found, but TLS checks the name."""
    ca, cert, key = make_ca_and_server(tmp_path, "office-ca", x509.DNSName("office.example"))
    office = Office.open(tmp_path / "db")
    office.add_compound("c1")
    server = ServerThread(create_app(office.sessions), certfile=cert, keyfile=key).start()
    port = server.url.rsplit(":", 1)[1]
    found = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", int(port)))]
    try:
        by_name = Client(
            f"https://office.example:{port}",
            "",
            verify=str(ca),
            resolver=Resolver(lambda *a: found),
        )
        assert by_name.server_time().year >= 2026
        with pytest.raises(Refused, match="tls"):  # the certificate does not name the address
            Client(server.url, "", verify=str(ca)).server_time()
    finally:
        server.stop()


def test_health_certificate_signers_reach_the_trust_list(tmp_path: Path):
    dsc = make_dsc()
    pem = tmp_path / "dsc.pem"
    pem.write_bytes(dsc.certificate.public_bytes(serialization.Encoding.PEM))
    office = Office.open(tmp_path / "db")
    with office.session() as s:
        assert office_ops.add_certificates(s, pem) == 1
        document = office_ops.trust_document(s)
    trust = parse_trust_json(document)
    assert any(k.certificate is not None for k in trust.keys)
    assert any(k.certificate is None for k in trust.keys)  # and the pass issuer key
    not_pem = tmp_path / "junk.pem"
    not_pem.write_text("hello")
    with office.session() as s, pytest.raises(ValueError):
        office_ops.add_certificates(s, not_pem)
