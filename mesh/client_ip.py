"""The client's address as the edge verified it, carried through the mesh where no caller can forge it.

Only the gateway sees the client's socket; every later hop sees the previous service. So
the gateway states the address it determined (gateway.policies.client_ip) in the metadata
pair ``x-chatmesh-client-ip: <ip> <seal>``, where the seal is an HMAC over the address and
the credential the call carries, keyed by a key derived from the mesh's secret key
(``CHATMESH_SECRET_KEY``, else ``<data_dir>/secret-key``; every mesh process must share it).
A service believes the address only when the seal checks out for the credential the call
carries; otherwise the address is the call's transport peer, which for a caller that
dialled the service port directly is the truth. Either way the service seals what it
established for its own outgoing calls (mesh.auth puts the pair next to the forwarded
credential), so the address survives every hop and a plain gRPC caller cannot claim one.

Binding the seal to the credential means a pair seen with one credential is worth nothing
with another; the pair never leaves the mesh (the gateway refuses it from HTTP clients).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from mesh.key_limits import client_address
from mesh.secrets import derive_key, load_secret_key

if TYPE_CHECKING:
    from mesh.config import Settings

__all__ = ["CLIENT_IP_HEADER", "ClientIpSeal", "client_ip_seal", "peer_address"]

CLIENT_IP_HEADER = "x-chatmesh-client-ip"
_PURPOSE = b"chatmesh client ip v1"
_MAC_BYTES = 16
_MEMO_SIZE = 4096
_MAX_VALUE = 128

log = logging.getLogger(__name__)


def peer_address(peer: str | None) -> str:
    """The IP of a grpc peer string (``ipv4:1.2.3.4:5``, ``ipv6:[::1]:5``); "" for other transports."""
    if not peer:
        return ""
    kind, _, rest = peer.partition(":")
    if kind == "ipv4":
        return rest.rsplit(":", 1)[0]
    if kind == "ipv6":
        return rest.rsplit(":", 1)[0].strip("[]").split("%", 1)[0]
    return ""


class ClientIpSeal:
    """Seals and opens ``x-chatmesh-client-ip`` values; the key is read on first use."""

    def __init__(self, secret: Callable[[], str]) -> None:
        self._secret = secret
        self._key: bytes | None = None
        self._opened: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._sealed: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._warned = False

    def _mac(self, ip: str, token: str) -> str:
        if self._key is None:
            self._key = derive_key(self._secret(), _PURPOSE)
        credential = hashlib.sha256(token.encode()).digest()
        digest = hmac.new(self._key, ip.encode() + b"\x00" + credential, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).rstrip(b"=").decode("ascii")

    def seal(self, ip: str, token: str = "") -> tuple[str, str]:
        """The metadata pair stating ``ip`` for a call carrying ``token`` ("" for none).

        Memoized: every RPC a service serves seals for its own outgoing calls, and a client
        sends many requests with one credential from one address.
        """
        value = self._sealed.get((ip, token))
        if value is None:
            value = self._sealed[(ip, token)] = f"{ip} {self._mac(ip, token)}"
            if len(self._sealed) > _MEMO_SIZE:
                self._sealed.popitem(last=False)
        return CLIENT_IP_HEADER, value

    def open(self, value: str, token: str = "") -> str | None:
        """The address a sealed ``value`` states, or None when the seal does not check out."""
        memo = self._opened.get((value, token))
        if memo is not None:
            return memo
        ip, _, mac = value.partition(" ")
        if not ip or not mac or len(value) > _MAX_VALUE:
            return None
        if not hmac.compare_digest(mac, self._mac(ip, token)):
            if not self._warned:
                self._warned = True
                log.warning(
                    "a call stated a client address with a seal that does not verify; "
                    "do all mesh processes share CHATMESH_SECRET_KEY?"
                )
            return None
        try:
            client_address(ip)
        except ValueError:
            return None
        self._opened[(value, token)] = ip
        if len(self._opened) > _MEMO_SIZE:
            self._opened.popitem(last=False)
        return ip

    def from_metadata(self, metadata: Iterable[Any] | None, token: str = "") -> str | None:
        """The sealed address in a call's metadata, if there is one that verifies."""
        for key, value in metadata or ():
            if key == CLIENT_IP_HEADER and isinstance(value, str):
                return self.open(value, token)
        return None


def client_ip_seal(settings: Settings) -> ClientIpSeal:
    """The seal of this mesh (its key derived from the mesh's secret key, loaded on first use)."""
    return ClientIpSeal(lambda: load_secret_key(settings))
