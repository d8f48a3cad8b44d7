# The TCP ctime server of the "Socket通信Python实现" tutorial ('':11000).
# Python 3 already. Host and port: SOCKRUN_VARS_HOST / SOCKRUN_VARS_PORT.
import os
from socket import *
from time import ctime

host = os.environ.get('SOCKRUN_VARS_HOST', '')
port = int(os.environ.get('SOCKRUN_VARS_PORT', 11000))
ADDR = (host, port)
BUFSIZ = 1024

tcpSocket = socket(AF_INET, SOCK_STREAM)
tcpSocket.bind(ADDR)
# set the max number of tcp connection
tcpSocket.listen(5)
while True:
    print('waiting for connection...')
    clientSocket, clientAddr = tcpSocket.accept()
    print('conneted form: %s' % clientAddr[0])
    while True:
        try:
            data = clientSocket.recv(BUFSIZ)
        except IOError as e:
            print(e)
            clientSocket.close()
            break
        if not data:
            break
        returnData = ctime() + data.decode('utf-8')
        clientSocket.send(returnData.encode('utf-8'))
    clientSocket.close()
tcpSocket.close()
