# The TCP time-stamp client of the tutorial (localhost:21567), ported from
# Python 2: raw_input is input, and end of input ends it (the tutorial's
# "except Exception" would print EOFError forever). Host and port:
# SOCKRUN_VARS_HOST / SOCKRUN_VARS_PORT.
import os
from socket import *

HOST = os.environ.get('SOCKRUN_VARS_HOST', 'localhost')
PORT = int(os.environ.get('SOCKRUN_VARS_PORT', 21567))
BUFSIZE = 1024
ADDR = (HOST, PORT)

tcpCliSock = socket(AF_INET, SOCK_STREAM)
tcpCliSock.connect(ADDR)

while True:
    try:
        data = input('>')
        if not data:
            break
        tcpCliSock.send(data.encode('utf-8'))
        data = tcpCliSock.recv(BUFSIZE)
        if not data:
            break
        print('Server: ', data.decode('utf-8'))
    except EOFError:
        break
    except Exception as e:
        print('Error: ', e)

tcpCliSock.close()
