# The interactive client of the greeting server (127.0.0.1:9999). Python 3
# already; it also ends at end of input. Host and port: SOCKRUN_VARS_HOST /
# SOCKRUN_VARS_PORT.
import os
import socket

HOST = os.environ.get('SOCKRUN_VARS_HOST', '127.0.0.1')
PORT = int(os.environ.get('SOCKRUN_VARS_PORT', 9999))

z = socket.socket()
z.connect((HOST, PORT,))
f = z.recv(1024)
f2 = str(f, encoding='utf-8')
print(f2)
while True:
    try:
        a = input("请输入信息")
    except EOFError:
        break
    z.sendall(bytes(a, encoding='utf-8'))
    if a == "q":
        break
    js = z.recv(1024)
    js2 = str(js, encoding='utf-8')
    print(js2)
z.close()
