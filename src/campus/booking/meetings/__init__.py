"""Meeting providers behind one port: a built-in Jitsi Meet room generator (no account) and
a Zoom Server-to-Server OAuth adapter over httpx."""
