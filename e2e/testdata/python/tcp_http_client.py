# The first client of the "Python Socket" tutorial, in Python 3: resolve a
# host, connect to it, ask for "/" over HTTP and print the reply. Host and
# port: SOCKRUN_VARS_HOST / SOCKRUN_VARS_PORT, else www.google.com:80.
import os
import socket
import sys

try:
    # create an AF_INET, STREAM socket (TCP)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
except OSError as msg:
    print('Failed to create socket. Error code: ' + str(msg.errno) + ' , Error message : ' + msg.strerror)
    sys.exit(1)
print('Socket Created')

host = os.environ.get('SOCKRUN_VARS_HOST', 'www.google.com')
port = int(os.environ.get('SOCKRUN_VARS_PORT', 80))
try:
    remote_ip = socket.gethostbyname(host)
except socket.gaierror:
    # could not resolve
    print('Hostname could not be resolved. Exiting')
    sys.exit(1)  # the tutorial's sys.exit() would say 0: a failure says 1
print('Ip address of ' + host + ' is ' + remote_ip)

# Connect to remote server
s.connect((remote_ip, port))
print('Socket Connected to ' + host + ' on ip ' + remote_ip)

# Send some data: the request, with a Host header; Connection: close makes
# the server close after its reply, so the reply is all that came before.
message = 'GET / HTTP/1.1\r\nHost: ' + host + '\r\nConnection: close\r\n\r\n'
s.sendall(message.encode('utf-8'))

# Receive the reply
reply = b''
while True:
    data = s.recv(4096)
    if not data:
        break
    reply += data
print(reply.decode('utf-8'))
s.close()
