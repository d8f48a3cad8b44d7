# The greeting server of the tutorial (127.0.0.1:9999): greet with 你好欢迎你,
# answer each message with 好 appended, until q. Python 3 already; host and
# port: SOCKRUN_VARS_HOST / SOCKRUN_VARS_PORT.
import os
import socket

HOST = os.environ.get('SOCKRUN_VARS_HOST', '127.0.0.1')
PORT = int(os.environ.get('SOCKRUN_VARS_PORT', 9999))

a = socket.socket()
a.bind((HOST, PORT,))
a.listen(5)
while True:
    b, c = a.accept()
    print(b, c)
    b.sendall(bytes("你好欢迎你", encoding='utf-8'))
    while True:
        j = b.recv(1024)
        if not j:  # the client left without q: the tutorial would spin here
            break
        j2 = str(j, encoding='utf-8')
        print(j2)
        if j2 == "q":
            break
        b.sendall(bytes(j2 + "好", encoding='utf-8'))
    b.close()
