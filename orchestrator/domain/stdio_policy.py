"""What a stdio MCP server may be started with: the operator's commands, arguments and a clean environment.

A stdio server is a program the orchestrator starts on its own host for a tenant admin.
Listing the executable alone is not enough: ``python -c ...``, ``node --eval ...`` or
``npx some-package`` run whatever the arguments say, and ``LD_PRELOAD``, ``NODE_OPTIONS``,
``PYTHONSTARTUP`` and their kind load code before the program's first line. So every
argument must match in full one of the patterns the operator lists for that command
(``CHATMESH_ORCHESTRATOR_MCP_STDIO_ARGS``, none by default), and environment names that
steer loaders, interpreters, shells, proxies or trust stores are refused whatever the
operator lists. The same rules run when a server is saved (INVALID_ARGUMENT) and again
before each start (settings may have narrowed since).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from mesh.errors import FieldViolation

__all__ = ["FORBIDDEN_ENV", "StdioPolicy"]

# Names (case-insensitive) that change what code a process loads or whom it trusts.
FORBIDDEN_ENV = re.compile(
    r"^(LD_|DYLD_|NODE_|NPM_CONFIG_|YARN_|PYTHON|PERL|RUBY|JAVA_|_JAVA_|JDK_|CLASSPATH$|GEM_|BUNDLE_"
    r"|DENO_|BUN_|UV_|PIP_|GIT_|MALLOC_|GLIBC_TUNABLES$|GCONV_PATH$|LOCPATH$|NLSPATH$|HOSTALIASES$"
    r"|RES_OPTIONS$|LOCALDOMAIN$|BASH_ENV$|ENV$|BASH_FUNC_|SHELLOPTS$|BASHOPTS$|PS4$|IFS$|PROMPT_COMMAND$"
    r"|PATH$|HOME$|TMPDIR$|SHELL$|EDITOR$|VISUAL$|PAGER$|BROWSER$|SSL_CERT_|REQUESTS_CA_BUNDLE$"
    r"|CURL_CA_BUNDLE$|HTTPS?_PROXY$|ALL_PROXY$|NO_PROXY$|OPENSSL_|XDG_CONFIG_|LUA_|TCL|R_)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class StdioPolicy:
    """The operator's allow-list: executables, and per executable the patterns its arguments match."""

    commands: frozenset[str] = frozenset()
    arg_patterns: Mapping[str, tuple[re.Pattern[str], ...]] = field(default_factory=dict)

    @classmethod
    def of(
        cls, commands: Collection[str], arg_patterns: Mapping[str, Sequence[str]] | None = None
    ) -> StdioPolicy:
        compiled = {
            command: tuple(re.compile(p) for p in patterns)
            for command, patterns in (arg_patterns or {}).items()
        }
        return cls(frozenset(commands), compiled)

    def violations(self, command: str, args: Sequence[str], env: Mapping[str, str]) -> list[FieldViolation]:
        bad: list[FieldViolation] = []
        if command not in self.commands:
            bad.append(FieldViolation("mcp_server.command", "not one of the commands the operator allows"))
            args = ()  # judged against an allowed command's patterns only
        patterns = self.arg_patterns.get(command, ())
        for index, arg in enumerate(args):
            if not any(p.fullmatch(arg) for p in patterns):
                bad.append(
                    FieldViolation(
                        f"mcp_server.args[{index}]", "not an argument the operator allows for this command"
                    )
                )
        bad += [
            FieldViolation(f"mcp_server.env[{name}]", "this variable may not be set for an MCP server")
            for name in env
            if FORBIDDEN_ENV.match(name)
        ]
        return bad
