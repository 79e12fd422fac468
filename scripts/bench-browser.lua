-- bench-browser.lua: wrk script for scenario (g), scenario (a)'s hot URL asked with the request fields a browser sends.
-- wrk alone sends a request line and Host; a browser sends ten or more fields, some of them long
-- (User-Agent, Cookie), which every proxy parses and (for the cacheable ones) reads on each hit.
-- Taken from a current Chrome on Linux navigating within a site; same on every request, as a
-- keep-alive connection of one browser tab repeats them. No Authorization: that makes the request
-- private to both proxies.

wrk.method = "GET"
wrk.path = "/api/users/1"
wrk.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
wrk.headers["Accept"] = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8"
wrk.headers["Accept-Language"] = "en-GB,en-US;q=0.9,en;q=0.8,de;q=0.7"
wrk.headers["Accept-Encoding"] = "gzip, deflate, br, zstd"
wrk.headers["Referer"] = "http://127.0.0.1/api/users"
wrk.headers["Cookie"] = "session=3f9a1c2e7b4d8a6f0e5c1b9d2a7f4e3c; theme=dark; _ga=GA1.1.1234567890.1732600000; consent=analytics%3Dno%26ads%3Dno"
wrk.headers["Sec-Fetch-Dest"] = "document"
wrk.headers["Sec-Fetch-Mode"] = "navigate"
wrk.headers["Sec-Fetch-Site"] = "same-origin"
wrk.headers["Upgrade-Insecure-Requests"] = "1"
