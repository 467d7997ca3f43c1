"""Inside `garauth sandbox`: forward 127.0.0.1:443 to the fake (192.0.2.10:443), point HOST at
127.0.0.1 in the sandbox's private /etc/hosts, then run a command. Shows what the docker CLI
does when a registry name resolves to a loopback address.

    python loopback_forward.py HOST -- COMMAND...
"""

import asyncio
import subprocess
import sys
import threading

from garauth.sandbox import FAKE_ADDR, FAKE_PORT


async def _pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def _handle(client_reader, client_writer):
    upstream_reader, upstream_writer = await asyncio.open_connection(FAKE_ADDR, FAKE_PORT)
    await asyncio.gather(_pipe(client_reader, upstream_writer), _pipe(upstream_reader, client_writer))


def _serve(ready: threading.Event) -> None:
    async def main():
        server = await asyncio.start_server(_handle, "127.0.0.1", 443)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def main() -> int:
    host, sep, command = sys.argv[1], sys.argv[2], sys.argv[3:]
    assert sep == "--" and command
    ready = threading.Event()
    threading.Thread(target=_serve, args=(ready,), daemon=True).start()
    ready.wait(10)
    with open("/etc/hosts", "w") as hosts:  # the sandbox's own copy (a bind mount); same inode
        hosts.write(f"127.0.0.1\tlocalhost\n127.0.0.1\t{host}\n")
    return subprocess.run(command).returncode


if __name__ == "__main__":
    sys.exit(main())
