# The UDP time-stamp server of the tutorial ('':21567), ported from Python 2.
# Host and port: SOCKRUN_VARS_HOST / SOCKRUN_VARS_PORT.
import os
from socket import *
from time import ctime

HOST = os.environ.get('SOCKRUN_VARS_HOST', '')
PORT = int(os.environ.get('SOCKRUN_VARS_PORT', 21567))
BUFSIZE = 1024
ADDR = (HOST, PORT)

udpSerSock = socket(AF_INET, SOCK_DGRAM)
udpSerSock.bind(ADDR)

while True:
    try:
        print('Waiting for message ....')
        data, addr = udpSerSock.recvfrom(BUFSIZE)
        print('Get client msg is: ', data.decode('utf-8'))
        udpSerSock.sendto(('[%s] %s' % (ctime(), data.decode('utf-8'))).encode('utf-8'), addr)
        print('Received from and returned to: ', addr)

    except Exception as e:
        print('Error: ', e)
udpSerSock.close()
