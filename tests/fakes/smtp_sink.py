"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives: the mail sink of the tests.

``user``/``password`` turn on AUTH (PLAIN/LOGIN); ``tls`` offers STARTTLS with a throwaway
self-signed certificate. ``refuse`` makes it answer RCPT with a given code (e.g. 451 to test
retries, 550 for a permanent refusal) for the next N recipients.
"""

from __future__ import annotations

import datetime
import ssl
import tempfile
import threading
import warnings
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage as Message
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from mesh.embedded.common import free_port

__all__ = ["SmtpSink", "self_signed_context"]


def self_signed_context(directory: Path, host: str = "localhost") -> ssl.SSLContext:
    """A server context with a new self-signed certificate for ``host`` (PEM at ``directory/cert.pem``)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context


@dataclass
class _Handler:
    messages: list[Message] = field(default_factory=list)
    refuse_code: int = 0
    refuse_count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        with self.lock:
            if self.refuse_count > 0:
                self.refuse_count -= 1
                return f"{self.refuse_code} refused by the test"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


class SmtpSink:
    def __init__(self, *, user: str = "", password: str = "", tls: bool = False) -> None:
        self.handler = _Handler()
        self.user, self.password = user, password
        kwargs: dict[str, Any] = {}
        if tls:
            self._dir = tempfile.TemporaryDirectory()
            kwargs["tls_context"] = self_signed_context(Path(self._dir.name))
            kwargs["require_starttls"] = True
        if user:
            # AUTH on loopback without TLS is what the plain-SMTP tests exercise on purpose.
            warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
            kwargs["authenticator"] = self._authenticate
            kwargs["auth_require_tls"] = tls
            kwargs["auth_required"] = True
        self._kwargs = kwargs
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=free_port(), **kwargs)

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == self.user
            and (data.password.decode() == self.password)
        )
        return AuthResult(success=ok, handled=False)

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def restart(self) -> None:
        """Stop and listen again on the same port: every open client connection is dropped."""
        port = self.port
        self.controller.stop()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=port, **self._kwargs)
        self.controller.start()

    @property
    def port(self) -> int:
        return int(self.controller.port)

    def url(self, *, starttls: bool = False) -> str:
        auth = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}@" if self.user else ""
        return f"smtp://{auth}127.0.0.1:{self.port}?starttls={'true' if starttls else 'false'}&verify=false"

    @property
    def messages(self) -> list[Message]:
        with self.handler.lock:
            return list(self.handler.messages)

    def to(self, address: str) -> list[Message]:
        return [m for m in self.messages if m["To"] == address]

    def refuse(self, code: int, count: int) -> None:
        with self.handler.lock:
            self.handler.refuse_code, self.handler.refuse_count = code, count
