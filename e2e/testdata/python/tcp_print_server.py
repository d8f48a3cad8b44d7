# The TCP server of the "How to use socket" tutorial ('':8081), in working
# Python 3 (the translated text lost the tuple around bind's address): one
# recv per connection, printed as text. Host and port: SOCKRUN_VARS_HOST /
# SOCKRUN_VARS_PORT.
import os
import socket

HOST = os.environ.get('SOCKRUN_VARS_HOST', '')
PORT = int(os.environ.get('SOCKRUN_VARS_PORT', 8081))

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind((HOST, PORT))
s.listen(1)
while True:
    connection, address = s.accept()
    data = connection.recv(1024)
    print('Received: ', data.decode('utf-8'))
    connection.close()  # CPython closed it anyway when connection was rebound
