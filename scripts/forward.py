"""Forward TCP connections from LISTEN_HOST:PORT to 127.0.0.1:PORT, for each PORT given.

The local runtime binds 127.0.0.1 only; a `sam local` container on Docker's bridge reaches the
host at the bridge's gateway (host.docker.internal -> host-gateway). Run by hand (see
sam_local_api.sh), stopped with SIGTERM.

    python3 scripts/forward.py 172.17.0.1 4566 8000
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading


def pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def serve(host: str, port: int) -> None:
    listener = socket.create_server((host, port), reuse_port=False)
    while True:
        client, _ = listener.accept()
        try:
            upstream = socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            client.close()
            continue
        upstream.settimeout(None)
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=pipe, args=(a, b), daemon=True).start()


if __name__ == "__main__":
    host, *ports = sys.argv[1:]
    if not host or not ports:
        sys.exit(__doc__)
    threads = [threading.Thread(target=serve, args=(host, int(p)), daemon=True) for p in ports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
