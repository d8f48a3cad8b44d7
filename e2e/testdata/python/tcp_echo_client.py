# The echo client that goes with the "Python Socket" tutorial's echo server,
# in Python 3: send a message (argv[1] or the default), read the echo back 16
# bytes at a time. Host and port: SOCKRUN_VARS_HOST / SOCKRUN_VARS_PORT, else
# localhost:10000.
import os
import socket
import sys

HOST = os.environ.get('SOCKRUN_VARS_HOST', 'localhost')
PORT = int(os.environ.get('SOCKRUN_VARS_PORT', 10000))

# Create a TCP/IP socket
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
# Connect the socket to the port where the server is listening
server_address = (HOST, PORT)
sock.connect(server_address)
try:
    # Send data
    message = sys.argv[1] if len(sys.argv) > 1 else 'This is the message.  It will be repeated.'
    message = message.encode('utf-8')
    sock.sendall(message)
    # Look for the response
    amount_received = 0
    amount_expected = len(message)
    while amount_received < amount_expected:
        data = sock.recv(16)
        if not data:  # the server closed early: stop rather than spin
            break
        amount_received += len(data)
        print("received '%s'" % data.decode('utf-8'))
finally:
    sock.close()
