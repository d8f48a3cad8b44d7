# The UDP client of the "How to use socket" tutorial (localhost:8081), in
# Python 3: print each input line and send it as a datagram; end at end of
# input. Host and port: SOCKRUN_VARS_HOST / SOCKRUN_VARS_PORT.
import os
import socket

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
port = int(os.environ.get('SOCKRUN_VARS_PORT', 8081))
host = os.environ.get('SOCKRUN_VARS_HOST', 'localhost')
while True:
    try:
        msg = input()
    except EOFError:
        break
    print(msg)
    s.sendto(bytes(msg, encoding="UTF-8"), (host, port))
s.close()
