"""asyncio_echo.py: the Python asyncio reference servers of the benchmark.

A TCP echo server (asyncio.Protocol: data_received writes the bytes back;
asyncio sets TCP_NODELAY on its TCP connections) or a UDP echo server
(asyncio.DatagramProtocol), the fast way to write each with the standard
library.

    python3 bench/py/asyncio_echo.py tcp 127.0.0.1 0
    python3 bench/py/asyncio_echo.py udp 127.0.0.1 0

It prints "listening on HOST:PORT" once it serves.
"""

import asyncio
import sys


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


class DatagramEcho(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(data, addr)


async def main(proto, host, port):
    loop = asyncio.get_running_loop()
    if proto == "tcp":
        server = await loop.create_server(Echo, host, port, backlog=4096)
        addr = server.sockets[0].getsockname()
    else:
        transport, _ = await loop.create_datagram_endpoint(DatagramEcho, local_addr=(host, port))
        addr = transport.get_extra_info("sockname")
    print("listening on %s:%d" % (addr[0], addr[1]), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    proto = sys.argv[1] if len(sys.argv) > 1 else "tcp"
    host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
    port = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    try:
        asyncio.run(main(proto, host, port))
    except KeyboardInterrupt:
        pass
