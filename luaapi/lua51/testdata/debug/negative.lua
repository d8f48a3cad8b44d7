print(debug.traceback("x", -2)) print(debug.getlocal(-1, 1)) print(pcall(debug.setlocal, -1, 1, 2))
print(debug.getinfo(-3, "S").what)
