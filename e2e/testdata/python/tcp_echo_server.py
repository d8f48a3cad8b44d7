# The echo server of the "Python Socket" tutorial, in Python 3.
# Host and port: SOCKRUN_VARS_HOST / SOCKRUN_VARS_PORT (what sockrun reads
# as vars.host and vars.port), else the tutorial's localhost:10000.
import os
import socket

HOST = os.environ.get('SOCKRUN_VARS_HOST', 'localhost')
PORT = int(os.environ.get('SOCKRUN_VARS_PORT', 10000))

# Create a TCP/IP socket
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
# Bind the socket to the port
server_address = (HOST, PORT)
sock.bind(server_address)
# Listen for incoming connections
sock.listen(1)
while True:
    # Wait for a connection
    connection, client_address = sock.accept()
    try:
        # Receive the data in small chunks and retransmit it
        while True:
            data = connection.recv(16)
            if data:
                connection.sendall(data)
            else:
                break
    finally:
        # Clean up the connection
        connection.close()
