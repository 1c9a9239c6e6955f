-- Rotating refresh: every request presents the next pre-minted refresh token, each used once
-- (a token presented twice would be reuse, and revoke its grant). BENCH_TOKENS names the file.
local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS")) do
  tokens[#tokens + 1] = line
end
local client_id = os.getenv("BENCH_CLIENT_ID")
local next_token = 0

request = function()
  next_token = next_token + 1
  local token = tokens[next_token] or "exhausted"
  local body = "grant_type=refresh_token&client_id=" .. client_id .. "&refresh_token=" .. token
  return wrk.format("POST", "/token", {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
end

