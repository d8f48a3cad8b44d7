-- chat_client.lua: a client for chat_server.lua. Lines you type go to the
-- room; lines from the room are printed as they come.
--
--   sockrun scripts/chat_client.lua                  (127.0.0.1:10001)
--   sockrun --var host=example.org --var port=9000 scripts/chat_client.lua
--
-- Type /quit to leave, or end the input (Ctrl-D).

local HOST = vars.host or "127.0.0.1"
local PORT = tonumber(vars.port or 10001)

local sock = socket.create_connection({HOST, PORT})

-- The room can speak at any moment, also while we wait for the keyboard:
-- so what you type is read and sent by a thread of its own.
thread.spawn(function()
  for line in io.lines() do -- waits for a line, letting the other thread run
    sock:sendall(line .. "\n")
  end
  -- End of input: tell the server we are done sending. It says we left and
  -- closes the connection, which ends the loop below.
  sock:shutdown(socket.SHUT_WR)
end)

-- Meanwhile, print what the server sends. One recv may bring part of a line
-- or several lines: print every complete line, keep the rest for later.
local buffer = ""
while true do
  local data = sock:recv(4096)
  if data == "" then -- the server closed the connection
    break
  end
  buffer = buffer .. data
  for line in buffer:gmatch("([^\n]*)\n") do
    print(line)
  end
  buffer = buffer:match("[^\n]*$")
end
if buffer ~= "" then
  print(buffer)
end
sock:close()
-- The chat is over (after /quit, or the server stopped). End the program
-- now, even if the typing thread is still waiting for the keyboard.
os.exit(0)
