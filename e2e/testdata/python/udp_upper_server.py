# The UDP upper-case server of the "Socket通信Python实现" tutorial ('':12000).
# Python 3 already. Host and port: SOCKRUN_VARS_HOST / SOCKRUN_VARS_PORT.
import os
from socket import *

serverName = os.environ.get('SOCKRUN_VARS_HOST', '')
serverPort = int(os.environ.get('SOCKRUN_VARS_PORT', 12000))
serverSocket = socket(AF_INET, SOCK_DGRAM)
serverSocket.bind((serverName, serverPort))
print('Waiting for connection...')
while True:
    message, clientAddress = serverSocket.recvfrom(2048)
    print('Receive Message: %s' % message.decode('utf-8'))
    modifiedMessage = message.decode('utf-8').upper()
    serverSocket.sendto(modifiedMessage.encode('utf-8'), clientAddress)
