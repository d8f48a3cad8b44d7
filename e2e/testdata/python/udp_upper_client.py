# The UDP upper-case client of the "Socket通信Python实现" tutorial
# (127.0.0.1:12000). Python 3 already; it also ends at end of input. Host and
# port: SOCKRUN_VARS_HOST / SOCKRUN_VARS_PORT.
import os
from socket import *


class UdpClient:
    serverName = os.environ.get('SOCKRUN_VARS_HOST', '127.0.0.1')
    serverPort = int(os.environ.get('SOCKRUN_VARS_PORT', 12000))
    socketAddress = (serverName, serverPort)

    def __init__(self):
        # define the type of socket is IPv4 and Udp
        self.clientSocket = socket(AF_INET, SOCK_DGRAM)
        while True:
            try:
                message = input("Input a lowercase sentence\n")
            except EOFError:
                break
            self.clientSocket.sendto(message.encode('utf-8'), self.socketAddress)
            returnMessage, serverAddress = self.clientSocket.recvfrom(2048)
            if not returnMessage:
                break
            print("The peersocket is: %s:%s" % (serverAddress[0], serverAddress[1]))
            print("The return message is: %s" % returnMessage.decode('utf-8'))
        self.clientSocket.close()


if __name__ == '__main__':
    client = UdpClient()
