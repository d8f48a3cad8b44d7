-- LuaSocket's own SMTP client (socket/smtp.lua, over socket.tp and mime)
-- sends a message to smtp_sink.lua.
package.path = vars.lua_path .. ";" .. package.path
local smtp = require("socket.smtp")
local mime = require("mime")
local ok, err = smtp.send{
  from = "<alice@example.org>",
  rcpt = {"<bob@example.org>"},
  server = "127.0.0.1", port = tonumber(vars.port),
  source = smtp.message{
    headers = {subject = "hello from luasocket", ["content-type"] = "text/plain"},
    body = "first line\r\n.a line that starts with a dot\r\nlast line",
  },
}
print("SENT", ok, err)
print("B64", (mime.b64("hi")))
