# The TCP client of the "How to use socket" tutorial (localhost:8081), in
# Python 3: send each input line; end at end of input. Host and port:
# SOCKRUN_VARS_HOST / SOCKRUN_VARS_PORT.
import os
import socket

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
port = int(os.environ.get('SOCKRUN_VARS_PORT', 8081))
host = os.environ.get('SOCKRUN_VARS_HOST', 'localhost')
s.connect((host, port))
while True:
    try:
        msg = input()
    except EOFError:
        break
    s.send(bytes(msg, 'utf-8'))
s.close()
