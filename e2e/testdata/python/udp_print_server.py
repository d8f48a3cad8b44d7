# The UDP server of the "How to use socket" tutorial ('':8081), in Python 3:
# print each datagram, as text, and its sender. Host and port:
# SOCKRUN_VARS_HOST / SOCKRUN_VARS_PORT.
import os
import socket

HOST = os.environ.get('SOCKRUN_VARS_HOST', '')
PORT = int(os.environ.get('SOCKRUN_VARS_PORT', 8081))

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((HOST, PORT))
while True:
    data, host = s.recvfrom(1024)
    print('received: ', data.decode('utf-8'), 'from', host)
