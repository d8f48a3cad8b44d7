# The UDP time-stamp client of the tutorial (localhost:21567), ported from
# Python 2; end of input ends it. Host and port: SOCKRUN_VARS_HOST /
# SOCKRUN_VARS_PORT.
import os
from socket import *

HOST = os.environ.get('SOCKRUN_VARS_HOST', 'localhost')
PORT = int(os.environ.get('SOCKRUN_VARS_PORT', 21567))
BUFSIZE = 1024
ADDR = (HOST, PORT)

udpCliSock = socket(AF_INET, SOCK_DGRAM)

while True:
    try:
        data = input('>')
        if not data:
            break
        udpCliSock.sendto(data.encode('utf-8'), ADDR)
        data, ADDR = udpCliSock.recvfrom(BUFSIZE)
        if not data:
            break
        print('Server : ', data.decode('utf-8'))

    except EOFError:
        break
    except Exception as e:
        print('Error: ', e)

udpCliSock.close()
