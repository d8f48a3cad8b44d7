# The TCP time-stamp server of the tutorial (localhost:21567), ported from
# Python 2: bytes are decoded and encoded as UTF-8, and the client's socket is
# closed when it leaves. Host and port: SOCKRUN_VARS_HOST / SOCKRUN_VARS_PORT.
import os
from socket import *
from time import ctime

HOST = os.environ.get('SOCKRUN_VARS_HOST', 'localhost')
PORT = int(os.environ.get('SOCKRUN_VARS_PORT', 21567))
BUFSIZE = 1024
ADDR = (HOST, PORT)

tcpSerSock = socket(AF_INET, SOCK_STREAM)
tcpSerSock.bind(ADDR)
tcpSerSock.listen(5)

while True:
    try:
        print('Waiting for connection ....')

        tcpCliSock, addr = tcpSerSock.accept()
        print(u'Connected client from : ', addr)

        while True:
            data = tcpCliSock.recv(BUFSIZE)
            if not data:
                break
            else:
                print('Client: ', data.decode('utf-8'))
            tcpCliSock.send(('[%s] %s' % (ctime(), data.decode('utf-8'))).encode('utf-8'))
        tcpCliSock.close()

    except Exception as e:
        print('Error: ', e)
tcpSerSock.close()
