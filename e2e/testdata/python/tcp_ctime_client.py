# The TCP ctime client of the "Socket通信Python实现" tutorial
# (127.0.0.1:11000), sending "client message" argv[1] times (3 by default)
# instead of forever. Host and port: SOCKRUN_VARS_HOST / SOCKRUN_VARS_PORT.
import os
import sys
from socket import *

serverName = os.environ.get('SOCKRUN_VARS_HOST', '127.0.0.1')
serverPort = int(os.environ.get('SOCKRUN_VARS_PORT', 11000))
BUFSIZ = 1024
ADDR = (serverName, serverPort)
times = int(sys.argv[1]) if len(sys.argv) > 1 else 3

clientSocket = socket(AF_INET, SOCK_STREAM)
clientSocket.connect(ADDR)
for _ in range(times):
    data = "client message"
    if not data:
        break
    clientSocket.send(data.encode('utf-8'))
    returnData = clientSocket.recv(BUFSIZ)
    if not returnData:
        break
    print('Return time is:%s' % returnData.decode('utf-8'))
clientSocket.close()
